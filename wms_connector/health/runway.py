"""The archive-log runway: how far back a restart would have to read the redo, against how long the database keeps
its archive logs, and how many hours are left before a full re-snapshot is the only way back.

While capture runs, Debezium says how far back it is held (`OldestScnAgeInMilliseconds`: the oldest SCN it still
needs, which a long transaction holds back). While capture is down (task failed or stopped, workers down,
connector missing), nothing reports it, so the runway is carried on from the last run that saw capture running:
the read-back then, plus the time since.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class RunwayFindings:
    read_back_ms: float | None  # how far back a restart would read now
    retention_hours: float
    capture_down: bool
    down_since_ms: int | None = None  # the last run that saw capture running, when it is down now

    @property
    def used_percent(self) -> float | None:
        if self.read_back_ms is None:
            return None
        return 100.0 * self.read_back_ms / (self.retention_hours * HOUR_MS)

    @property
    def hours_left(self) -> float | None:
        if self.read_back_ms is None:
            return None
        return max(0.0, self.retention_hours - self.read_back_ms / HOUR_MS)

    @property
    def summary(self) -> str:
        if self.read_back_ms is None:
            return "unknown: capture has not been seen running yet"
        state = "capture is down" if self.capture_down else "capture is running"
        return (
            f"{state}; a restart would read back {self.read_back_ms / HOUR_MS:.1f} h of "
            f"{self.retention_hours:g} h of archive logs: {self.hours_left:.1f} h left before a full re-snapshot "
            "is the only way back"
        )


def runway(
    *,
    retention_hours: float,
    oldest_scn_age_ms: float | None,
    capturing: bool,
    now_ms: int,
    last_running_ms: int | None,
    last_read_back_ms: float | None,
) -> RunwayFindings:
    """`capturing`: the connector streams (task RUNNING, Debezium connected and reporting). `last_*`: what the
    last run that saw it capturing recorded (run_state.py)."""
    if capturing and oldest_scn_age_ms is not None:
        return RunwayFindings(read_back_ms=max(0.0, oldest_scn_age_ms), retention_hours=retention_hours,
                              capture_down=False)
    if last_running_ms is None or last_read_back_ms is None:
        return RunwayFindings(read_back_ms=None, retention_hours=retention_hours, capture_down=not capturing)
    carried = last_read_back_ms + max(0, now_ms - last_running_ms)
    return RunwayFindings(
        read_back_ms=carried, retention_hours=retention_hours, capture_down=True, down_since_ms=last_running_ms
    )

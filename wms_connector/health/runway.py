"""The archive-log runway: how far back a restart would have to read the redo, against how long the database keeps
its archive logs, and how many hours are left before a full re-snapshot is the only way back.

What a restart reads from is the stored offset's SCN. Debezium's LogMiner source (BufferedLogMinerStreamingChange-
EventSource, 3.6) keeps it at the start of the oldest transaction still in its buffer, or, with the buffer empty, at
the newest commit it has processed. The streaming metrics give the age of both, each on the database's clock turned
into the worker's (LogMinerStreamingChangeEventSourceMetrics.getAdjustedChangeTime, from `SELECT SYSTIMESTAMP` each
mining round):
- `OldestScnAgeInMilliseconds`: the oldest buffered transaction's start; 0 when the buffer is empty;
- `LagFromSourceInMilliseconds`: how far behind the database the last processed change was (hours during a
  catch-up, while the buffer can be empty).
The read-back is the larger of the two. During the initial snapshot, streaming starts from the snapshot's SCN when it
ends, so the read-back is the snapshot's age (`SnapshotDurationInSeconds`).

While capture is down (task failed or stopped, workers down, connector missing), nothing reports it, so it is
carried on from the last run that saw capture running: the read-back then, plus the time since. After an outage the
fresh metrics say little (a restarted task's counters start at 0 before it has read anything), so the carried value
stands until the offset has passed the SCN the database was at when capture was last seen running.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from wms_connector.health.checks.capture import CaptureFindings
from wms_connector.health.checks.connect import ConnectFindings

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class RunwayMemory:
    """What a run keeps for the next (run_state.py)."""

    held_at_ms: int | None = None  # the last run that saw capture running
    read_back_ms: float | None = None  # how far back it was held then
    current_scn: float | None = None  # the database's SCN then
    catch_up_scn: float | None = None  # after an outage: the offset must pass this before the metrics count again


@dataclass(frozen=True)
class RunwayFindings:
    read_back_ms: float | None  # how far back a restart would read now
    retention_hours: float
    capture_down: bool
    down_since_ms: int | None = None  # the last run that saw capture running, when it is down now
    catching_up: bool = False  # running again, but the offset is still before where capture stopped
    memory: RunwayMemory = RunwayMemory()
    # From the database probe: how old the oldest archive log on disk is, and whether the restart position's log
    # is already gone. The runway is then the worse of the setting and what is on disk.
    on_disk_hours: float | None = None
    position_gone: bool = False

    @property
    def _retentions(self) -> list[float]:
        return [self.retention_hours, *([self.on_disk_hours] if self.on_disk_hours is not None else [])]

    @property
    def measured_on_disk(self) -> bool:
        """The archive logs on disk are the tighter bound (or the position's log is gone)."""
        return self.position_gone or (self.on_disk_hours is not None and self.on_disk_hours < self.retention_hours)

    @property
    def used_percent(self) -> float | None:
        if self.read_back_ms is None:
            return None
        used = max(100.0 * self.read_back_ms / (hours * HOUR_MS) for hours in self._retentions if hours > 0)
        return max(used, 100.0) if self.position_gone else used

    @property
    def hours_left(self) -> float | None:
        if self.read_back_ms is None:
            return None
        if self.position_gone:
            return 0.0
        return max(0.0, min(self._retentions) - self.read_back_ms / HOUR_MS)

    @property
    def summary(self) -> str:
        if self.read_back_ms is None:
            return "unknown: capture has not been seen running yet"
        state = (
            "capture is down" if self.capture_down
            else "capture is catching up on an outage" if self.catching_up
            else "capture is running"
        )
        if self.position_gone:
            against = "archive logs, and the log holding its position is no longer on disk"
        elif self.measured_on_disk:
            against = f"archive logs actually on disk (the setting says {self.retention_hours:g} h)"
        else:
            against = "archive logs"
        return (
            f"{state}; a restart would read back {self.read_back_ms / HOUR_MS:.1f} h of "
            f"{min(self._retentions):g} h of {against}: {self.hours_left:.1f} h left before a full re-snapshot "
            "is the only way back"
        )


def with_disk(found: RunwayFindings, on_disk_hours: float | None, position_gone: bool | None) -> RunwayFindings:
    """The runway against what the database probe found on disk as well as against the setting."""
    return dataclasses.replace(found, on_disk_hours=on_disk_hours, position_gone=bool(position_gone))


def is_capturing(connect: ConnectFindings, capture: CaptureFindings | None) -> bool:
    """The connector and its task RUNNING and Debezium streaming, connected, saying how far back it is held."""
    return (
        connect.all_running and capture is not None and capture.connected is True
        and capture.oldest_scn_age_ms is not None
    )


def held_back_ms(connect: ConnectFindings, capture: CaptureFindings | None) -> float | None:
    """How far back a restart would read, by this run's metrics; None when they cannot say (capture down)."""
    if capture is None or not connect.all_running:
        return None
    if is_capturing(connect, capture):
        return max(capture.oldest_scn_age_ms or 0.0, capture.lag_from_source_ms or 0.0)
    if capture.snapshot_running and capture.snapshot_duration_s is not None:
        return capture.snapshot_duration_s * 1000.0
    return None


def runway(
    *,
    retention_hours: float,
    held_ms: float | None,
    now_ms: int,
    previous: RunwayMemory,
    offset_scn: float | None = None,
    current_scn: float | None = None,
) -> RunwayFindings:
    """`held_ms`: held_back_ms() of this run; `offset_scn`/`current_scn`: Debezium's OffsetScn and CurrentScn."""
    carried = None
    if previous.held_at_ms is not None and previous.read_back_ms is not None:
        carried = previous.read_back_ms + max(0, now_ms - previous.held_at_ms)
    if held_ms is not None:
        pending = previous.catch_up_scn
        if pending is not None and carried is not None and (offset_scn is None or offset_scn < pending):
            return RunwayFindings(
                read_back_ms=max(held_ms, carried), retention_hours=retention_hours, capture_down=False,
                catching_up=True, memory=previous,
            )
        return RunwayFindings(
            read_back_ms=max(0.0, held_ms), retention_hours=retention_hours, capture_down=False,
            memory=RunwayMemory(held_at_ms=now_ms, read_back_ms=max(0.0, held_ms), current_scn=current_scn),
        )
    memory = previous
    if previous.catch_up_scn is None and previous.current_scn is not None:
        memory = RunwayMemory(previous.held_at_ms, previous.read_back_ms, previous.current_scn, previous.current_scn)
    if carried is None:
        return RunwayFindings(read_back_ms=None, retention_hours=retention_hours, capture_down=True, memory=memory)
    return RunwayFindings(
        read_back_ms=carried, retention_hours=retention_hours, capture_down=True,
        down_since_ms=previous.held_at_ms, memory=memory,
    )

"""How far behind the database capture is, in SCNs, and when it will have caught up at the pace of the last runs.

`CurrentScn` is the database's SCN at Debezium's last mining round and `OffsetScn` the position a restart would
stream from (LogMinerStreamingChangeEventSourceMetrics; both set by the LogMiner streaming source each round). Their
difference is the SCN lag. Between two runs the offset advances and so does the database: when the offset gains on
the database, the lag shrinks at that pace and the estimate is the lag over the pace; when it does not, the
estimate is "not closing". An SCN is a count, not a time: the lag says how much redo is left, the estimate when.
Shown only while capture is behind (LagFromSource over CATCH_UP_LAG_MS): a current connector's SCN lag is a few
rounds' worth and its estimate noise.
"""

from __future__ import annotations

from dataclasses import dataclass

CATCH_UP_LAG_MS = 60_000


@dataclass(frozen=True)
class ScnSample:
    at_ms: int
    offset_scn: float
    current_scn: float


@dataclass(frozen=True)
class CatchUp:
    scn_lag: float | None = None
    behind: bool = False  # capture is behind the database by more than CATCH_UP_LAG_MS
    eta_ms: float | None = None  # when behind and the lag is closing
    paced: bool = False  # a previous run's SCNs gave a pace
    sample: ScnSample | None = None  # kept for the next run

    @property
    def summary(self) -> str:
        if self.scn_lag is None:
            return "unknown: Debezium reports no SCNs"
        if not self.behind:
            return f"current ({self.scn_lag:.0f} SCNs behind the database)"
        if not self.paced:
            return f"{self.scn_lag:.0f} SCNs behind the database; the next check estimates when it catches up"
        if self.eta_ms is None:
            return f"{self.scn_lag:.0f} SCNs behind the database and not closing since the last check"
        return f"{self.scn_lag:.0f} SCNs behind the database; caught up in about {self.eta_ms / 60_000:.0f} min"


def catch_up(
    *, offset_scn: float | None, current_scn: float | None, lag_from_source_ms: float | None, now_ms: int,
    previous: ScnSample | None,
) -> CatchUp:
    if offset_scn is None or current_scn is None or offset_scn <= 0 or current_scn <= 0:
        return CatchUp(sample=previous)
    sample = ScnSample(now_ms, offset_scn, current_scn)
    lag = max(0.0, current_scn - offset_scn)
    behind = (lag_from_source_ms or 0.0) > CATCH_UP_LAG_MS
    eta, paced = None, False
    if behind and previous is not None and now_ms > previous.at_ms:
        paced = True
        previous_lag = max(0.0, previous.current_scn - previous.offset_scn)
        closing_per_ms = (previous_lag - lag) / (now_ms - previous.at_ms)
        if closing_per_ms > 0:
            eta = lag / closing_per_ms
    return CatchUp(scn_lag=lag, behind=behind, eta_ms=eta, paced=paced, sample=sample)

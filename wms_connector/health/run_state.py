"""What one health-check run leaves for the next: how many runs in a row saw the connector not RUNNING, the
topics' end offsets, when capture was last seen running and how far back it was held then (the archive-log
runway while capture is down), and Debezium's error counters (to see them grow). Kept in the restart budget's
item (same table, same key), in attributes the budget never writes, so the two never overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wms_connector.health.catch_up import ScnSample
from wms_connector.health.runway import RunwayMemory

RUNNING = "RUNNING"
FAILED = "FAILED"


@dataclass(frozen=True)
class RunState:
    not_running_streak: int = 0
    topic_offsets: dict[str, int] = field(default_factory=dict)
    last_run_ms: int | None = None
    runway: RunwayMemory = RunwayMemory()
    scn_sample: ScnSample | None = None  # Debezium's offset and current SCN on the last run that saw them
    counters: dict[str, float] = field(default_factory=dict)  # Debezium counters seen on the last run


class RunStateStore:
    """`table` is a boto3 DynamoDB Table resource."""

    def __init__(self, table: Any, key: str):
        self._table = table
        self._key = {"connectorId": key}

    def load(self) -> RunState:
        item = self._table.get_item(Key=self._key, ConsistentRead=True).get("Item") or {}
        offsets = {str(topic): int(value) for topic, value in (item.get("topicOffsets") or {}).items()}
        last = item.get("lastRunAt")
        capturing = item.get("lastCapturingAt")
        read_back = item.get("lastReadBackMs")
        current_scn, catch_up_scn = item.get("lastCurrentScn"), item.get("catchUpScn")
        sample = item.get("scnSample") or {}
        return RunState(
            not_running_streak=int(item.get("notRunningStreak", 0)),
            topic_offsets=offsets,
            last_run_ms=int(last) if last is not None else None,
            runway=RunwayMemory(
                held_at_ms=int(capturing) if capturing else None,
                read_back_ms=float(read_back) if read_back is not None and capturing else None,
                current_scn=float(current_scn) if current_scn else None,
                catch_up_scn=float(catch_up_scn) if catch_up_scn else None,
            ),
            scn_sample=ScnSample(int(sample["atMs"]), float(sample["offset"]), float(sample["current"]))
            if sample else None,
            counters={str(k): float(v) for k, v in (item.get("captureCounters") or {}).items()},
        )

    def save(self, state: RunState) -> None:
        # Last writer wins: an overlapping run can at worst shift a streak by one, never grant a restart.
        self._table.update_item(
            Key=self._key,
            UpdateExpression=(
                "SET notRunningStreak = :streak, topicOffsets = :offsets, lastRunAt = :at, "
                "lastCapturingAt = :capturing, lastReadBackMs = :read_back, lastCurrentScn = :current_scn, "
                "catchUpScn = :catch_up_scn, scnSample = :scn_sample, captureCounters = :counters"
            ),
            ExpressionAttributeValues={
                ":streak": state.not_running_streak,
                ":offsets": dict(state.topic_offsets),
                ":at": state.last_run_ms or 0,
                ":capturing": state.runway.held_at_ms or 0,
                # DynamoDB numbers: whole milliseconds, SCNs and counts are plenty (0 stands for none).
                ":read_back": int(state.runway.read_back_ms or 0),
                ":current_scn": int(state.runway.current_scn or 0),
                ":catch_up_scn": int(state.runway.catch_up_scn or 0),
                ":scn_sample": (
                    {"atMs": s.at_ms, "offset": int(s.offset_scn), "current": int(s.current_scn)}
                    if (s := state.scn_sample) else {}
                ),
                ":counters": {k: int(v) for k, v in state.counters.items()},
            },
        )


def next_not_running_streak(previous: int, states: list[str]) -> int:
    """Runs in a row with the connector or a task neither RUNNING nor FAILED (FAILED is reported at once)."""
    soft = [s for s in states if s not in (RUNNING, FAILED)]
    return previous + 1 if soft else 0


def is_sustained_not_running(streak: int, runs: int) -> bool:
    """True once the streak reaches the stage's `notRunningRuns`."""
    return streak >= runs

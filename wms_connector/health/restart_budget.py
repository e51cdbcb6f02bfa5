"""At most N restarts in any rolling window, safe when health-check runs overlap and their clocks disagree, with
growing waits after restarts that did not help.

One DynamoDB item per connector (`connectorId` = `<stage>:<name>`) holds the timestamps of the restarts still
inside the window, each with its outcome. A reservation reads the item, prunes what left the window, and writes
the new list back only if nobody else wrote since the read (`budgetVersion` check); a lost race re-reads and
decides again, so concurrent runs can never grant more than N.

Clocks: each timestamp is its runner's clock, and each runner judges with its own. A restart counts for the window
plus the skew allowance, so as long as two runners' clocks disagree by no more than the allowance, every restart
made within the true window is counted, and none is pruned before it left it: the budget holds.

Backoff: after n restarts in a row that did not help, the next waits `backoff * 2^(n-1)` (capped) from the last.

Other attributes of the item (the run state in `run_state.py`) are never touched here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from wms_connector.health_policy import (
    CLOCK_SKEW_ALLOWANCE_MINUTES,
    DEFAULT_RESTART_LIMIT,
    DEFAULT_RESTART_WINDOW_MINUTES,
    RESTART_BACKOFF_MAX_MINUTES,
    RESTART_BACKOFF_MINUTES,
)

PENDING = "pending"
HELPED = "helped"
NOT_HELPED = "not_helped"

# Enough for any realistic number of overlapping runs; each retry re-reads the item.
DEFAULT_MAX_ATTEMPTS = 25

Clock = Callable[[], float]


class BudgetContentionError(RuntimeError):
    """Other writers kept winning the conditional write; nothing was reserved."""


@dataclass(frozen=True)
class RestartRecord:
    at_ms: int
    outcome: str


@dataclass(frozen=True)
class BudgetDecision:
    granted: bool
    used: int  # restarts inside the window, including the one just granted
    limit: int
    # When a refused run could be granted (epoch ms): the oldest restart leaves the window, or the backoff ends.
    next_free_at_ms: int | None
    # Set when the restart waits out the backoff after restarts that did not help (epoch ms it ends).
    backoff_until_ms: int | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def connector_id(stage: str, connector: str) -> str:
    return f"{stage}:{connector}"


def _records(item: dict[str, Any] | None) -> list[RestartRecord]:
    return [
        RestartRecord(at_ms=int(entry["at"]), outcome=str(entry.get("outcome", PENDING)))
        for entry in (item or {}).get("restarts", [])
    ]


def _as_attribute(records: list[RestartRecord]) -> list[dict[str, Any]]:
    return [{"at": r.at_ms, "outcome": r.outcome} for r in records]


def backoff_until_ms(records: list[RestartRecord], base_ms: int, max_ms: int) -> int | None:
    """When the next restart may come after the latest restarts that did not help, or None (no wait)."""
    unhelpful = 0
    for record in sorted(records, key=lambda r: r.at_ms, reverse=True):
        if record.outcome != NOT_HELPED:
            break
        unhelpful += 1
    if not unhelpful:
        return None
    latest = max(r.at_ms for r in records)
    return latest + min(base_ms * 2 ** (unhelpful - 1), max_ms)


class RestartBudget:
    """`table` is a boto3 DynamoDB Table resource; `clock` returns epoch seconds."""

    def __init__(
        self,
        table: Any,
        key: str,
        *,
        limit: int = DEFAULT_RESTART_LIMIT,
        window_seconds: float = 60 * DEFAULT_RESTART_WINDOW_MINUTES,
        clock: Clock = time.time,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        skew_allowance_seconds: float = 60 * CLOCK_SKEW_ALLOWANCE_MINUTES,
        backoff_seconds: float = 60 * RESTART_BACKOFF_MINUTES,
        backoff_max_seconds: float = 60 * RESTART_BACKOFF_MAX_MINUTES,
    ):
        if limit < 1:
            raise ValueError(f"Restart budget limit must be at least 1, got {limit}.")
        if window_seconds <= 0:
            raise ValueError(f"Restart budget window must be positive seconds, got {window_seconds}.")
        if skew_allowance_seconds < 0 or backoff_seconds < 0 or backoff_max_seconds < backoff_seconds:
            raise ValueError("Restart budget skew allowance and backoff must be seconds >= 0, the cap >= the base.")
        self._table = table
        self._key = {"connectorId": key}
        self.limit = limit
        self.window_ms = int(window_seconds * 1000)
        self.skew_ms = int(skew_allowance_seconds * 1000)
        self.backoff_ms = int(backoff_seconds * 1000)
        self.backoff_max_ms = int(backoff_max_seconds * 1000)
        self._clock = clock
        self._max_attempts = max_attempts

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _read(self) -> tuple[list[RestartRecord], int]:
        item = self._table.get_item(Key=self._key, ConsistentRead=True).get("Item")
        return _records(item), int((item or {}).get("budgetVersion", 0))

    def _in_window(self, records: list[RestartRecord], now_ms: int) -> list[RestartRecord]:
        # The skew allowance: another runner's clock may be behind this one's by that much.
        return [r for r in records if r.at_ms > now_ms - self.window_ms - self.skew_ms]

    def _write(self, records: list[RestartRecord], version: int) -> bool:
        """Write `records` if the item is still at `version`; False when another writer got there first."""
        condition = "attribute_not_exists(budgetVersion)" if version == 0 else "budgetVersion = :old"
        values: dict[str, Any] = {":restarts": _as_attribute(records), ":new": version + 1}
        if version:
            values[":old"] = version
        try:
            self._table.update_item(
                Key=self._key,
                UpdateExpression="SET restarts = :restarts, budgetVersion = :new",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def restarts_in_window(self) -> list[RestartRecord]:
        records, _ = self._read()
        return self._in_window(records, self._now_ms())

    def remaining(self) -> int:
        return max(0, self.limit - len(self.restarts_in_window()))

    def _frees_at(self, records: list[RestartRecord]) -> int:
        return min(r.at_ms for r in records) + self.window_ms + self.skew_ms

    def reserve(self) -> BudgetDecision:
        """Claim one restart if fewer than `limit` happened in the window and no backoff is running; the claim is
        recorded as pending."""
        for _ in range(self._max_attempts):
            records, version = self._read()
            now_ms = self._now_ms()
            kept = self._in_window(records, now_ms)
            if len(kept) >= self.limit:
                return BudgetDecision(False, len(kept), self.limit, self._frees_at(kept))
            backoff = backoff_until_ms(kept, self.backoff_ms, self.backoff_max_ms)
            if backoff is not None and now_ms < backoff:
                return BudgetDecision(False, len(kept), self.limit, backoff, backoff_until_ms=backoff)
            kept.append(RestartRecord(at_ms=now_ms, outcome=PENDING))
            if self._write(kept, version):
                return BudgetDecision(True, len(kept), self.limit, self._frees_at(kept))
        raise BudgetContentionError(
            f"Could not reserve a restart for {self._key['connectorId']} after {self._max_attempts} attempts: "
            "other health-check runs kept updating the budget."
        )

    def pending(self) -> RestartRecord | None:
        """The latest restart whose outcome is not decided yet, if any."""
        waiting = [r for r in self.restarts_in_window() if r.outcome == PENDING]
        return max(waiting, key=lambda r: r.at_ms) if waiting else None

    def record_outcome(self, at_ms: int, helped: bool) -> bool:
        """Mark the restart made at `at_ms` as helped or not. False when it is gone (left the window)."""
        for _ in range(self._max_attempts):
            records, version = self._read()
            kept = self._in_window(records, self._now_ms())
            if not any(r.at_ms == at_ms and r.outcome == PENDING for r in kept):
                return False
            outcome = HELPED if helped else NOT_HELPED
            updated = [RestartRecord(r.at_ms, outcome) if r.at_ms == at_ms else r for r in kept]
            if self._write(updated, version):
                return True
        raise BudgetContentionError(
            f"Could not record a restart outcome for {self._key['connectorId']} after {self._max_attempts} attempts."
        )

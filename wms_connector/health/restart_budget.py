"""At most N restarts in any rolling window, safe when two health-check runs overlap.

One DynamoDB item per connector (`connectorId` = `<stage>:<name>`) holds the timestamps of the restarts still
inside the window, each with its outcome. A reservation reads the item, prunes what left the window, and writes
the new list back only if nobody else wrote since the read (`budgetVersion` check); a lost race re-reads and
decides again, so concurrent runs can never grant more than N. Other attributes of the item (the run state in
`run_state.py`) are never touched here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from wms_connector.health_policy import DEFAULT_RESTART_LIMIT, DEFAULT_RESTART_WINDOW_MINUTES

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
    # When the oldest restart in the window leaves it (epoch ms), i.e. when a refused run could be granted.
    next_free_at_ms: int | None

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
    ):
        if limit < 1:
            raise ValueError(f"Restart budget limit must be at least 1, got {limit}.")
        if window_seconds <= 0:
            raise ValueError(f"Restart budget window must be positive seconds, got {window_seconds}.")
        self._table = table
        self._key = {"connectorId": key}
        self.limit = limit
        self.window_ms = int(window_seconds * 1000)
        self._clock = clock
        self._max_attempts = max_attempts

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _read(self) -> tuple[list[RestartRecord], int]:
        item = self._table.get_item(Key=self._key, ConsistentRead=True).get("Item")
        return _records(item), int((item or {}).get("budgetVersion", 0))

    def _in_window(self, records: list[RestartRecord], now_ms: int) -> list[RestartRecord]:
        return [r for r in records if r.at_ms > now_ms - self.window_ms]

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

    def reserve(self) -> BudgetDecision:
        """Claim one restart if fewer than `limit` happened in the window; the claim is recorded as pending."""
        for _ in range(self._max_attempts):
            records, version = self._read()
            now_ms = self._now_ms()
            kept = self._in_window(records, now_ms)
            if len(kept) >= self.limit:
                oldest = min(r.at_ms for r in kept)
                return BudgetDecision(False, len(kept), self.limit, oldest + self.window_ms)
            kept.append(RestartRecord(at_ms=now_ms, outcome=PENDING))
            if self._write(kept, version):
                oldest = min(r.at_ms for r in kept)
                return BudgetDecision(True, len(kept), self.limit, oldest + self.window_ms)
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

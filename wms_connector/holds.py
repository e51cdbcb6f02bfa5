"""One controller at a time: a hold on the connector, kept as one item of the health table.

Three controllers change the connector: `pulumi up` (the provider, through the admin), each health run (restarts
and drift repair) and on-call (`ops`, through the admin). A hold says who holds the connector, why, and until when.
Every state-changing admin action takes one for its own duration; `ops pause --hold 2h` (and `stop`) takes a
standing one that outlives the command. While a hold is in force the health run neither restarts nor repairs, and
another holder is refused with a message that names the hold. A hold always ends by itself: it carries its expiry,
and an expired hold counts as no hold (a dead holder cannot keep the connector).

Taking is one conditional write (free, expired, or the same holder's), so two holders can never both win; a
release deletes the item only if it is still the one taken (its token), so a late release never frees a newer hold.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from wms_connector.health.restart_budget import connector_id

HOLD_SUFFIX = "#hold"
# The longest hold anyone may take: it must end by itself, and a connector held longer than the archive logs are
# kept loses its place (the runway alarm says so well before).
MAX_HOLD_SECONDS = 7 * 24 * 3600
# A hold taken for one action lasts the action's timeout plus this, so a holder that dies frees it soon after.
ACTION_HOLD_MARGIN_SECONDS = 60
MAX_HOLDER_LENGTH = 200
MAX_REASON_LENGTH = 500

Clock = Callable[[], float]


class HoldRefused(Exception):
    """Someone else holds the connector; the message says who, why, until when and what to do."""


class BadHold(ValueError):
    """A hold request that cannot be used (holder, reason, duration); the message names the field."""


def hold_key(stage: str, connector: str) -> str:
    return connector_id(stage, connector) + HOLD_SUFFIX


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Hold:
    holder: str  # who: `alice@laptop`, `pulumi stack main`
    reason: str
    command: str  # what took it: `ops pause`, `pulumi up (update)`
    taken_at_ms: int
    expires_at_ms: int
    token: str
    standing: bool  # taken to outlive its command (`ops pause --hold`), not for one action

    def in_force(self, now_ms: int) -> bool:
        return now_ms < self.expires_at_ms

    def describe(self, now_ms: int) -> str:
        minutes = max(0, (self.expires_at_ms - now_ms) // 60000)
        return (
            f"held by {self.holder} ({self.command}) until {_iso(self.expires_at_ms)} ({minutes} min left): "
            f"{self.reason}"
        )

    def summary(self, now_ms: int) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "reason": self.reason,
            "command": self.command,
            "standing": self.standing,
            "takenAt": _iso(self.taken_at_ms),
            "until": _iso(self.expires_at_ms),
            "untilMs": self.expires_at_ms,
            "minutesLeft": max(0, (self.expires_at_ms - now_ms) // 60000),
        }

    def to_item(self, key: str) -> dict[str, Any]:
        return {
            "connectorId": key, "holder": self.holder, "reason": self.reason, "command": self.command,
            "takenAtMs": self.taken_at_ms, "expiresAtMs": self.expires_at_ms, "token": self.token,
            "standing": self.standing,
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Hold:
        return cls(
            holder=str(item.get("holder", "?")), reason=str(item.get("reason", "")),
            command=str(item.get("command", "?")), taken_at_ms=int(item.get("takenAtMs", 0)),
            # An item without a readable expiry is treated as expired: a hold must never outlive its word.
            expires_at_ms=int(item.get("expiresAtMs", 0)), token=str(item.get("token", "")),
            standing=bool(item.get("standing", False)),
        )


def check_hold_request(holder: Any, reason: Any, seconds: Any) -> tuple[str, str, float]:
    """(holder, reason, seconds) checked: printable text of bounded length, a duration from 1 s to the maximum."""
    for field, value, limit in (("holder", holder, MAX_HOLDER_LENGTH), ("reason", reason, MAX_REASON_LENGTH)):
        if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
            raise BadHold(f"Hold `{field}` must be printable text of 1 to {limit} characters, got {value!r:.80}.")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 1 <= seconds <= MAX_HOLD_SECONDS:
        raise BadHold(f"Hold duration must be from 1 second to {MAX_HOLD_SECONDS // 3600} hours, got {seconds!r}.")
    return holder.strip(), reason.strip(), float(seconds)


class HoldStore:
    def __init__(self, table: Any, key: str, clock: Clock = time.time):
        self.table = table
        self.key = key
        self.clock = clock

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def current(self) -> Hold | None:
        """The hold in force, or None (no hold, or it expired)."""
        item = self.table.get_item(Key={"connectorId": self.key}, ConsistentRead=True).get("Item")
        hold = Hold.from_item(item) if item else None
        return hold if hold and hold.in_force(self._now_ms()) else None

    def take(self, holder: str, reason: str, command: str, seconds: float, *, standing: bool) -> Hold:
        """Take the hold (or replace the same holder's); HoldRefused when another holder's is in force."""
        holder, reason, seconds = check_hold_request(holder, reason, seconds)
        now = self._now_ms()
        hold = Hold(holder, reason, command, now, now + int(seconds * 1000), secrets.token_hex(8), standing)
        try:
            self.table.put_item(
                Item=hold.to_item(self.key),
                ConditionExpression="attribute_not_exists(connectorId) OR expiresAtMs <= :now OR holder = :holder",
                ExpressionAttributeValues={":now": now, ":holder": holder},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            other = self.current()
            raise HoldRefused(_refusal(other, now, command)) from None
        return hold

    def release(self, hold: Hold) -> bool:
        """Give `hold` back; False when it had already been replaced (or expired and taken by someone else)."""
        try:
            self.table.delete_item(
                Key={"connectorId": self.key},
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": hold.token},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_any(self) -> Hold | None:
        """End whatever hold there is (`ops release`): the hold that was in force, or None."""
        answer = self.table.delete_item(Key={"connectorId": self.key}, ReturnValues="ALL_OLD")
        item = answer.get("Attributes")
        hold = Hold.from_item(item) if item else None
        return hold if hold and hold.in_force(self._now_ms()) else None

    def acquire(self, holder: str, reason: str, command: str, seconds: float) -> tuple[Hold, bool]:
        """The connector held for one action: (the same holder's standing hold, False) when there is one, else
        (a hold of `seconds` taken now, True): the caller gives back only what it took."""
        mine = self.current()
        if mine is not None and mine.standing and mine.holder == str(holder).strip():
            return mine, False
        return self.take(holder, reason, command, min(seconds, MAX_HOLD_SECONDS), standing=False), True

    @contextmanager
    def held(self, holder: str, reason: str, command: str, seconds: float) -> Iterator[Hold]:
        """`acquire`, and the hold taken given back when the action ends, however it ends."""
        hold, taken = self.acquire(holder, reason, command, seconds)
        try:
            yield hold
        finally:
            if taken:
                self.release(hold)

def _refusal(other: Hold | None, now_ms: int, command: str) -> str:
    if other is None:  # it expired or was released between the write and the read: a retry will win
        return f"Refused: {command} lost a race for the connector's hold; try again."
    return (
        f"Refused: the connector is {other.describe(now_ms)}. Wait until then, or end the hold with "
        "`ops release` (after talking to its holder), and try again."
    )

"""Reading real change events back from the local broker, as a consumer of the data topics sees them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

READ_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Event:
    topic: str
    offset: int
    key: Any
    value: Any  # the payload (the JsonConverter's schema wrapper removed); None for a tombstone
    raw: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp: int | None = None  # the Kafka record's timestamp
    timestamp_type: int | None = None  # 0: CreateTime (the producer's), 1: LogAppendTime

    def header(self, name: str) -> str | None:
        return next((v.decode() for k, v in self.headers if k == name and v is not None), None)

    @property
    def op(self) -> str | None:
        if not isinstance(self.value, dict):
            return None
        return self.value.get("op") or self.value.get("__op")

    @property
    def row(self) -> dict | None:
        """The row after the change (envelope `after`, or `before` for a delete), or the flat record itself."""
        if not isinstance(self.value, dict):
            return None
        if "after" in self.value or "before" in self.value:
            return self.value.get("after") or self.value.get("before")
        return self.value


def _payload(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:  # Connect's own records (e.g. the config topic's session keys) are not all JSON
        return raw.decode(errors="replace")
    if isinstance(decoded, dict) and set(decoded) == {"schema", "payload"}:
        return decoded["payload"]
    return decoded


def read_topic(bootstrap_servers: str, topic: str, until: Callable[[list[Event]], bool],
               what: str, timeout_s: float = READ_TIMEOUT_S) -> list[Event]:
    """Every event of `topic` from its start, read until `until(events)` holds; AssertionError after `timeout_s`."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None)
    events: list[Event] = []
    try:
        deadline = time.monotonic() + timeout_s
        partitions: list[TopicPartition] = []
        while not partitions:
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            if not partitions:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{what}: topic {topic} never appeared")
                time.sleep(0.5)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while not until(events):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout_s:.0f} s; read {len(events)} events of {topic}: "
                                     f"{[e.value for e in events[-5:]]}")
            for records in consumer.poll(timeout_ms=500).values():
                events.extend(
                    Event(r.topic, r.offset, _payload(r.key), _payload(r.value), r.value, tuple(r.headers or ()),
                          r.timestamp, r.timestamp_type)
                    for r in records
                )
        return events
    finally:
        consumer.close()


def end_offsets(bootstrap_servers: str, topics: Sequence[str]) -> dict[str, int]:
    """The number of records each topic holds (one partition each), 0 for a topic that does not exist."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None)
    try:
        existing = consumer.topics()
        partitions = [TopicPartition(t, 0) for t in topics if t in existing]
        ends = consumer.end_offsets(partitions) if partitions else {}
        return {t: ends.get(TopicPartition(t, 0), 0) for t in topics}
    finally:
        consumer.close()


def rows_by_id(events: Sequence[Event], op: str | None = None) -> dict[int, list[Event]]:
    """Events grouped by the row's WVR_ID (only `op` events when given)."""
    grouped: dict[int, list[Event]] = {}
    for event in events:
        row = event.row
        if row is None or (op is not None and event.op != op):
            continue
        grouped.setdefault(row["WVR_ID"], []).append(event)
    return grouped

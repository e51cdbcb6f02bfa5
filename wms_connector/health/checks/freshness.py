"""End-to-end freshness: how old the newest Oracle commit of this stage's heartbeat row is, as it arrived in Kafka.

Debezium's `heartbeat.action.query` upserts the stage's row of the DBA's heartbeat table every heartbeat interval,
and the table is captured like the business tables into `<topic.prefix>.SCHEMA.TABLE`. So a fresh heartbeat
event proves the whole path works: Oracle commit → redo → LogMiner → Debezium → Kafka. A connector that says
RUNNING but captures nothing shows here as an ageing heartbeat, whatever its other signals say.

Each run reads only the last few records of the topic (no consumer group, no commits) and takes the newest event
whose row is this stage's (stages sharing a database never vouch for each other), in the envelope format or the
flat one: the event's source timestamp (the change's time in Oracle) against now.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import TopicPartition

from wms_connector.connector.source import HEARTBEAT_STAGE_COLUMN
from wms_connector.health.checks.topics import ConsumerFactory

# Records read back from the end of each partition: every stage sharing the table writes one per interval.
LOOKBACK_RECORDS = 500
READ_TIMEOUT_SECONDS = 8.0
# Beyond this an event "from the future" is not rounding: the clocks disagree, and the summary says so.
CLOCK_SKEW_TOLERANCE_MS = 60_000


@dataclass(frozen=True)
class FreshnessFindings:
    configured: bool
    topic: str | None = None
    age_ms: float | None = None  # now - the newest heartbeat commit of this stage (0 when it is ahead of now)
    commit_ms: int | None = None
    clock_ahead_ms: float | None = None  # how far the newest event is ahead of this run's clock, when it is
    error: str | None = None

    @property
    def summary(self) -> str:
        if not self.configured:
            return "unknown: no heartbeat table is configured (wms-connector:connector.heartbeatTable)"
        if self.age_ms is None:
            return f"unknown: {self.error}"
        return f"{self.age_ms / 1000:.0f} s since the newest heartbeat commit reached Kafka"


def heartbeat_commit_ms(value: bytes | None, stage: str) -> int | None:
    """The source timestamp of a heartbeat-row change event of `stage`, or None (another stage's row, a delete,
    a tombstone, not an event). JSON with or without the converter's schema wrapper; envelope or flat."""
    if not value:
        return None
    try:
        event = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(event, dict) and "payload" in event and "schema" in event:
        event = event["payload"]
    if not isinstance(event, dict):
        return None
    if isinstance(event.get("after"), dict):  # envelope
        row, source = event["after"], event.get("source") or {}
        stamp = source.get("ts_ms") if isinstance(source, dict) else None
    else:  # flat (ExtractNewRecordState with source.ts_ms added as __source_ts_ms)
        row, stamp = event, event.get("__source_ts_ms")
        if str(event.get("__deleted", "false")).lower() == "true":
            return None
    if row.get(HEARTBEAT_STAGE_COLUMN) != stage or isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    return int(stamp)


def newest_heartbeat_commit_ms(
    consumer_factory: ConsumerFactory, topic: str, stage: str, timeout_s: float = READ_TIMEOUT_SECONDS
) -> int | None:
    consumer = consumer_factory()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            raise LookupError(f"topic {topic} does not exist")
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        wanted = {tp: ends[tp] for tp in partitions if ends[tp] > starts[tp]}
        if not wanted:
            return None
        consumer.assign(list(wanted))
        for tp in wanted:
            consumer.seek(tp, max(starts[tp], ends[tp] - LOOKBACK_RECORDS))
        newest: int | None = None
        deadline = time.monotonic() + timeout_s
        while wanted and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    stamp = heartbeat_commit_ms(record.value, stage)
                    if stamp is not None and (newest is None or stamp > newest):
                        newest = stamp
                if consumer.position(tp) >= wanted.get(tp, 0):
                    wanted.pop(tp, None)
        if wanted:
            raise TimeoutError(f"could not read to the end of {topic} within {timeout_s:.0f}s")
        return newest
    finally:
        consumer.close()


Clock = Callable[[], float]


def check_freshness(
    consumer_factory: ConsumerFactory | None, topic: str | None, stage: str, clock: Clock = time.time
) -> FreshnessFindings:
    if topic is None:
        return FreshnessFindings(configured=False)
    if consumer_factory is None:
        return FreshnessFindings(configured=True, topic=topic, error="no Kafka connection configured")
    try:
        commit_ms = newest_heartbeat_commit_ms(consumer_factory, topic, stage)
    except Exception as exc:  # kafka-python raises many types; any of them means "unknown", never a crash
        return FreshnessFindings(configured=True, topic=topic, error=f"{type(exc).__name__}: {exc}")
    if commit_ms is None:
        return FreshnessFindings(
            configured=True, topic=topic, error=f"no heartbeat event of stage {stage} in {topic} yet"
        )
    now_ms = clock() * 1000
    ahead = commit_ms - now_ms
    return FreshnessFindings(
        configured=True,
        topic=topic,
        commit_ms=commit_ms,
        age_ms=max(0.0, now_ms - commit_ms),
        clock_ahead_ms=ahead if ahead > CLOCK_SKEW_TOLERANCE_MS else None,
    )

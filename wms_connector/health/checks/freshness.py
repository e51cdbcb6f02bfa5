"""End-to-end freshness: how far behind the database the newest heartbeat of this stage reached Kafka.

Debezium's `heartbeat.action.query` upserts the stage's row of the DBA's heartbeat table every heartbeat interval,
and the table is captured like the business tables into `<topic.prefix>.SCHEMA.TABLE`. So a fresh heartbeat
event proves the whole path works: Oracle commit → redo → LogMiner → Debezium → Kafka. A connector that says
RUNNING but captures nothing shows here as an ageing heartbeat, whatever its other signals say.

Each run reads only the last few records of the topic (no consumer group, no commits) and takes the newest event
of this stage's row written by this stage's connector. Its age rests on the worker's clock, never the database's:
- the Kafka record's timestamp is when the worker's producer sent it (Debezium's EventDispatcher builds each
  SourceRecord with no timestamp, so Connect's producer stamps CreateTime from the worker's clock), so
  now - that timestamp grows from the moment capture stops, whatever the database's clock says;
- while capture is behind (a catch-up), records are written now about changes made long ago: Debezium's
  `LagFromSourceInMilliseconds` says how long ago, on the database's clock turned into the worker's
  (LogMinerStreamingChangeEventSourceMetrics.getAdjustedChangeTime). The age is the larger of the two.
The event's `source.ts_ms` is the database's own clock: against the record's timestamp less that lag it says how
far the database's clock is off, which has its own alarm (consumers and Debezium's lag figures read that clock);
measured only while capture is current (the lag under CATCH_UP_LAG_MS), when the lag barely moves between the
record and the scrape.

Named stages share topic names, so on a shared Kafka cluster another stage's connector can write into this stage's
topics. Every record carries the writing stage in a header (STAGE_HEADER, connector/config.py): a record here from
another stage is reported, never counted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import TopicPartition

from wms_connector.connector.source import HEARTBEAT_STAGE_COLUMN, STAGE_HEADER
from wms_connector.health.catch_up import CATCH_UP_LAG_MS
from wms_connector.health.checks.topics import ConsumerFactory

# Records read back from the end of each partition: every stage sharing the table writes one per interval.
LOOKBACK_RECORDS = 500
READ_TIMEOUT_SECONDS = 8.0


@dataclass(frozen=True)
class HeartbeatEvent:
    row_stage: str  # the heartbeat row's stage (every stage sharing the database has its own row)
    source_ms: int  # source.ts_ms: when the database says the change happened, on its clock
    written_ms: int  # the Kafka record's timestamp: when the worker's producer sent it, on the worker's clock
    writer: str | None  # the stage whose connector wrote the record (None: written before the header existed)


@dataclass(frozen=True)
class HeartbeatRead:
    newest: HeartbeatEvent | None  # the newest of this stage's row written by this stage's connector
    foreign_writers: tuple[str, ...] = ()  # other stages whose connectors wrote into this topic


@dataclass(frozen=True)
class FreshnessFindings:
    configured: bool
    topic: str | None = None
    age_ms: float | None = None  # how far behind the database the newest heartbeat reached Kafka
    written_ms: int | None = None
    db_clock_ahead_ms: float | None = None  # the database's clock against the worker's (negative: behind)
    foreign_writers: tuple[str, ...] = ()
    topic_read: bool = False  # the topic was read to its end (foreign_writers is a finding, not a default)
    error: str | None = None

    @property
    def summary(self) -> str:
        if not self.configured:
            return "unknown: no heartbeat table is configured (wms-connector:connector.heartbeatTable)"
        if self.age_ms is None:
            return f"unknown: {self.error}"
        return f"{self.age_ms / 1000:.0f} s since the newest heartbeat commit reached Kafka"

    @property
    def clock_summary(self) -> str | None:
        if self.db_clock_ahead_ms is None:
            return None
        direction = "ahead of" if self.db_clock_ahead_ms >= 0 else "behind"
        return f"the database's clock is about {abs(self.db_clock_ahead_ms) / 1000:.0f} s {direction} the worker's"


def heartbeat_row(value: bytes | None) -> tuple[str, int] | None:
    """(row stage, source.ts_ms) of a heartbeat-row change event, or None (a delete, a tombstone, not an event).
    JSON with or without the converter's schema wrapper; envelope or flat."""
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
    stage = row.get(HEARTBEAT_STAGE_COLUMN)
    if not isinstance(stage, str) or isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    return stage, int(stamp)


def record_writer(headers) -> str | None:
    for name, value in headers or ():
        if name == STAGE_HEADER and value is not None:
            return value.decode("utf-8", "replace")
    return None


def read_heartbeats(
    consumer_factory: ConsumerFactory, topic: str, stage: str, timeout_s: float = READ_TIMEOUT_SECONDS
) -> HeartbeatRead:
    consumer = consumer_factory()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            raise LookupError(f"topic {topic} does not exist")
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        wanted = {tp: ends[tp] for tp in partitions if ends[tp] > starts[tp]}
        if not wanted:
            return HeartbeatRead(None)
        consumer.assign(list(wanted))
        for tp in wanted:
            consumer.seek(tp, max(starts[tp], ends[tp] - LOOKBACK_RECORDS))
        newest: HeartbeatEvent | None = None
        foreign: set[str] = set()
        deadline = time.monotonic() + timeout_s
        while wanted and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    writer = record_writer(record.headers)
                    if writer is not None and writer != stage:
                        foreign.add(writer)
                        continue
                    row = heartbeat_row(record.value)
                    if row is None or row[0] != stage:
                        continue
                    event = HeartbeatEvent(row[0], row[1], int(record.timestamp), writer)
                    # A tie on the record time (a burst while catching up) goes to the later record: one stage's
                    # row events share a partition, read in offset order, so that is the later commit.
                    if newest is None or event.written_ms >= newest.written_ms:
                        newest = event
                if consumer.position(tp) >= wanted.get(tp, 0):
                    wanted.pop(tp, None)
        if wanted:
            raise TimeoutError(f"could not read to the end of {topic} within {timeout_s:.0f}s")
        return HeartbeatRead(newest, tuple(sorted(foreign)))
    finally:
        consumer.close()


Clock = Callable[[], float]


def check_freshness(
    consumer_factory: ConsumerFactory | None,
    topic: str | None,
    stage: str,
    clock: Clock = time.time,
    lag_from_source_ms: float | None = None,
) -> FreshnessFindings:
    """`lag_from_source_ms`: Debezium's LagFromSourceInMilliseconds this run, when the worker was scraped."""
    if topic is None:
        return FreshnessFindings(configured=False)
    if consumer_factory is None:
        return FreshnessFindings(configured=True, topic=topic, error="no Kafka connection configured")
    try:
        read = read_heartbeats(consumer_factory, topic, stage)
    except Exception as exc:  # kafka-python raises many types; any of them means "unknown", never a crash
        # kafka-python's errors begin with their class name already; others get it in front.
        named = str(exc) if str(exc).startswith(type(exc).__name__) else f"{type(exc).__name__}: {exc}"
        return FreshnessFindings(configured=True, topic=topic, error=named)
    event = read.newest
    if event is None:
        return FreshnessFindings(
            configured=True, topic=topic, foreign_writers=read.foreign_writers, topic_read=True,
            error=f"no heartbeat event of stage {stage} in {topic} yet",
        )
    now_ms = clock() * 1000
    behind = max(0.0, lag_from_source_ms or 0.0)
    # Only while capture is current: during a catch-up the lag moves fast between the record and this scrape.
    current = lag_from_source_ms is not None and lag_from_source_ms <= CATCH_UP_LAG_MS
    return FreshnessFindings(
        configured=True,
        topic=topic,
        age_ms=max(0.0, now_ms - event.written_ms, behind),
        written_ms=event.written_ms,
        # The change happened `behind` before its record was written: on the database's clock at source_ms.
        db_clock_ahead_ms=event.source_ms - (event.written_ms - behind) if current else None,
        foreign_writers=read.foreign_writers,
        topic_read=True,
    )

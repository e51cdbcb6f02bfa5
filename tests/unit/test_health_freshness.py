"""Capture freshness (health/checks/freshness.py) without a broker: which heartbeat counts, how old it is, what is
reported when it cannot be told.

The check reads the heartbeat table's topic with kafka-python's KafkaConsumer. Here it reads it through a double of
that consumer (`ConsumerDouble` over an in-memory `Broker`), because the real broker only runs in the integration
suite (tests/integration/test_capture_freshness.py, and test_real_events.py with events Debezium really wrote). The
double answers every call the check makes in the shapes kafka-python 3.0 returns and refuses what it refuses:
partitions_for_topic -> a set of partition ids (empty for a missing topic), end_offsets/beginning_offsets ->
{TopicPartition: int} (KafkaTimeoutError for a partition the cluster does not have), assign/seek/position with
kafka-python's argument checks, poll -> {TopicPartition: [ConsumerRecord, ...]} of at most max_poll_records, waiting
out its timeout when nothing arrives. The records are kafka-python's ConsumerRecord; their values are the Debezium
change events of the heartbeat table as the workers write them (JsonConverter with its schema wrapper; envelope or
flat rows of ExtractNewRecordState), with the stage header that connector/config.py adds. The read's deadline runs on
a test clock that poll advances, so a read that would wait out its timeout costs no real time.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import IllegalStateError, KafkaTimeoutError

from wms_connector.connector.source import STAGE_HEADER
from wms_connector.health.catch_up import CATCH_UP_LAG_MS
from wms_connector.health.checks import freshness
from wms_connector.health.checks.freshness import (
    LOOKBACK_RECORDS,
    READ_TIMEOUT_SECONDS,
    FreshnessFindings,
    HeartbeatEvent,
    HeartbeatRead,
    check_freshness,
    heartbeat_row,
    read_heartbeats,
    record_writer,
)

TOPIC = "aws.wms.cdc.WMS.DEBEZIUM_HEARTBEAT"  # named stages share it (StageTopics.heartbeat_table_topic)
STAGE = "val"
OTHER = "production"
NOW_MS = 1_765_000_000_000  # a whole second: the clock's seconds turn back into exactly these milliseconds
SECOND_MS = 1_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
MAX_POLL_RECORDS = 500  # kafka-python's default max_poll_records


# -- Debezium change events of the heartbeat table (STAGE, LAST_HEARTBEAT), as the workers write them ------------


def _source(source_ms) -> dict:
    return {"version": "3.6.1.Final", "connector": "oracle", "ts_ms": source_ms, "schema": "WMS",
            "table": "DEBEZIUM_HEARTBEAT", "scn": "123456", "commit_scn": "123457"}


def envelope(stage, source_ms, *, op: str = "u") -> dict:
    row = {"STAGE": stage, "LAST_HEARTBEAT": source_ms * 1000 if isinstance(source_ms, int) else None}
    before, after = (row, None) if op == "d" else (None, row)
    return {"before": before, "after": after, "source": _source(source_ms), "op": op, "ts_ms": 0}


def flat(stage, source_ms, *, deleted: str | None = "false") -> dict:
    payload = {"STAGE": stage, "LAST_HEARTBEAT": 0, "__op": "d" if deleted == "true" else "u",
               "__source_ts_ms": source_ms}
    if deleted is not None:
        payload["__deleted"] = deleted
    return payload


def wrapped(payload, schema: dict | None = None) -> bytes:
    """The JsonConverter's value with schemas.enable (the workers' setting, connect-image/entrypoint.py)."""
    return json.dumps({"schema": schema or {"type": "struct", "name": "Envelope"}, "payload": payload}).encode()


def bare(payload) -> bytes:
    """The JsonConverter's value without the schema wrapper (schemas.enable=false)."""
    return json.dumps(payload).encode()


def key(stage: str) -> bytes:
    return json.dumps({"schema": {"type": "struct"}, "payload": {"STAGE": stage}}).encode()


# -- a double of kafka-python's KafkaConsumer over an in-memory broker --------------------------------------------


class TestClock:
    """The monotonic clock the read's deadline runs on; the consumer double's poll advances it."""

    __test__ = False

    def __init__(self) -> None:
        self.now = 5_000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return NOW_MS / 1000


class Broker:
    """Partitions with their records, log start offsets (retention) and end offsets, as a broker keeps them."""

    def __init__(self, clock: TestClock) -> None:
        self.clock = clock
        self.logs: dict[TopicPartition, list[ConsumerRecord]] = {}
        self.log_start: dict[TopicPartition, int] = {}
        self.next_offset: dict[TopicPartition, int] = {}
        self.unreachable: set[TopicPartition] = set()  # partitions whose leader never answers a fetch
        self.offsets_unanswered = False  # no leader answers ListOffsets (brokers down or unreachable)
        self.before_poll: list[Callable[[int], None]] = []  # records that reach the broker while a read runs
        self.consumers: list[ConsumerDouble] = []

    def create(self, topic: str = TOPIC, partitions: int = 1) -> Broker:
        for p in range(partitions):
            tp = TopicPartition(topic, p)
            self.logs[tp], self.log_start[tp], self.next_offset[tp] = [], 0, 0
        return self

    def send(self, value: bytes | None, *, written_ms: int, writer: str | None = STAGE, row_stage: str = STAGE,
             partition: int = 0, topic: str = TOPIC, headers: list | None = None) -> None:
        """One record as the worker of stage `writer` sends it at `written_ms` on its clock (CreateTime)."""
        tp = TopicPartition(topic, partition)
        if headers is None:
            headers = [] if writer is None else [(STAGE_HEADER, writer.encode())]
        offset = self.next_offset[tp]
        self.next_offset[tp] = offset + 1
        key_bytes = key(row_stage)
        self.logs[tp].append(ConsumerRecord(
            topic, partition, 0, offset, written_ms, 0, key_bytes, value, headers, None, len(key_bytes),
            -1 if value is None else len(value), sum(len(k) + len(v or b"") for k, v in headers) if headers else -1,
        ))

    def fill(self, count: int, *, written_ms: int, partition: int = 0, row_stage: str = OTHER) -> None:
        """`count` heartbeat rows of another stage sharing the database, captured by this stage's connector."""
        for i in range(count):
            self.send(wrapped(envelope(row_stage, written_ms + i)), written_ms=written_ms + i,
                      row_stage=row_stage, partition=partition)

    def delete_before(self, tp: TopicPartition, offset: int) -> None:
        """Retention: records before `offset` are gone, the log starts there."""
        self.log_start[tp] = offset
        self.logs[tp] = [r for r in self.logs[tp] if r.offset >= offset]

    def consumer(self, fetch_records: int = MAX_POLL_RECORDS) -> Callable[[], ConsumerDouble]:
        def factory() -> ConsumerDouble:
            consumer = ConsumerDouble(self, fetch_records)
            self.consumers.append(consumer)
            return consumer

        return factory


class ConsumerDouble:
    """The calls the freshness check makes of kafka.KafkaConsumer (kafka/consumer/group.py), as they answer.

    `fetch_records`: records one fetch response brings per partition (the real one is bounded by
    max_partition_fetch_bytes), so a long backlog arrives over several polls."""

    def __init__(self, broker: Broker, fetch_records: int) -> None:
        self.broker = broker
        self.fetch_records = fetch_records
        self.positions: dict[TopicPartition, int | None] = {}
        self.closed = False
        self.polls = 0

    def partitions_for_topic(self, topic):
        return {tp.partition for tp in self.broker.logs if tp.topic == topic} or set()

    def _offsets(self, partitions, which) -> dict:
        answer = {}
        for tp in partitions:
            # ListOffsets retries until its timeout when no leader answers, or the cluster lacks the partition.
            if self.broker.offsets_unanswered or tp not in self.broker.logs:
                raise KafkaTimeoutError("Failed to get offsets by timestamps in 6000 ms")
            answer[tp] = which(tp)
        return answer

    def end_offsets(self, partitions, timeout_ms=None):
        return self._offsets(partitions, lambda tp: self.broker.next_offset[tp])

    def beginning_offsets(self, partitions, timeout_ms=None):
        return self._offsets(partitions, lambda tp: self.broker.log_start[tp])

    def assign(self, partitions):
        if not partitions:  # kafka-python: an empty assignment unsubscribes
            self.positions = {}
            return
        self.positions = {tp: self.positions.get(tp) for tp in set(partitions)}

    def seek(self, partition, offset):
        if not isinstance(partition, TopicPartition):
            raise TypeError("partition must be a TopicPartition namedtuple")
        if not isinstance(offset, int) or offset < 0:
            raise ValueError("Offset must be int >= 0")
        if partition not in self.positions:
            raise ValueError("Unassigned partition")
        self.positions[partition] = offset

    def _resolve(self, tp: TopicPartition) -> int:
        """A position outside the log is reset by auto_offset_reset ('latest', kafka-python's default): the end."""
        position = self.positions[tp]
        if position is None or not self.broker.log_start[tp] <= position <= self.broker.next_offset[tp]:
            position = self.positions[tp] = self.broker.next_offset[tp]
        return position

    def position(self, partition, timeout_ms=None):
        if not isinstance(partition, TopicPartition):
            raise TypeError("partition must be a TopicPartition namedtuple")
        if partition not in self.positions:
            raise IllegalStateError("Partition is not assigned")
        return self._resolve(partition)

    def poll(self, timeout_ms=0, max_records=None, update_offsets=True):
        if timeout_ms < 0:
            raise ValueError("Timeout must not be negative")
        max_records = MAX_POLL_RECORDS if max_records is None else max_records
        if self.closed:
            raise IllegalStateError("KafkaConsumer is closed")
        for arrive in self.broker.before_poll:
            arrive(self.polls)
        self.polls += 1
        records: dict[TopicPartition, list[ConsumerRecord]] = {}
        budget = max_records
        for tp in sorted(self.positions):
            if budget == 0 or tp in self.broker.unreachable:
                continue
            position = self._resolve(tp)
            batch = [r for r in self.broker.logs[tp] if r.offset >= position][:min(self.fetch_records, budget)]
            if batch:
                records[tp] = batch
                self.positions[tp] = batch[-1].offset + 1
                budget -= len(batch)
        if not records:  # nothing to return: the real poll blocks for its whole timeout
            self.broker.clock.now += timeout_ms / 1000
        return records

    def close(self, autocommit=True, timeout_ms=None):
        self.closed = True


@pytest.fixture
def clock(monkeypatch) -> TestClock:
    test_clock = TestClock()
    monkeypatch.setattr(freshness, "time", test_clock)
    return test_clock


@pytest.fixture
def broker(clock) -> Broker:
    return Broker(clock)


def _check(broker: Broker, *, stage: str = STAGE, now_ms: int = NOW_MS, lag_ms: float | None = None,
           topic: str | None = TOPIC, fetch_records: int = MAX_POLL_RECORDS) -> FreshnessFindings:
    return check_freshness(broker.consumer(fetch_records), topic, stage, clock=lambda: now_ms / 1000,
                           lag_from_source_ms=lag_ms)


# -- heartbeat_row: which record values are heartbeat-row change events ------------------------------------------

WRITTEN = NOW_MS - 20 * SECOND_MS

ROWS = [
    ("envelope", wrapped(envelope(STAGE, WRITTEN)), (STAGE, WRITTEN)),
    ("flat", wrapped(flat(STAGE, WRITTEN), {"type": "struct"}), (STAGE, WRITTEN)),
    ("envelope, no schema wrapper", bare(envelope(STAGE, WRITTEN)), (STAGE, WRITTEN)),
    ("flat, no schema wrapper", bare(flat(STAGE, WRITTEN)), (STAGE, WRITTEN)),
    ("flat, without the delete marker", wrapped(flat(STAGE, WRITTEN, deleted=None)), (STAGE, WRITTEN)),
    ("another stage's row", wrapped(envelope(OTHER, WRITTEN)), (OTHER, WRITTEN)),
    ("a snapshot read", wrapped(envelope(STAGE, WRITTEN, op="r")), (STAGE, WRITTEN)),
    ("a float timestamp", bare(envelope(STAGE, WRITTEN + 0.75)), (STAGE, WRITTEN)),
]

NOT_EVENTS = [
    ("a tombstone", None),
    ("an empty value", b""),
    ("not JSON", b"heartbeat"),
    ("not UTF-8", b"\xc3\x28"),
    ("JSON null", b"null"),
    ("a number", b"42"),
    ("a list", b'["schema", "payload"]'),
    ("a string", b'"schema"'),
    ("a schema with no payload", b'{"schema": {"type": "struct"}}'),
    ("a null payload", b'{"schema": null, "payload": null}'),
    ("an envelope delete", wrapped(envelope(STAGE, WRITTEN, op="d"))),
    ("a flat delete (rewrite mode)", wrapped(flat(STAGE, WRITTEN, deleted="true"))),
    ("a flat delete, marker in capitals", bare(flat(STAGE, WRITTEN, deleted="TRUE"))),
    ("an envelope with no source", bare({**envelope(STAGE, WRITTEN), "source": None})),
    ("an envelope whose source is not an object", bare({**envelope(STAGE, WRITTEN), "source": "oracle"})),
    ("an envelope with no source.ts_ms", bare({**envelope(STAGE, WRITTEN), "source": {"connector": "oracle"}})),
    ("a flat row with no __source_ts_ms", bare({"STAGE": STAGE, "LAST_HEARTBEAT": 0, "__deleted": "false"})),
    ("a row with no stage", bare(envelope(None, WRITTEN))),
    ("a row whose stage is a number", bare(envelope(7, WRITTEN))),
    ("a boolean source.ts_ms", bare(envelope(STAGE, True))),
    ("a string source.ts_ms", bare(envelope(STAGE, str(WRITTEN)))),
    ("a string __source_ts_ms", bare(flat(STAGE, str(WRITTEN)))),
]


@pytest.mark.parametrize(("value", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_a_heartbeat_row_change_event_gives_its_stage_and_source_time(value, expected):
    assert heartbeat_row(value) == expected


@pytest.mark.parametrize("value", [r[1] for r in NOT_EVENTS], ids=[r[0] for r in NOT_EVENTS])
def test_anything_else_is_not_a_heartbeat_and_never_an_error(value):
    assert heartbeat_row(value) is None


# -- record_writer: the stage header -------------------------------------------------------------------------------

HEADERS = [
    ("the stage header", [(STAGE_HEADER, b"val")], "val"),
    ("no headers", [], None),
    ("another header first", [("__debezium.context.connectorName", b"oracle"), (STAGE_HEADER, b"val")], "val"),
    ("only another header", [("__debezium.context.connectorName", b"oracle")], None),
    ("a stage header without a value", [(STAGE_HEADER, None)], None),
    ("a stage header that is not UTF-8", [(STAGE_HEADER, b"\xffval")], "\ufffdval"),
]


@pytest.mark.parametrize(("headers", "expected"), [h[1:] for h in HEADERS], ids=[h[0] for h in HEADERS])
def test_the_writing_stage_is_the_stage_header(headers, expected):
    assert record_writer(headers) == expected


# -- read_heartbeats: the newest of this stage's row, written by this stage's connector -----------------------------


def test_the_newest_of_this_stages_own_events_counts_whatever_the_format(broker):
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS - HOUR_MS - 7)), written_ms=NOW_MS - HOUR_MS)
    # Another stage sharing the database: its row, captured by this stage's connector, is no proof for this stage.
    broker.send(wrapped(envelope(OTHER, NOW_MS - SECOND_MS)), written_ms=NOW_MS - SECOND_MS, row_stage=OTHER)
    broker.send(b'{"schema": null, "payload": null}', written_ms=NOW_MS - SECOND_MS)
    broker.send(None, written_ms=NOW_MS - SECOND_MS)  # a tombstone
    # Written before records named their stage: this stage's row still counts.
    broker.send(wrapped(envelope(STAGE, NOW_MS - 2 * HOUR_MS)), written_ms=NOW_MS - 2 * HOUR_MS, writer=None)
    newest = NOW_MS - 90 * SECOND_MS
    broker.send(wrapped(flat(STAGE, newest - 3), {"type": "struct"}), written_ms=newest)
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(
        HeartbeatEvent(STAGE, newest - 3, newest, STAGE), ()
    )


def test_a_newest_event_written_before_the_stage_header_existed_counts_with_no_writer(broker):
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS - HOUR_MS)), written_ms=NOW_MS - HOUR_MS)
    broker.send(wrapped(envelope(STAGE, NOW_MS - 5 * SECOND_MS)), written_ms=NOW_MS - 4 * SECOND_MS, writer=None)
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(
        HeartbeatEvent(STAGE, NOW_MS - 5 * SECOND_MS, NOW_MS - 4 * SECOND_MS, None), ()
    )


def test_of_two_events_sent_in_the_same_millisecond_the_later_commit_counts(broker):
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS - 9 * SECOND_MS)), written_ms=NOW_MS - SECOND_MS)
    broker.send(wrapped(envelope(STAGE, NOW_MS - 2 * SECOND_MS)), written_ms=NOW_MS - SECOND_MS)
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(
        HeartbeatEvent(STAGE, NOW_MS - 2 * SECOND_MS, NOW_MS - SECOND_MS, STAGE), ()
    )


def test_other_stages_writing_the_topic_are_reported_and_never_vouch(broker):
    # Named stages share topic names: production's and staging's connectors write into the topic val reads, with
    # val's row too when they share its database. Val's freshness rests only on its own connector's records.
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS - 5 * MINUTE_MS)), written_ms=NOW_MS - 5 * MINUTE_MS)
    broker.send(wrapped(envelope(STAGE, NOW_MS - SECOND_MS)), written_ms=NOW_MS - SECOND_MS, writer="staging")
    broker.send(wrapped(envelope(STAGE, NOW_MS - SECOND_MS)), written_ms=NOW_MS - SECOND_MS, writer=OTHER)
    broker.send(wrapped(envelope(OTHER, NOW_MS)), written_ms=NOW_MS, writer=OTHER, row_stage=OTHER)
    broker.send(wrapped(envelope(STAGE, NOW_MS - 2 * MINUTE_MS)), written_ms=NOW_MS - 2 * MINUTE_MS)
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(
        HeartbeatEvent(STAGE, NOW_MS - 2 * MINUTE_MS, NOW_MS - 2 * MINUTE_MS, STAGE), (OTHER, "staging")
    )


def test_an_empty_partition_is_not_waited_for(broker):
    # The table's key is the stage: each stage's row lives in one partition, others can stay empty.
    broker.create(partitions=3)
    broker.fill(3, written_ms=NOW_MS - MINUTE_MS, partition=2)
    broker.send(wrapped(envelope(STAGE, NOW_MS - 9 * SECOND_MS)), written_ms=NOW_MS - 8 * SECOND_MS, partition=1)
    start = broker.clock.now
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(
        HeartbeatEvent(STAGE, NOW_MS - 9 * SECOND_MS, NOW_MS - 8 * SECOND_MS, STAGE), ()
    )
    assert broker.clock.now - start < 0.5  # read to its end at once, without waiting out a poll


def test_a_read_stops_as_soon_as_every_partition_is_read_to_its_end(broker):
    broker.create(partitions=2)
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS)
    broker.fill(2, written_ms=NOW_MS, partition=1)
    start = broker.clock.now
    read_heartbeats(broker.consumer(), TOPIC, STAGE)
    assert broker.clock.now - start < 0.5


def test_a_topic_with_no_records_has_no_heartbeat(broker):
    broker.create(partitions=2)
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS)
    broker.delete_before(TopicPartition(TOPIC, 0), 1)  # retention removed it: start == end
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(None, ())


def test_a_backlog_fetched_over_several_polls_is_read_to_its_end(broker):
    broker.create(partitions=2)
    broker.fill(350, written_ms=NOW_MS - HOUR_MS)
    broker.send(wrapped(envelope(STAGE, NOW_MS - 30 * SECOND_MS)), written_ms=NOW_MS - 30 * SECOND_MS)
    broker.fill(120, written_ms=NOW_MS - HOUR_MS, partition=1)
    broker.send(wrapped(envelope(STAGE, NOW_MS - 20 * SECOND_MS)), written_ms=NOW_MS - 20 * SECOND_MS, partition=1)
    read = read_heartbeats(broker.consumer(fetch_records=100), TOPIC, STAGE)
    assert read == HeartbeatRead(HeartbeatEvent(STAGE, NOW_MS - 20 * SECOND_MS, NOW_MS - 20 * SECOND_MS, STAGE), ())


def test_only_the_last_records_of_a_partition_are_read(broker):
    broker.create(partitions=2)
    # Partition 0: this stage's row is the oldest record still in reach; partition 1: one record further back.
    broker.send(wrapped(envelope(STAGE, NOW_MS - 2 * HOUR_MS)), written_ms=NOW_MS - 2 * HOUR_MS)
    broker.fill(LOOKBACK_RECORDS - 1, written_ms=NOW_MS - HOUR_MS)
    broker.send(wrapped(envelope(STAGE, NOW_MS - MINUTE_MS)), written_ms=NOW_MS - MINUTE_MS, partition=1)
    broker.fill(LOOKBACK_RECORDS, written_ms=NOW_MS - HOUR_MS, partition=1)
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(
        HeartbeatEvent(STAGE, NOW_MS - 2 * HOUR_MS, NOW_MS - 2 * HOUR_MS, STAGE), ()
    )


def test_a_partition_shortened_by_retention_is_read_from_its_start(broker):
    broker.create()
    broker.fill(700, written_ms=NOW_MS - HOUR_MS)
    broker.send(wrapped(envelope(STAGE, NOW_MS - MINUTE_MS)), written_ms=NOW_MS - MINUTE_MS)
    broker.fill(40, written_ms=NOW_MS - HOUR_MS)
    broker.delete_before(TopicPartition(TOPIC, 0), 690)
    assert read_heartbeats(broker.consumer(), TOPIC, STAGE) == HeartbeatRead(
        HeartbeatEvent(STAGE, NOW_MS - MINUTE_MS, NOW_MS - MINUTE_MS, STAGE), ()
    )


def test_a_heartbeat_arriving_during_the_read_counts_and_does_not_break_it(broker):
    # Partition 0 is read to its end first; partition 1's backlog takes more polls, during which the connector
    # writes this stage's next heartbeat into partition 0.
    broker.create(partitions=2)
    broker.send(wrapped(envelope(STAGE, NOW_MS - 10 * SECOND_MS)), written_ms=NOW_MS - 10 * SECOND_MS)
    broker.fill(300, written_ms=NOW_MS - HOUR_MS, partition=1)

    def next_heartbeat(poll: int) -> None:
        if poll == 1:
            broker.send(wrapped(envelope(STAGE, NOW_MS - 1)), written_ms=NOW_MS)

    broker.before_poll.append(next_heartbeat)
    read = read_heartbeats(broker.consumer(fetch_records=100), TOPIC, STAGE)
    assert read == HeartbeatRead(HeartbeatEvent(STAGE, NOW_MS - 1, NOW_MS, STAGE), ())


def test_a_partition_that_never_answers_times_the_read_out(broker):
    broker.create(partitions=2)
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS)
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS, partition=1)
    broker.unreachable.add(TopicPartition(TOPIC, 1))
    start = broker.clock.now
    with pytest.raises(TimeoutError, match=r"^could not read to the end of aws\.wms\.cdc\.WMS\.DEBEZIUM_HEARTBEAT "
                                           r"within 2s$"):
        read_heartbeats(broker.consumer(), TOPIC, STAGE, timeout_s=2.0)
    assert 2.0 <= broker.clock.now - start <= 2.5  # it waits out its time, and not much more
    assert broker.consumers[0].closed


def test_a_missing_topic_is_said_plainly_and_the_consumer_closed(broker):
    broker.create("some.other.topic")
    with pytest.raises(LookupError, match=r"^topic aws\.wms\.cdc\.WMS\.DEBEZIUM_HEARTBEAT does not exist$"):
        read_heartbeats(broker.consumer(), TOPIC, STAGE)
    assert broker.consumers[0].closed


def test_the_consumer_is_closed_after_a_read(broker):
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS)
    read_heartbeats(broker.consumer(), TOPIC, STAGE)
    assert broker.consumers[0].closed


# -- check_freshness: what the health run reports ------------------------------------------------------------------


def test_without_a_heartbeat_table_nothing_is_read_and_it_says_so(broker):
    found = check_freshness(broker.consumer(), None, STAGE, clock=lambda: NOW_MS / 1000)
    assert found == FreshnessFindings(configured=False)
    assert found.summary == "unknown: no heartbeat table is configured (wms-connector:connector.heartbeatTable)"
    assert broker.consumers == []


def test_without_a_kafka_connection_it_is_unknown():
    found = check_freshness(None, TOPIC, STAGE, clock=lambda: NOW_MS / 1000)
    assert found == FreshnessFindings(configured=True, topic=TOPIC, error="no Kafka connection configured")
    assert found.summary == "unknown: no Kafka connection configured"


def test_a_missing_topic_is_unknown_with_the_reason(broker):
    broker.create("some.other.topic")
    found = _check(broker)
    assert found == FreshnessFindings(
        configured=True, topic=TOPIC, error=f"LookupError: topic {TOPIC} does not exist"
    )
    assert found.summary == f"unknown: LookupError: topic {TOPIC} does not exist"


def test_unreachable_brokers_are_unknown_not_a_crash(broker):
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS)
    broker.offsets_unanswered = True
    found = _check(broker, lag_ms=1_000)
    # kafka-python's errors already begin with their class name: it is named once.
    assert found == FreshnessFindings(
        configured=True, topic=TOPIC, error="KafkaTimeoutError: Failed to get offsets by timestamps in 6000 ms",
    )
    assert broker.consumers[0].closed


def test_a_read_that_times_out_is_unknown_with_the_reason(broker):
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS)
    broker.unreachable.add(TopicPartition(TOPIC, 0))
    found = _check(broker, lag_ms=1_000)
    assert found == FreshnessFindings(
        configured=True, topic=TOPIC,
        error=f"TimeoutError: could not read to the end of {TOPIC} within {READ_TIMEOUT_SECONDS:.0f}s",
    )


def test_no_heartbeat_yet_is_unknown_and_the_topic_counts_as_read(broker):
    broker.create()
    found = _check(broker, lag_ms=1_000)
    assert found == FreshnessFindings(
        configured=True, topic=TOPIC, topic_read=True, error=f"no heartbeat event of stage {STAGE} in {TOPIC} yet"
    )
    assert found.summary == f"unknown: no heartbeat event of stage {STAGE} in {TOPIC} yet"


def test_only_another_stages_records_are_unknown_with_the_writer_reported(broker):
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS)), written_ms=NOW_MS, writer=OTHER)
    broker.send(wrapped(envelope(OTHER, NOW_MS)), written_ms=NOW_MS, writer=OTHER, row_stage=OTHER)
    found = _check(broker)
    assert found == FreshnessFindings(
        configured=True, topic=TOPIC, foreign_writers=(OTHER,), topic_read=True,
        error=f"no heartbeat event of stage {STAGE} in {TOPIC} yet",
    )


@pytest.mark.parametrize("db_ahead_ms", [0, HOUR_MS, -HOUR_MS], ids=["clocks-agree", "db-ahead-1h", "db-behind-1h"])
def test_a_fresh_heartbeat_is_seconds_old_whatever_the_database_clock(broker, db_ahead_ms):
    # Committed a second before the worker wrote it (Debezium's lag), on a database clock off by db_ahead_ms.
    written = NOW_MS - 20 * SECOND_MS
    broker.create()
    broker.send(wrapped(envelope(STAGE, written - SECOND_MS + db_ahead_ms)), written_ms=written)
    broker.send(wrapped(envelope(OTHER, NOW_MS)), written_ms=NOW_MS, writer=OTHER, row_stage=OTHER)
    found = _check(broker, lag_ms=1_000)
    assert found == FreshnessFindings(
        configured=True, topic=TOPIC, age_ms=20_000, written_ms=written, db_clock_ahead_ms=db_ahead_ms,
        foreign_writers=(OTHER,), topic_read=True,
    )
    assert found.summary == "20 s since the newest heartbeat commit reached Kafka"


@pytest.mark.parametrize("db_ahead_ms", [0, HOUR_MS, -HOUR_MS], ids=["clocks-agree", "db-ahead-1h", "db-behind-1h"])
def test_a_stopped_capture_ages_from_its_last_record_whatever_the_database_clock(broker, db_ahead_ms):
    # Capture stopped ten minutes ago; no scrape (Debezium's task is not reporting): no lag, no clock to measure.
    written = NOW_MS - 10 * MINUTE_MS
    broker.create()
    broker.send(wrapped(envelope(STAGE, written + db_ahead_ms)), written_ms=written)
    assert _check(broker) == FreshnessFindings(
        configured=True, topic=TOPIC, age_ms=10 * MINUTE_MS, written_ms=written, topic_read=True
    )


def test_a_catch_up_is_as_old_as_debezium_is_behind(broker):
    # The worker writes now what the database committed two hours ago: the record is new, the data is not. The lag
    # moves too fast during a catch-up to measure the database's clock by.
    written = NOW_MS - SECOND_MS
    broker.create()
    broker.send(wrapped(envelope(STAGE, NOW_MS - 2 * HOUR_MS)), written_ms=written)
    assert _check(broker, lag_ms=2 * HOUR_MS) == FreshnessFindings(
        configured=True, topic=TOPIC, age_ms=2 * HOUR_MS, written_ms=written, topic_read=True
    )


LAGS = [
    # (lag_ms, age_ms, db_clock_ahead_ms) for a record written 1 s ago, committed at source 3 s before that
    (None, 1_000, None),
    (0, 1_000, -3_000),
    (-500, 1_000, -3_000),  # a lag below zero is no lag
    (2_000, 2_000, -1_000),
    (CATCH_UP_LAG_MS, CATCH_UP_LAG_MS, CATCH_UP_LAG_MS - 3_000),  # still current at the catch-up boundary
    (CATCH_UP_LAG_MS + 1, CATCH_UP_LAG_MS + 1, None),
]


@pytest.mark.parametrize(("lag_ms", "age_ms", "db_clock_ahead_ms"), LAGS)
def test_the_lag_from_source_adds_to_the_age_and_sets_the_clock_reading(broker, lag_ms, age_ms, db_clock_ahead_ms):
    written = NOW_MS - SECOND_MS
    broker.create()
    broker.send(wrapped(envelope(STAGE, written - 3_000)), written_ms=written)
    assert _check(broker, lag_ms=lag_ms) == FreshnessFindings(
        configured=True, topic=TOPIC, age_ms=age_ms, written_ms=written, db_clock_ahead_ms=db_clock_ahead_ms,
        topic_read=True,
    )


def test_a_record_from_the_workers_future_is_neither_negative_nor_hidden(broker):
    written = NOW_MS + 5 * MINUTE_MS
    broker.create()
    broker.send(wrapped(envelope(STAGE, written)), written_ms=written)
    assert _check(broker).age_ms == 0  # the Lambda's clock behind the worker's
    assert _check(broker, now_ms=NOW_MS + 6 * MINUTE_MS).age_ms == MINUTE_MS


def test_the_database_clock_reading_is_said_in_seconds(broker):
    written = NOW_MS - 20 * SECOND_MS
    broker.create()
    broker.send(wrapped(envelope(STAGE, written - SECOND_MS - HOUR_MS)), written_ms=written)
    found = _check(broker, lag_ms=1_000)
    assert found.clock_summary == "the database's clock is about 3600 s behind the worker's"

"""End-to-end freshness against the real local Kafka: Debezium-shaped heartbeat-row change events (JsonConverter with
schemas, as the workers write them; envelope and flat) written into the heartbeat table's topic the way Connect's
producer writes them (the record's timestamp is the worker's clock; the stage header of connector/config.py), and
what the health check makes of them: fresh, stopped, catching up, none yet, only another stage's rows, two stages
writing one topic, the database's clock an hour ahead, an hour behind and right, a topic deleted and recreated.
Oracle cannot run here, so the events are written the way Debezium would write them; the shape is Debezium's
change-event format for a row of the heartbeat table (STAGE, LAST_HEARTBEAT). The same path with events Debezium
really wrote is in test_real_events.py."""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaProducer
from kafka.admin import NewTopic

from devtools.local.kafka_tools import kafka_admin
from tests.integration.local_admin import wait_until
from wms_connector.connector.source import STAGE_HEADER
from wms_connector.health.checks.freshness import check_freshness
from wms_connector.health.checks.topics import kafka_consumer_factory
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

pytestmark = pytest.mark.integration

TABLE = "WMS.DEBEZIUM_HEARTBEAT"
NOW_MS = int(time.time() * 1000)
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
CLOCKS = [0, HOUR_MS, -HOUR_MS]
CLOCK_IDS = ["clocks-agree", "db-ahead-1h", "db-behind-1h"]


def envelope_event(stage: str, source_ms: int) -> bytes:
    row = {"STAGE": stage, "LAST_HEARTBEAT": source_ms * 1000}
    payload = {
        "before": None,
        "after": row,
        "source": {"version": "3.6.1.Final", "connector": "oracle", "ts_ms": source_ms, "schema": "WMS",
                   "table": "DEBEZIUM_HEARTBEAT", "scn": "123456", "commit_scn": "123457"},
        "op": "u",
        "ts_ms": source_ms + 40,
    }
    return json.dumps({"schema": {"type": "struct", "name": "Envelope"}, "payload": payload}).encode()


def flat_event(stage: str, source_ms: int) -> bytes:
    payload = {"STAGE": stage, "LAST_HEARTBEAT": source_ms * 1000, "__op": "u", "__source_ts_ms": source_ms,
               "__deleted": "false"}
    return json.dumps({"schema": {"type": "struct"}, "payload": payload}).encode()


def key(stage: str) -> bytes:
    return json.dumps({"schema": {"type": "struct"}, "payload": {"STAGE": stage}}).encode()


@pytest.fixture
def topic(local_stack, request):
    name = StageTopics(local_stack.stage).heartbeat_table_topic(TABLE) + f".{request.node.name[-20:]}"
    name = "".join(c if c.isalnum() or c in "._-" else "-" for c in name)
    admin = kafka_admin(local_stack.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
        wait_until(lambda: name in admin.list_topics(), what=f"topic {name}")
        yield name
        admin.delete_topics([name])
    finally:
        admin.close()


def record(row_stage: str, source_ms: int, written_ms: int, writer: str | None = "it", flat: bool = False) -> dict:
    """A heartbeat-row record as the worker of stage `writer` sends it at `written_ms` on its clock."""
    event = flat_event if flat else envelope_event
    headers = [] if writer is None else [(STAGE_HEADER, writer.encode())]
    return {"key": key(row_stage), "value": event(row_stage, source_ms), "headers": headers, "timestamp_ms": written_ms}


def _send(local_stack, topic: str, *records: dict) -> None:
    producer = KafkaProducer(bootstrap_servers=local_stack.bootstrap_servers)
    try:
        for one in records:
            producer.send(topic, **one)
        producer.flush(timeout=15)
    finally:
        producer.close()


def _check(local_stack, topic: str, stage: str = "it", now_ms: int = NOW_MS, lag_ms: float | None = None):
    factory = kafka_consumer_factory(local_stack.bootstrap_servers, "PLAINTEXT", timeout_ms=5000)
    return check_freshness(factory, topic, stage, clock=lambda: now_ms / 1000, lag_from_source_ms=lag_ms)


@pytest.mark.parametrize("db_ahead_ms", CLOCKS, ids=CLOCK_IDS)
def test_a_fresh_heartbeat_is_seconds_old_whatever_the_database_clock(local_stack, topic, db_ahead_ms):
    # Committed a second before the worker wrote it (Debezium's lag), on a database clock off by db_ahead_ms.
    written = NOW_MS - 20_000
    _send(local_stack, topic, record("it", written - 1_000 + db_ahead_ms, written))
    found = _check(local_stack, topic, lag_ms=1_000)
    assert found.error is None and found.age_ms == pytest.approx(20_000, abs=1)
    assert "20 s since the newest heartbeat commit" in found.summary
    assert found.db_clock_ahead_ms == pytest.approx(db_ahead_ms, abs=1)
    if db_ahead_ms:
        direction = "ahead of" if db_ahead_ms > 0 else "behind"
        assert found.clock_summary == f"the database's clock is about 3600 s {direction} the worker's"


@pytest.mark.parametrize("db_ahead_ms", CLOCKS, ids=CLOCK_IDS)
def test_a_stopped_capture_ages_from_its_last_record_whatever_the_database_clock(local_stack, topic, db_ahead_ms):
    # Capture stopped ten minutes ago. With the database an hour ahead, its source.ts_ms is 50 minutes in the
    # future: an age taken from it would read 0 for the next 50 minutes of a stop.
    written = NOW_MS - 10 * MINUTE_MS
    _send(local_stack, topic, record("it", written + db_ahead_ms, written))
    stopped = _check(local_stack, topic)  # no scrape: Debezium's task is not reporting
    assert stopped.age_ms == pytest.approx(10 * MINUTE_MS, abs=1)
    assert stopped.db_clock_ahead_ms is None  # nothing to measure it against


@pytest.mark.parametrize("db_ahead_ms", CLOCKS, ids=CLOCK_IDS)
def test_a_catch_up_is_as_old_as_debezium_is_behind(local_stack, topic, db_ahead_ms):
    # The worker writes now what the database committed two hours ago: the record is new, the data is not.
    _send(local_stack, topic, record("it", NOW_MS - 2 * HOUR_MS + db_ahead_ms, NOW_MS - 1_000))
    found = _check(local_stack, topic, lag_ms=2 * HOUR_MS)
    assert found.age_ms == 2 * HOUR_MS
    assert found.db_clock_ahead_ms is None  # the lag moves too fast during a catch-up to measure the clock by


def test_the_newest_of_this_stages_events_counts_whatever_the_format(local_stack, topic):
    _send(
        local_stack,
        topic,
        record("it", NOW_MS - HOUR_MS, NOW_MS - HOUR_MS),
        record("it", NOW_MS - 90_000, NOW_MS - 90_000, flat=True),
        # Another stage sharing the database: its row, captured by this stage's connector, never vouches for this
        # stage, and is not another stage's connector either.
        record("main", NOW_MS - 1_000, NOW_MS - 1_000),
        # Written before records named their stage: this stage's row still counts.
        record("it", NOW_MS - 2 * HOUR_MS, NOW_MS - 2 * HOUR_MS, writer=None),
    )
    _send(local_stack, topic, {"key": key("it"), "value": b'{"schema": null, "payload": null}',
                               "headers": [(STAGE_HEADER, b"it")]})
    found = _check(local_stack, topic)
    assert found.age_ms == pytest.approx(90_000, abs=1) and found.foreign_writers == ()


def test_two_stages_writing_one_topic_are_reported_and_never_vouch(local_stack, topic):
    # Named stages share topic names: production's connector writes into the topic val reads, with val's row too
    # when the two share a database. Val's freshness rests only on its own connector's records.
    _send(
        local_stack,
        topic,
        record("val", NOW_MS - 5 * MINUTE_MS, NOW_MS - 5 * MINUTE_MS, writer="val"),
        record("val", NOW_MS - 1_000, NOW_MS - 1_000, writer="production"),
        record("production", NOW_MS - 1_000, NOW_MS - 1_000, writer="production"),
    )
    found = _check(local_stack, topic, stage="val")
    assert found.foreign_writers == ("production",) and found.topic_read
    assert found.age_ms == pytest.approx(5 * MINUTE_MS, abs=1)
    only_theirs = _check(local_stack, topic, stage="other")
    assert only_theirs.age_ms is None and only_theirs.topic_read
    assert only_theirs.foreign_writers == ("production", "val")


def test_none_yet_and_only_another_stages_rows_are_unknown_not_fresh(local_stack, topic):
    empty = _check(local_stack, topic)
    assert empty.age_ms is None and "no heartbeat event of stage it" in empty.error
    _send(local_stack, topic, record("main", NOW_MS, NOW_MS))
    others = _check(local_stack, topic)
    assert others.age_ms is None and "unknown" in others.summary and others.foreign_writers == ()


def test_a_record_from_the_workers_future_is_neither_negative_nor_hidden(local_stack, topic):
    _send(local_stack, topic, record("it", NOW_MS + 5 * MINUTE_MS, NOW_MS + 5 * MINUTE_MS))
    assert _check(local_stack, topic).age_ms == 0  # the Lambda's clock behind the worker's
    assert _check(local_stack, topic, now_ms=NOW_MS + 6 * MINUTE_MS).age_ms == pytest.approx(MINUTE_MS, abs=1)


def test_a_recreated_topic_starts_unknown_again(local_stack, topic):
    _send(local_stack, topic, record("it", NOW_MS - 5_000, NOW_MS - 5_000))
    assert _check(local_stack, topic).age_ms is not None
    admin = kafka_admin(local_stack.bootstrap_servers)
    try:
        admin.delete_topics([topic])
        wait_until(lambda: topic not in admin.list_topics(), what=f"{topic} deleted")
        created = False

        def recreated() -> bool:
            nonlocal created
            if not created:
                try:
                    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
                    created = True
                except Exception:  # noqa: BLE001 - the deletion may still be settling in the controller
                    return False
            return topic in admin.list_topics()

        wait_until(recreated, what=f"{topic} recreated")
    finally:
        admin.close()
    assert _check(local_stack, topic).age_ms is None


def test_a_missing_topic_or_no_table_configured_is_said_plainly(local_stack):
    missing = _check(local_stack, "it.aws.wms.cdc.WMS.NO_SUCH_TABLE")
    assert missing.configured and missing.age_ms is None and "does not exist" in missing.error
    assert check_freshness(None, None, Stage.parse("it").name).summary.startswith(
        "unknown: no heartbeat table is configured"
    )

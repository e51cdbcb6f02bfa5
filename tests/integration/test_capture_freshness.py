"""End-to-end freshness against the real local Kafka: Debezium-shaped heartbeat-row change events (JsonConverter with
schemas, as the workers write them; envelope and flat) written into the heartbeat table's topic, and what the
health check makes of them: fresh, stale, none yet, only another stage's rows, a clock minutes off, a topic
deleted and recreated. Oracle cannot run here, so the events are written the way Debezium would write them; the
shape is Debezium's change-event format for a row of the heartbeat table (STAGE, LAST_HEARTBEAT)."""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaProducer
from kafka.admin import NewTopic

from devtools.local.kafka_tools import kafka_admin
from tests.integration.local_admin import wait_until
from wms_connector.health.checks.freshness import check_freshness
from wms_connector.health.checks.topics import kafka_consumer_factory
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

pytestmark = pytest.mark.integration

TABLE = "WMS.DEBEZIUM_HEARTBEAT"
NOW_S = time.time()


def envelope_event(stage: str, ts_ms: int) -> bytes:
    row = {"STAGE": stage, "LAST_HEARTBEAT": ts_ms * 1000}
    payload = {
        "before": None,
        "after": row,
        "source": {"version": "3.6.1.Final", "connector": "oracle", "ts_ms": ts_ms, "schema": "WMS",
                   "table": "DEBEZIUM_HEARTBEAT", "scn": "123456", "commit_scn": "123457"},
        "op": "u",
        "ts_ms": ts_ms + 40,
    }
    return json.dumps({"schema": {"type": "struct", "name": "Envelope"}, "payload": payload}).encode()


def flat_event(stage: str, ts_ms: int) -> bytes:
    payload = {"STAGE": stage, "LAST_HEARTBEAT": ts_ms * 1000, "__op": "u", "__source_ts_ms": ts_ms,
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


def _send(local_stack, topic: str, *events: tuple[str, bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=local_stack.bootstrap_servers)
    try:
        for stage, value in events:
            producer.send(topic, key=key(stage), value=value)
        producer.flush(timeout=15)
    finally:
        producer.close()


def _check(local_stack, topic: str, stage: str = "it", now_s: float = NOW_S):
    factory = kafka_consumer_factory(local_stack.bootstrap_servers, "PLAINTEXT", timeout_ms=5000)
    return check_freshness(factory, topic, stage, clock=lambda: now_s)


def test_a_fresh_heartbeat_is_seconds_old(local_stack, topic):
    _send(local_stack, topic, ("it", envelope_event("it", int(NOW_S * 1000) - 20_000)))
    found = _check(local_stack, topic)
    assert found.error is None and found.age_ms == pytest.approx(20_000, abs=1)
    assert "20 s since the newest heartbeat commit" in found.summary


def test_the_newest_of_this_stages_events_counts_whatever_the_format(local_stack, topic):
    now_ms = int(NOW_S * 1000)
    _send(
        local_stack,
        topic,
        ("it", envelope_event("it", now_ms - 3_600_000)),
        ("it", flat_event("it", now_ms - 90_000)),
        # Another stage sharing the database writes fresher rows: they never vouch for this one.
        ("main", envelope_event("main", now_ms - 1_000)),
        ("it", b'{"schema": null, "payload": null}'),
    )
    assert _check(local_stack, topic).age_ms == pytest.approx(90_000, abs=1)


def test_a_stale_heartbeat_shows_its_age(local_stack, topic):
    _send(local_stack, topic, ("it", envelope_event("it", int(NOW_S * 1000) - 2 * 3_600_000)))
    assert _check(local_stack, topic).age_ms == pytest.approx(7_200_000, abs=1)


def test_none_yet_and_only_another_stages_rows_are_unknown_not_fresh(local_stack, topic):
    empty = _check(local_stack, topic)
    assert empty.age_ms is None and "no heartbeat event of stage it" in empty.error
    _send(local_stack, topic, ("main", envelope_event("main", int(NOW_S * 1000))))
    others = _check(local_stack, topic)
    assert others.age_ms is None and "unknown" in others.summary


def test_a_clock_minutes_off_is_neither_negative_nor_hidden(local_stack, topic):
    ahead = int(NOW_S * 1000) + 5 * 60_000  # the database's clock runs five minutes ahead of the Lambda's
    _send(local_stack, topic, ("it", envelope_event("it", ahead)))
    found = _check(local_stack, topic)
    assert found.age_ms == 0 and found.clock_ahead_ms == pytest.approx(300_000, abs=1)
    behind = _check(local_stack, topic, now_s=NOW_S + 6 * 60)  # and the Lambda's clock six minutes ahead
    assert behind.age_ms == pytest.approx(60_000, abs=1) and behind.clock_ahead_ms is None


def test_a_recreated_topic_starts_unknown_again(local_stack, topic):
    _send(local_stack, topic, ("it", envelope_event("it", int(NOW_S * 1000) - 5_000)))
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

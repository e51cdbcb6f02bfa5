"""Moving a running stage from the previous pins to the current ones keeps its place (docs/operations.md,
"Upgrading a running stage"), against the real local Kafka and two real Connect workers: one on the jar set the
stages ran before (connect-image/previous/pom.xml), then one on the current pins, in the same Connect group on the
same broker, as a stage's ECS service replaces its tasks with the new image while its MSK cluster stays.

The connector is registered and given an offset under the previous pins with the project's own admin; after the
worker moves, the offset, the schema history topic and the config read back unchanged, the connector is in its
declared state, and the current Debezium's own offset loader reads the stored offset as a position to stream
from (no snapshot). Oracle cannot run here, so the last step of the real procedure, seeing the connector stream
on from that SCN, is not proven.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from devtools.connect_jars import IMAGE_PROFILES, PREVIOUS_MANIFEST, Manifest, resolve
from devtools.local.settings import PORTS, LocalSettings, free_ports
from devtools.local.stack import LocalStack
from tests.integration.local_admin import local_admin, wait_until
from tests.integration.pinned_facts import pinned_fact
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

pytestmark = pytest.mark.integration

STAGE = Stage.parse("upgrade")
SCN = 48_213_377
# A schema history record as Debezium's KafkaSchemaHistory writes it (HistoryRecord: source, position, database
# and schema name, the DDL and its table changes), unkeyed, one per DDL.
HISTORY_RECORD = {
    "source": {"server": StageTopics(STAGE).topic_prefix},
    "position": {"snapshot_scn": "48213001", "snapshot": True, "scn": "48213001", "snapshot_completed": False},
    "ts_ms": 1796600000000,
    "databaseName": "ORCLCDB",
    "schemaName": "WMS",
    "ddl": 'CREATE TABLE "WMS"."PLAN_BASE_WVR_TBL" ("ID" NUMBER(19,0) NOT NULL, PRIMARY KEY ("ID"));',
    "tableChanges": [{"type": "CREATE", "id": '"ORCLCDB"."WMS"."PLAN_BASE_WVR_TBL"', "table": {
        "defaultCharsetName": None, "primaryKeyColumnNames": ["ID"],
        "columns": [{"name": "ID", "jdbcType": 2, "typeName": "NUMBER", "typeExpression": "NUMBER", "length": 19,
                     "scale": 0, "position": 1, "optional": False, "autoIncremented": False, "generated": False}],
    }}],
}


@pytest.fixture(scope="module")
def previous_jars() -> Path:
    return resolve(IMAGE_PROFILES, manifest=Manifest(PREVIOUS_MANIFEST))


@pytest.fixture
def workers(local_stack: LocalStack, previous_jars: Path, tmp_path: Path) -> Iterator[tuple[LocalStack, LocalStack]]:
    """(previous, current): one worker's settings on the session's broker, with the previous or the current jars."""
    ports = dict(zip(PORTS, free_ports(len(PORTS)), strict=True))
    ports.update(broker=local_stack.settings.ports["broker"], controller=local_stack.settings.ports["controller"])
    settings = LocalSettings(ports=ports, data_dir=tmp_path / "data", log_dir=tmp_path / "logs", stage=STAGE,
                             database_env=local_stack.settings.database_env)
    previous = LocalStack(settings, jars_dir=previous_jars, manifest=Manifest(PREVIOUS_MANIFEST))
    current = LocalStack(settings)
    try:
        yield previous, current
    finally:
        previous.stop_worker()
        current.stop_worker()


def _history(bootstrap_servers: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=5000)
    try:
        return [(record.key, record.value) for record in consumer]
    finally:
        consumer.close()


def test_a_stage_moves_from_the_previous_pins_keeping_its_offset_history_and_state(local_stack, workers):
    previous, current = workers
    topics = StageTopics(STAGE)
    name = topics.connector_name
    kafka = KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    config = build_connector_config(STAGE, ConnectorOptions(), kafka)

    # On the previous pins: the connector as the stage declares it, stopped at a start position, with history.
    previous.start_worker()
    assert previous.oracle_plugin_version() == Manifest(PREVIOUS_MANIFEST).debezium_version
    admin = local_admin(previous)
    admin.ensure(name, config, "stopped", timeout=60, allow_unreachable_database=True)
    # No database here to ask what was open at SCN: none is taken to be (mining starts at SCN itself).
    admin.alter_offsets(name, SCN, accept_unknown=True)
    producer = KafkaProducer(bootstrap_servers=local_stack.bootstrap_servers)
    producer.send(topics.schema_history_topic, json.dumps(HISTORY_RECORD).encode()).get(timeout=30)
    producer.close()
    offsets_before = admin.offsets(name)
    history_before = _history(local_stack.bootstrap_servers, topics.schema_history_topic)
    assert offsets_before["offsets"][0]["offset"]["scn"] == str(SCN - 1)
    previous.stop_worker()

    # The new image: the same group, topics and connector, on the current pins.
    current.start_worker()
    assert current.oracle_plugin_version() == Manifest().debezium_version
    admin = local_admin(current)
    status = wait_until(lambda: admin.status(name), "the connector known to the new worker", timeout=60)
    assert status.state == "STOPPED"
    assert admin.connect.get_config(name) == {**config, "name": name}
    assert admin.offsets(name) == offsets_before
    assert _history(local_stack.bootstrap_servers, topics.schema_history_topic) == history_before

    # The current Debezium reads the stored offset as the place to stream on from: no snapshot, the same SCN.
    stored = offsets_before["offsets"][0]["offset"]
    read = pinned_fact(current.jars_dir, "offset", json.dumps(stored))
    assert read["scn"] == str(SCN - 1) and read["snapshot_running"] is False
    assert read["commit_scn_by_thread"] == {"1": str(SCN)}

    # Started again as declared; starting changes neither the offset nor the history.
    admin.set_state(name, "running", timeout=60, require_tasks=False)
    assert admin.status(name).state == "RUNNING"
    assert admin.offsets(name) == offsets_before
    assert _history(local_stack.bootstrap_servers, topics.schema_history_topic) == history_before
    admin.delete(name)

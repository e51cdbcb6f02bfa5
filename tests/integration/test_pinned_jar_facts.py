"""Every fact the project takes from the pinned jars, asked of the jars themselves: the offset format the admin
writes as the pinned Debezium's own loader reads it, the connector properties the stack sets as keys the pinned
plugin or Connect define, the properties and values Debezium no longer has or checks, the config-topic record
format the admin writes, and the worker-log filter's texts. Each check fails on a deliberately wrong name (the
last test of each kind shows that it can).

The MBean attributes the health check reads are checked where they are exported (test_runtime.py: Debezium's own
metrics objects behind the real JMX exporter), the metric filters' log texts in test_log_filter_texts.py, and the
REST API's `initial_state` and offsets endpoints by the lifecycle and ops tests against the real worker.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from devtools.connect_jars import CONNECT_IMAGE_DIR, IMAGE_PROFILES, PREVIOUS_MANIFEST, Manifest, resolve
from devtools.local.stack import ORACLE_CONNECTOR_CLASS, LocalStack
from tests.integration.pinned_facts import pinned_fact
from wms_connector.config_topic import connector_record, target_state_record
from wms_connector.connector import debezium_properties as dbz
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.preflight.start_position import OpenTransaction, StartPosition

pytestmark = pytest.mark.integration

# Families Connect or Debezium pass through to another component instead of defining each key: the JDBC
# driver (driver.*), the schema history's and the signal channel's Kafka clients, the column masks and hashes
# (column.mask.with.<n>.chars, column.mask.hash.<algorithm>.with.salt.<salt>).
PASS_THROUGH = re.compile(
    r"^(driver\.|schema\.history\.internal\.(producer|consumer)\.|signal\.consumer\.|column\.mask\.(with|hash)\.)"
)
EVERY_OPTION = {
    "recordFormat": "flat", "maskColumns": ["WMS.PLAN_BASE_WVR_TBL.SSN"],
    "hashColumns": ["MMDL.PLAN_WVR_RVSN_TBL.EMAIL_ADDR"], "hashSalt": "salt-for-the-facts-test-0",
    "heartbeatTable": "WMS.CDC_HEARTBEAT", "usePdb": True,
    "archiveDestinationName": ["LOG_ARCHIVE_DEST_2"], "racNodes": ["db-node-1", "db-node-2"],
}


@pytest.fixture(scope="module")
def jars(local_stack: LocalStack) -> Path:
    return local_stack.jars_dir


@pytest.fixture(scope="module")
def config_keys(jars: Path) -> dict[str, dict]:
    return pinned_fact(jars, "config-keys")["keys"]


# ---- the source offset (OracleOffsetContext, CommitScn, read by BufferedLogMinerOracleOffsetContextLoader)


# An offset as Debezium commits it mid-stream: a transaction half sent (txId/txSeq) after an initial snapshot.
LIVE_OFFSET = {
    "scn": "4800", "commit_scn": "4900:1:0b000a00aa030000", "txId": "0a0012003f040000", "txSeq": 3,
    "snapshot_scn": "4000", "snapshot_completed": False,
}


@pytest.mark.parametrize("threads", [(1,), (1, 2)])
def test_the_offset_for_a_start_position_is_read_by_debezium_as_every_commit_from_n_on(jars, threads):
    # Transaction 0a… opened at SCN 4500 and was still open at N = 5000.
    position = StartPosition(5000, threads, (OpenTransaction("0A0012003F040000", 4500, None),))
    offset = position.offset()
    probes = [[thread, scn] for thread in threads for scn in (4999, 5000, 5001)]
    read = pinned_fact(jars, "offset", json.dumps(offset), json.dumps(probes))
    # Mining is `SCN > scn`: it starts with the open transaction's first change.
    assert read["scn"] == "4499"
    assert read["commit_scn_by_thread"] == {str(thread): "5000" for thread in threads}
    # A commit below N on any thread is dropped whole; one at N or after is emitted.
    assert read["handled"] == [True, False, False] * len(threads)
    # Nothing of the old position survives to skip events: no transaction, no sequence, no snapshot SCN.
    assert read["transaction_id"] is None and read["transaction_sequence"] is None and read["snapshot_scn"] is None
    assert read["snapshot_running"] is False
    assert {key: read["committed_back"][key] for key in offset} == offset


def test_the_keys_a_start_position_drops_are_ones_debezium_would_act_on(jars):
    # What the old offset's extra keys would have done: the check above would fail if they were kept.
    read = pinned_fact(jars, "offset", json.dumps(LIVE_OFFSET), json.dumps([[2, 5000]]))
    assert read["transaction_id"] == "0a0012003f040000" and read["transaction_sequence"] == 3
    assert read["snapshot_scn"] == "4000"
    assert read["handled"] == [False]  # a thread the commit_scn does not name is never handled


def test_the_offset_check_fails_on_a_key_debezium_does_not_read(jars):
    read = pinned_fact(jars, "offset", json.dumps({"start_scn_of_mining": "5000", "commit_scn": "5000:1:"}))
    assert read["scn"] is None


# ---- connector properties


def test_every_property_the_stack_sets_is_one_the_pinned_worker_defines(local_stack, config_keys):
    kafka = KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    config = build_connector_config(local_stack.stage, ConnectorOptions.from_config(EVERY_OPTION), kafka)
    # Connect's validation lists its own keys, the connector's and each transform's, as the worker knows them.
    path = f"/connector-plugins/{ORACLE_CONNECTOR_CLASS}/config/validate"
    answer = local_stack.connect_client(deadline=120).request("PUT", path, config, shape="validation")
    defined = {entry["definition"]["name"] for entry in answer["configs"]}
    assert set(config_keys) <= defined
    # The schema history's and the signal channel's own fields (KafkaSchemaHistory, KafkaSignalChannel) are read
    # by those components, not listed by the connector: their full names are in the plugin's classes.
    plugin_classes = _class_bytes(local_stack.jars_dir / "plugins" / "debezium-connector-oracle")
    # Connect's topic-creation groups: `topic.creation.<group>.` + a key of TopicCreationConfig.
    runtime = next((local_stack.jars_dir / "libs").glob("connect-runtime-*.jar"))
    topic_creation = _constant_pool(runtime, "org.apache.kafka.connect.runtime.TopicCreationConfig")

    def known(key: str) -> bool:
        if key in defined or PASS_THROUGH.match(key) or key.encode() in plugin_classes:
            return True
        group_key = re.fullmatch(r"topic\.creation\.default\.(.+)", key)
        return bool(group_key) and f'= "{group_key.group(1)}"' in topic_creation

    assert sorted(key for key in config if not known(key)) == []
    assert not known("bogus.key.never.defined") and not known("topic.creation.default.bogus")


def test_the_properties_and_values_debezium_no_longer_has_or_checks(local_stack, config_keys):
    previous_jars = resolve(IMAGE_PROFILES, manifest=Manifest(PREVIOUS_MANIFEST))
    previous_keys = pinned_fact(previous_jars, "config-keys")["keys"]
    for key in dbz.REMOVED_PROPERTIES:
        assert key in previous_keys and key not in config_keys, key
    enums = pinned_fact(local_stack.jars_dir, "enums")
    assert sorted(dbz.LOG_MINING_STRATEGIES) == sorted(enums["log.mining.strategy"])
    assert sorted([*dbz.LOG_MINING_BUFFER_TYPES, *dbz.LEFT_OUT_BUFFER_TYPES]) == sorted(enums["log.mining.buffer.type"])


def test_a_left_out_buffer_type_needs_a_class_the_image_does_not_carry(jars):
    plugin = jars / "plugins" / "debezium-connector-oracle"
    names = {name for jar in plugin.glob("*.jar") for name in zipfile.ZipFile(jar).namelist()}
    assert not any(name.startswith("org/infinispan/client/hotrod/") for name in names)
    assert any(name.startswith("org/infinispan/manager/") for name in names)  # the embedded buffer's is there


# ---- the config topic (KafkaConfigBackingStore)


def _class_bytes(folder: Path) -> bytes:
    chunks = []
    for jar in sorted(folder.glob("debezium-*.jar")):
        with zipfile.ZipFile(jar) as archive:
            chunks.extend(archive.read(name) for name in archive.namelist() if name.endswith(".class"))
    return b"\n".join(chunks)


def _constant_pool(jar: Path, class_name: str) -> str:
    result = subprocess.run(["javap", "-v", "-constants", "-cp", str(jar), class_name],
                            capture_output=True, text=True, timeout=120, check=True)
    return result.stdout


def test_the_config_topic_records_the_admin_writes_are_connects_format(jars):
    runtime = next((jars / "libs").glob("connect-runtime-*.jar"))
    pool = _constant_pool(runtime, "org.apache.kafka.connect.storage.KafkaConfigBackingStore")
    utf8 = set(re.findall(r"= Utf8 +(\S+)$", pool, flags=re.MULTILINE))
    assert 'CONNECTOR_PREFIX = "connector-"' in pool and 'TARGET_STATE_PREFIX = "target-state-"' in pool
    key, value = connector_record("c", {"k": "v"})
    assert key == b"connector-c" and set(json.loads(value)) <= utf8  # {"properties": …}
    for state in ("RUNNING", "PAUSED", "STOPPED"):
        key, value = target_state_record("c", state)
        record = json.loads(value)
        assert key == b"target-state-c" and set(record) <= utf8 and set(record.values()) <= utf8
    assert "state.v3" not in utf8


# ---- the worker log filter (connect-image/log4j2.properties)


def test_the_log_filter_drops_both_events_that_print_the_resolved_config(jars):
    regex = re.search(r"^appender\.stdout\.filter\.resolved\.regex = (.+)$",
                      (CONNECT_IMAGE_DIR / "log4j2.properties").read_text(), flags=re.MULTILINE).group(1)
    pattern = re.compile(regex.replace("\\\\", "\\"))
    plugin = jars / "plugins" / "debezium-connector-oracle"
    version = Manifest().debezium_version
    # BaseSourceTask.start: "Starting " + the task's simple name + " with configuration:" + the config (INFO).
    common = _constant_pool(plugin / f"debezium-connector-common-{version}.jar",
                            "io.debezium.connector.common.BaseSourceTask")
    assert "Starting \\u0001 with configuration:" in common
    # OracleConnector.validateConnection: LOGGER.error("Failed testing {} connection for {}", …).
    oracle = _constant_pool(plugin / f"debezium-connector-oracle-{version}.jar",
                            "io.debezium.connector.oracle.OracleConnector")
    assert "Utf8               Failed testing {} connection for {}\n" in oracle
    assert pattern.fullmatch("Starting OracleConnectorTask with configuration:\n  database.user = u")
    assert pattern.fullmatch("Failed testing primary connection for {database.hostname=h}")
    assert not pattern.fullmatch("Failed to start connector, will re-attempt during polling.")


# ---- the preflight's queries (wms_connector/preflight/sql.py asks what Debezium asks: SqlUtils for supplemental
# logging, the LogMiner streaming source for the table log groups and the redo log sizes)


@pytest.mark.parametrize(
    ("text", "class_path"),
    [
        ("SUPPLEMENTAL_LOG_DATA_MIN", "logminer/SqlUtils"), ("SUPPLEMENTAL_LOG_DATA_ALL", "logminer/SqlUtils"),
        ("ALL_LOG_GROUPS", "logminer/SqlUtils"), ("LOG_GROUP_TYPE", "logminer/SqlUtils"),
        ("ALL COLUMN LOGGING", "logminer/AbstractLogMinerStreamingChangeEventSource"),
        ("GROUP#, BYTES", "logminer/AbstractLogMinerStreamingChangeEventSource"),
        # Where Debezium looks, as the preflight follows it: the container switch (OracleConnection.setContainerAs),
        # the archive destination it resolves (ArchiveDestinationNameResolver), the redo threads (V$THREAD), the
        # flush table in the CDC user's default tablespace (CommitLogWriterFlushStrategy), IMPLICIT accepted.
        ("alter session set container=", "OracleConnection"),
        ("cdb$root", "OracleConnection"),
        ("SELECT STATUS, TYPE FROM V$ARCHIVE_DEST_STATUS WHERE DEST_NAME=?", "OracleConnection"),
        ("SELECT * FROM V$THREAD", "OracleConnection"),
        ("LOG_ARCHIVE_DEST_%d", "ArchiveDestinationNameResolver"),
        ("CREATE TABLE %s (LAST_SCN NUMBER(19,0))", "logminer/logwriter/CommitLogWriterFlushStrategy"),
        ("IMPLICIT", "logminer/AbstractLogMinerStreamingChangeEventSource"),
    ],
)
def test_the_preflight_asks_what_debezium_asks(jars, text, class_path):
    plugin = jars / "plugins" / "debezium-connector-oracle"
    with zipfile.ZipFile(plugin / f"debezium-connector-oracle-{Manifest().debezium_version}.jar") as archive:
        assert text.encode() in archive.read(f"io/debezium/connector/oracle/{class_path}.class")

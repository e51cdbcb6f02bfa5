"""The Debezium Oracle connector config and the connector options of the stack config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit import oracle_config_cases
from wms_connector import worker_env
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.credentials import REDACTED, credential_problems, is_credential_key, redact_credentials
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.connector.oracle_source import CONNECTOR_CLASS
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_SCHEMAS, CAPTURED_TABLES, StageTopics

MSK = KafkaClientSettings("b-1.msk:9094,b-2.msk:9094", "SSL", 3)
LOCAL = KafkaClientSettings("127.0.0.1:9092", "PLAINTEXT", 1)
SALT = "0123456789abcdef-salt"


def build(stage: str = "main", kafka: KafkaClientSettings = MSK, **options: object) -> dict[str, str]:
    return build_connector_config(Stage.parse(stage), ConnectorOptions.from_config(options), kafka)


@pytest.mark.parametrize("stage", ["main", "val", "production", "feat-x"])
def test_fixed_settings_for_every_stage(stage):
    config = build(stage)
    topics = StageTopics(Stage.parse(stage))
    assert config["connector.class"] == CONNECTOR_CLASS
    assert config["name"] == "wms-oracle-cdc"
    assert config["tasks.max"] == "1"
    assert config["snapshot.mode"] == "initial"
    assert config["schema.include.list"] == ",".join(CAPTURED_SCHEMAS) == "MMDL,WMS"
    assert config["topic.prefix"] == topics.topic_prefix
    assert config["schema.history.internal.kafka.topic"] == topics.schema_history_topic
    assert config["topic.heartbeat.prefix"] == topics.heartbeat_prefix
    assert config["topic.creation.default.partitions"] == "1"
    assert config["errors.max.retries"] == "-1"
    assert all(isinstance(v, str) for v in config.values())


def test_ephemeral_stage_namespaces_every_topic_setting():
    config = build("feat-x")
    assert config["topic.prefix"] == "feat-x.aws.wms.cdc"
    assert config["schema.history.internal.kafka.topic"].startswith("feat-x.")
    assert config["topic.heartbeat.prefix"] == "feat-x.__debezium-heartbeat"


def test_table_include_list_is_exactly_the_captured_tables_anchored_with_escaped_dots():
    patterns = build()["table.include.list"].split(",")
    assert patterns == [rf"^{schema}\.{table}$" for schema, table in CAPTURED_TABLES]
    assert patterns[0] == r"^MMDL\.PLAN_BASE_WVR_TBL$"
    compiled = [re.compile(p) for p in patterns]
    matches = lambda name: any(p.fullmatch(name) for p in compiled)  # noqa: E731
    assert matches("WMS.PLAN_BASE_WVR_TBL")
    assert not matches("WMSXPLAN_BASE_WVR_TBL")
    assert not matches("WMS.PLAN_BASE_WVR_TBL_OLD")
    assert not matches("XWMS.PLAN_BASE_WVR_TBL")


def test_schema_history_clients_use_the_workers_tls_settings_and_replication():
    config = build(kafka=MSK)
    assert config["schema.history.internal.kafka.bootstrap.servers"] == MSK.bootstrap_servers
    assert config["schema.history.internal.producer.security.protocol"] == "SSL"
    assert config["schema.history.internal.consumer.security.protocol"] == "SSL"
    assert config["topic.creation.default.replication.factor"] == "3"
    local = build(kafka=LOCAL)
    assert local["schema.history.internal.producer.security.protocol"] == "PLAINTEXT"
    assert local["topic.creation.default.replication.factor"] == "1"


def test_database_values_are_only_env_placeholders():
    config = build()
    database = {k: v for k, v in config.items() if k.startswith("database.")}
    assert database == {
        "database.hostname": "${env:DB_HOST}",
        "database.port": "${env:DB_PORT}",
        "database.dbname": "${env:DB_NAME}",
        "database.user": "${env:DB_USER}",
        "database.password": "${env:DB_PASSWORD}",
    }
    assert credential_problems(config) == []


def test_pdb_and_jdbc_url_when_dbinfo_has_them():
    config = build(usePdb=True, useJdbcUrl=True, heartbeatTable="WMS.DEBEZIUM_HEARTBEAT")
    assert config["database.pdb.name"] == worker_env.placeholder(worker_env.DB_PDB)
    assert config["database.url"] == worker_env.placeholder(worker_env.DB_URL)
    assert "database.hostname" not in config and "database.port" not in config
    assert config["database.dbname"] == "${env:DB_NAME}"


STAGE_HEADER_KEYS = {
    "transforms.stage.type": "org.apache.kafka.connect.transforms.InsertHeader",
    "transforms.stage.header": "wms-connector-stage",
}


def test_envelope_format_only_names_the_stage_in_a_header():
    config = build(recordFormat="envelope")
    transforms = {k: v for k, v in config.items() if k.startswith("transforms")}
    assert transforms == {"transforms": "stage", **STAGE_HEADER_KEYS, "transforms.stage.value.literal": "main"}


@pytest.mark.parametrize("stage", ["main", "production", "feat-x"])
def test_every_record_names_the_stage_that_wrote_it(stage):
    assert build(stage)["transforms.stage.value.literal"] == stage


def test_flat_format_unwraps_with_op_source_timestamp_and_delete_marker():
    config = build(recordFormat="flat")
    assert config["transforms"] == "unwrap,stage"  # the header after the unwrap: both formats carry it
    assert config["transforms.unwrap.type"] == "io.debezium.transforms.ExtractNewRecordState"
    assert config["transforms.unwrap.add.fields"] == "op,source.ts_ms"
    assert config["transforms.unwrap.delete.tombstone.handling.mode"] == "rewrite"


def test_masking_and_hashing_columns():
    config = build(
        maskColumns=["WMS.PLAN_BASE_WVR_TBL.SSN"],
        maskLength=6,
        hashColumns=["MMDL.PLAN_WVR_RVSN_TBL.EMAIL_ADDR"],
        hashSalt=SALT,
    )
    mask = config["column.mask.with.6.chars"]
    assert re.fullmatch(mask, "ORCLPDB1.WMS.PLAN_BASE_WVR_TBL.SSN")
    assert re.fullmatch(mask, "WMS.PLAN_BASE_WVR_TBL.SSN")
    assert not re.fullmatch(mask, "ORCLPDB1.WMS.PLAN_BASE_WVR_TBL.SSN2")
    hashed = config[f"column.mask.hash.SHA-256.with.salt.{SALT}"]
    assert re.fullmatch(hashed, "DB.MMDL.PLAN_WVR_RVSN_TBL.EMAIL_ADDR")


def test_salt_stays_out_of_repr():
    options = ConnectorOptions.from_config({"hashColumns": ["WMS.PLAN_BASE_WVR_TBL.X"], "hashSalt": SALT})
    assert SALT not in repr(options)


@pytest.mark.parametrize("stage", ["main", "production", "feat-x"])
def test_signal_channel_reads_the_stages_own_signal_topic_with_the_workers_tls_settings(stage):
    config = build(stage, kafka=MSK)
    topics = StageTopics(Stage.parse(stage))
    assert config["signal.enabled.channels"].split(",") == ["source", "kafka"]
    assert config["signal.kafka.topic"] == topics.signal_topic
    assert config["signal.kafka.groupId"] == topics.signal_topic
    assert config["signal.kafka.bootstrap.servers"] == MSK.bootstrap_servers
    assert config["signal.consumer.security.protocol"] == "SSL"
    assert build(stage, kafka=LOCAL)["signal.consumer.security.protocol"] == "PLAINTEXT"


def test_signalling_table_is_an_extra_property_the_stack_may_set():
    config = build(extraProperties={"signal.data.collection": "ORCLPDB1.WMS.DEBEZIUM_SIGNAL"})
    assert config["signal.data.collection"] == "ORCLPDB1.WMS.DEBEZIUM_SIGNAL"


def test_extra_properties_are_added_as_strings():
    config = build(extraProperties={"log.mining.window.max.ms": 200000, "lob.enabled": True})
    assert config["log.mining.window.max.ms"] == "200000"
    assert config["lob.enabled"] == "true"


@pytest.mark.parametrize(
    "key",
    [
        "database.password",
        "producer.override.sasl.jaas.config",
        "ssl.keystore.password",
        "schema.history.internal.producer.ssl.key.password",
        "some.user",
        "aws.secret.access.key",
        "signal.kafka.token",
    ],
)
def test_extra_credential_keys_are_rejected_naming_the_key(key):
    with pytest.raises(ConnectorOptionsError, match=re.escape(f"`{key}`")) as caught:
        ConnectorOptions.from_config({"extraProperties": {key: "x"}})
    assert "wms-connector:connector.extraProperties" in str(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        "topic.prefix",
        "tasks.max",
        "connector.class",
        "table.include.list",
        "schema.history.internal.kafka.topic",
        "database.hostname",
        "transforms",
        "column.mask.with.3.chars",
        "topic.creation.default.partitions",
        "signal.enabled.channels",
        "signal.kafka.topic",
        "signal.kafka.bootstrap.servers",
        "signal.consumer.security.protocol",
    ],
)
def test_extra_properties_cannot_override_managed_keys(key):
    with pytest.raises(ConnectorOptionsError, match=re.escape(f"`{key}` is managed")):
        ConnectorOptions.from_config({"extraProperties": {key: "x"}})


def test_extra_property_values_may_not_reference_config_providers():
    with pytest.raises(ConnectorOptionsError, match="config provider reference"):
        ConnectorOptions.from_config({"extraProperties": {"database.query.timeout.ms": "${file:/etc/x}"}})


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"recordFormat": "avro"}, "recordFormat"),
        ({"state": "deleted"}, "state"),
        ({"snapshotMode": "always"}, "snapshotMode"),
        ({"maskColumns": ["WMS.OTHER_TBL.X"]}, "maskColumns"),
        ({"maskColumns": "WMS.PLAN_BASE_WVR_TBL.X"}, "maskColumns"),
        ({"maskColumns": ["wms.plan_base_wvr_tbl.x"]}, "maskColumns"),
        ({"maskLength": 0}, "maskLength"),
        ({"maskLength": True}, "maskLength"),
        ({"hashAlgorithm": "MD5"}, "hashAlgorithm"),
        ({"hashColumns": ["WMS.PLAN_BASE_WVR_TBL.X"]}, "hashSalt"),
        ({"hashColumns": ["WMS.PLAN_BASE_WVR_TBL.X"], "hashSalt": "short"}, "hashSalt"),
        ({"usePdb": "yes"}, "usePdb"),
        ({"heartbeatIntervalMs": 10}, "heartbeatIntervalMs"),
        ({"extraProperties": ["a=b"]}, "extraProperties"),
        ({"extraProperties": {"Bad Key": "x"}}, "extraProperties"),
    ],
)
def test_bad_options_name_the_stack_config_key(options, named):
    with pytest.raises(ConnectorOptionsError, match=re.escape(f"wms-connector:connector.{named}")):
        ConnectorOptions.from_config(options)


def test_bad_salt_is_not_echoed():
    with pytest.raises(ConnectorOptionsError) as caught:
        ConnectorOptions.from_config({"hashColumns": ["WMS.PLAN_BASE_WVR_TBL.X"], "hashSalt": "bad salt!"})
    assert "bad salt" not in str(caught.value)


def test_unknown_option_and_non_object_are_rejected():
    with pytest.raises(ConnectorOptionsError, match="wms-connector:connector.recordformat"):
        ConnectorOptions.from_config({"recordformat": "flat"})
    with pytest.raises(ConnectorOptionsError, match="expected an object"):
        ConnectorOptions.from_config("flat")


def test_same_column_masked_and_hashed_is_rejected():
    column = "WMS.PLAN_BASE_WVR_TBL.X"
    with pytest.raises(ConnectorOptionsError, match="hashColumns"):
        ConnectorOptions.from_config({"maskColumns": [column], "hashColumns": [column], "hashSalt": SALT})


def test_defaults_and_string_values_from_pulumi_config():
    assert ConnectorOptions.from_config(None) == ConnectorOptions()
    options = ConnectorOptions.from_config(
        {"usePdb": "true", "maskLength": "12", "heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}
    )
    assert options.use_pdb is True and options.mask_length == 12


@pytest.mark.parametrize(
    ("kafka", "message"),
    [
        (("", "SSL", 3), "bootstrap servers"),
        (("a:1, b:2", "SSL", 3), "bootstrap servers"),
        (("a:1", "SASL_SSL", 3), "security protocol"),
        (("a:1", "SSL", 0), "replication factor"),
    ],
)
def test_bad_kafka_client_settings(kafka, message):
    with pytest.raises(ConnectorOptionsError, match=message):
        KafkaClientSettings(*kafka)


def test_credential_detection():
    assert is_credential_key("database.password") and is_credential_key("database.user")
    assert not is_credential_key("database.hostname") and not is_credential_key("topic.prefix")
    problems = credential_problems({"database.password": "hunter2", "database.user": "${env:DB_USER}"})
    assert [p.key for p in problems] == ["database.password"]
    assert "`database.password`" in problems[0].message and "hunter2" not in problems[0].message
    assert credential_problems({"database.password": "${env:HOME}"})


def test_live_config_read_back_has_plaintext_credentials_redacted_and_placeholders_kept():
    live = build("feat-x") | {"database.password": "hunter2", "producer.override.sasl.jaas.config": "x"}
    redacted = redact_credentials(live)
    assert redacted["database.password"] == redacted["producer.override.sasl.jaas.config"] == REDACTED
    assert redacted["database.user"] == "${env:DB_USER}"
    assert {k: v for k, v in redacted.items() if v != REDACTED} == {
        k: v for k, v in live.items() if k not in ("database.password", "producer.override.sasl.jaas.config")
    }
    assert redact_credentials(build("feat-x")) == build("feat-x")


HEARTBEAT = "WMS.DEBEZIUM_HEARTBEAT"


def test_heartbeat_table_is_upserted_per_stage_and_captured_into_its_own_topic():
    config = build("feat-x", heartbeatTable=HEARTBEAT)
    query = config["heartbeat.action.query"]
    assert query.startswith("MERGE INTO WMS.DEBEZIUM_HEARTBEAT t USING (SELECT 'feat-x' AS STAGE FROM DUAL) s")
    assert "UPDATE SET t.LAST_HEARTBEAT = SYSTIMESTAMP" in query and "INSERT (STAGE, LAST_HEARTBEAT)" in query
    assert config["table.include.list"].split(",")[-1] == r"^WMS\.DEBEZIUM_HEARTBEAT$"
    assert config["schema.include.list"] == "MMDL,WMS"
    topics = StageTopics(Stage.parse("feat-x"))
    assert topics.heartbeat_table_topic(HEARTBEAT) == "feat-x.aws.wms.cdc.WMS.DEBEZIUM_HEARTBEAT"
    assert topics.heartbeat_table_topic(HEARTBEAT) not in topics.data_topics
    other_schema = build(heartbeatTable="CDC.BEAT")
    assert other_schema["schema.include.list"] == "MMDL,WMS,CDC"
    assert "heartbeat.action.query" not in build()


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"usePdb": True}, "only with `heartbeatTable`"),
        ({"heartbeatTable": "wms.beat"}, "heartbeatTable"),
        ({"heartbeatTable": "BEAT"}, "heartbeatTable"),
        ({"heartbeatTable": "WMS.PLAN_BASE_WVR_TBL"}, "not one of the captured tables"),
        ({"extraProperties": {"log.mining.query.filter.mode": "in"}}, "nothing would ever be captured"),
        ({"extraProperties": {"log.mining.query.filter.mode": "IN"}}, "nothing would ever be captured"),
        ({"extraProperties": {"database.hostname": "db"}}, "comes from the worker's environment"),
        ({"extraProperties": {"database.url": "jdbc:oracle:thin:@db:1521/S"}}, "`useJdbcUrl`"),
        ({"extraProperties": {"driver.oracle.net.keepAlive": "false"}}, "keepalive"),
        ({"extraProperties": {"heartbeat.action.query": "SELECT 1 FROM DUAL"}}, "`heartbeatTable`"),
        ({"extraProperties": {"log.mining.archive.destination.name": "jdbc:oracle:thin:cdc/pw@db:1521/S"}},
         "carries a credential"),
        ({"extraProperties": {"database.query.timeout.ms": "https://u:p@h"}}, "carries a credential"),
        # What Debezium 3.6 no longer has, no longer checks, or what the image leaves out.
        ({"extraProperties": {"log.mining.batch.size.max": 200000}}, "no longer has this property"),
        ({"extraProperties": {"log.mining.sleep.time.max.ms": 3000}}, "no longer has this property"),
        ({"extraProperties": {"log.mining.strategy": "bogus"}}, "allowed online_catalog, hybrid"),
        ({"extraProperties": {"log.mining.buffer.type": "bogus"}}, "allowed memory, infinispan_embedded, ehcache"),
        ({"extraProperties": {"log.mining.buffer.type": "infinispan_remote"}}, "Hot Rod client"),
    ],
)
def test_config_traps_are_refused_naming_the_key(options, says):
    with pytest.raises(ConnectorOptionsError, match=re.escape(says)) as caught:
        ConnectorOptions.from_config(options)
    assert "pw@" not in str(caught.value) and "u:p@" not in str(caught.value)


def test_database_tuning_keys_are_allowed_and_mining_filter_modes_other_than_in():
    options = ConnectorOptions.from_config(
        {
            "extraProperties": {
                "database.query.timeout.ms": 600000,
                "database.connection.adapter": "logminer",
                "log.mining.query.filter.mode": "regex",
                "log.mining.strategy": "hybrid",
                "log.mining.buffer.type": "EHCACHE",
            }
        }
    )
    config = build_connector_config(Stage.parse("main"), options, MSK)
    assert config["database.query.timeout.ms"] == "600000"
    assert config["database.connection.adapter"] == "logminer"


def test_tcp_keepalive_is_on_for_the_drivers_socket():
    config = build()
    assert config["driver.oracle.net.keepAlive"] == "true"
    assert int(config["driver.oracle.net.TCP_KEEPIDLE"]) <= 300  # well inside AWS's 350 s idle timeout


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"startScn": 48213377, "snapshotMode": "recovery"}, "`initial`, `when_needed` or `no_data` with `startScn`"),
        ({"startScn": 0}, "a whole number from 1"),
        ({"startScn": "abc"}, "a whole number from 1"),
        ({"startScn": 2**53}, "a whole number from 1"),
        ({"acceptUncheckedStartScn": True}, "only with `startScn`"),
        ({"startScn": 5, "acceptUncheckedStartScn": "maybe"}, "true or false"),
    ],
)
def test_a_start_scn_is_a_whole_number_in_a_mode_the_stage_returns_to(options, says):
    # The first start runs in `recovery` by itself (wms_connector/connector/first_start.py); declared in it, every
    # restart would take a new schema snapshot (RecoverySnapshotter: schema always).
    with pytest.raises(ConnectorOptionsError, match=re.escape(says)):
        ConnectorOptions.from_config(options)
    for mode in ("initial", "when_needed", "no_data"):
        options = ConnectorOptions.from_config({"startScn": "48213377", "snapshotMode": mode})
        assert (options.start_scn, options.snapshot_mode) == (48213377, mode)


def test_the_oracle_config_the_stack_deploys_is_held_byte_for_byte():
    """The builder is shared with the stand-in source (devtools/standin): the Oracle config must not move with it.
    Key order included, as Connect and Pulumi's state receive it."""
    golden = (Path(__file__).parent / "golden" / "oracle_connector_configs.json").read_text()
    built = json.dumps(oracle_config_cases.cases(), indent=1) + "\n"
    stages, kafka, option_sets = (len(x) for x in (oracle_config_cases.STAGES, oracle_config_cases.KAFKA_SETTINGS,
                                                   oracle_config_cases.OPTION_SETS))
    assert len(json.loads(golden)) == stages * kafka * option_sets >= 24
    assert built == golden


def test_archive_destination_and_rac_nodes_reach_debeziums_keys():
    config = build(archiveDestinationName=["LOG_ARCHIVE_DEST_3", "LOG_ARCHIVE_DEST_1"],
                   racNodes=["db-node-1.example.com", "10.0.0.12:1522"])
    assert config["archive.destination.name"] == "LOG_ARCHIVE_DEST_3,LOG_ARCHIVE_DEST_1"
    assert config["rac.nodes"] == "db-node-1.example.com,10.0.0.12:1522"
    assert "archive.destination.name" not in build() and "rac.nodes" not in build()
    assert build(archiveDestinationName="LOG_ARCHIVE_DEST_2")["archive.destination.name"] == "LOG_ARCHIVE_DEST_2"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"archiveDestinationName": "LOG_ARCHIVE_DEST_32"}, "`LOG_ARCHIVE_DEST_<1-31>`"),
        ({"archiveDestinationName": ["LOG_ARCHIVE_DEST_1", "LOG_ARCHIVE_DEST_1"]}, "no repeats"),
        ({"archiveDestinationName": []}, "`LOG_ARCHIVE_DEST_<1-31>`"),
        ({"archiveDestinationName": "/u01/arch"}, "`LOG_ARCHIVE_DEST_<1-31>`"),
        ({"racNodes": ["only-one"]}, "at least two RAC node"),
        ({"racNodes": "a,b"}, "at least two RAC node"),
        ({"racNodes": ["a", "b:99999"]}, "`host:port`"),
        ({"racNodes": ["a", "b;DROP"]}, "`host:port`"),
        ({"racNodes": ["a", "b"], "useJdbcUrl": True}, "`host:port` for each node with `useJdbcUrl`"),
        ({"extraProperties": {"rac.nodes": "a,b"}}, "racNodes"),
        ({"extraProperties": {"archive.destination.name": "LOG_ARCHIVE_DEST_2"}}, "archiveDestinationName"),
    ],
)
def test_bad_archive_destinations_and_rac_nodes_are_refused_naming_the_option(options, says):
    with pytest.raises(ConnectorOptionsError, match=re.escape(says)):
        ConnectorOptions.from_config(options)

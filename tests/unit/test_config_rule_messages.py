"""What the config rule (wms_connector/connector/config_rule.py) says when it refuses a config: the exact key and
reason of every breach (the admin's `fields`, the repair's error) and the text of the refusal, which is all on-call
sees of a refused config. Each table row is one config an admin request, a declared item or the stack could send.

No double is needed: the rule reads only the config it is given (the admin tests in test_config_rule.py check that
a refusal reaches Connect not at all).
"""

from __future__ import annotations

import pytest

from devtools.standin.source import POSTGRES, standin_connector_config
from tests.unit.stage_config import SERVERS, stage_config
from wms_connector.connector.config_rule import REPLICATION_FACTOR_KEY, ConfigRule, ConfigRuleBroken, RuleBreach
from wms_connector.connector.options import ConnectorOptions
from wms_connector.connector.oracle_source import ORACLE
from wms_connector.connector.source import KafkaClientSettings
from wms_connector.stages import Stage

STAGE = Stage.parse("feat-x")
CONNECTOR = "wms-oracle-cdc"
# The admin's rule: it knows the worker's Kafka servers and protocol.
RULE = ConfigRule(STAGE, SERVERS, "PLAINTEXT")
# The Registrar's and the provider's default rule: the worker's Kafka settings unknown, so the config's own signal
# consumer's stand for every client the config names.
UNKNOWN_WORKER = ConfigRule(STAGE)
# The local stack's admin also registers the stand-in PostgreSQL connector.
LOCAL = ConfigRule(STAGE, SERVERS, "PLAINTEXT", sources=(ORACLE, POSTGRES))

PLACEHOLDER_ONLY_IN_DATABASE_KEYS = "a `${…}` reference is allowed only in the database keys the stage writes"
PDB_NEEDS_HEARTBEAT_TABLE = (
    "allowed only with `heartbeatTable`: against a pluggable database Debezium needs the heartbeat action query to "
    "keep its offsets moving (the DBA creates the table; see docs/operations.md)."
)
LOCAL_SCHEMA_HISTORY_SERVERS = (
    "must be `localhost:9092` for stage `feat-x` (the schema history topic and its clients are derived from the stage)"
)


def _without(config: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in config.items() if k not in keys}


def _standin_config(options: ConnectorOptions | None = None) -> dict[str, str]:
    return standin_connector_config(STAGE, options or ConnectorOptions(), KafkaClientSettings(SERVERS, "PLAINTEXT", 1))


REFUSALS = {
    "another connector's name": (RULE, stage_config(), "another-connector", [
        RuleBreach("name", "this stage's connector is `wms-oracle-cdc`"),
    ]),
    "a placeholder in a tuning key": (RULE, {**stage_config(), "database.query.timeout.ms": "${env:DB_PASSWORD}"},
                                      CONNECTOR, [
        RuleBreach("database.query.timeout.ms", PLACEHOLDER_ONLY_IN_DATABASE_KEYS),
    ]),
    "a placeholder in a key": (RULE, {**stage_config(), "x.${env:DB_PASSWORD}": "1"}, CONNECTOR, [
        RuleBreach("x.${env:DB_PASSWORD}", PLACEHOLDER_ONLY_IN_DATABASE_KEYS),
    ]),
    "another connector class": (RULE, {**stage_config(), "connector.class": "org.example.Other"}, CONNECTOR, [
        RuleBreach("connector.class", "allowed: io.debezium.connector.oracle.OracleConnector"),
    ]),
    "a transform chain of the request's own": (RULE, {**stage_config(), "transforms": "stage,leak"}, CONNECTOR, [
        RuleBreach("transforms", "one of the project's chains: `unwrap,stage`, `stage`"),
    ]),
    # The options read after the chain (heartbeat table, PDB, skipped DDL) are still read: their keys stay the
    # builder's and are not refused as keys the project never sets.
    "a chain of its own beside the PDB, heartbeat and DDL options": (RULE, {
        **stage_config(options=ConnectorOptions(unparsable_ddl="skip", heartbeat_table="WMS.HB", use_pdb=True)),
        "transforms": "stage,leak",
    }, CONNECTOR, [
        RuleBreach("transforms", "one of the project's chains: `unwrap,stage`, `stage`"),
    ]),
    "a snapshot mode the stack refuses": (RULE, {**stage_config(), "snapshot.mode": "never"}, CONNECTOR, [
        RuleBreach("snapshot.mode", "allowed one of initial, when_needed, no_data, recovery."),
    ]),
    "two options the stack refuses, each named": (RULE, {
        **stage_config(), "snapshot.mode": "never", "heartbeat.interval.ms": "5",
    }, CONNECTOR, [
        RuleBreach("snapshot.mode", "allowed one of initial, when_needed, no_data, recovery."),
        RuleBreach("heartbeat.interval.ms", "allowed a whole number from 1000 to 3600000."),
    ]),
    "an archive destination the stack refuses": (RULE, {**stage_config(), "archive.destination.name": "X"}, CONNECTOR, [
        RuleBreach("archive.destination.name", "allowed a list of 1-31 archive destination names "
                   "`LOG_ARCHIVE_DEST_<1-31>` in priority order, no repeats."),
    ]),
    # Options that do not go together: the breach names the key of the option the stack's check names, and the
    # other options are still held to the builder's values (the snapshot mode here).
    "a PDB without a heartbeat table": (RULE, stage_config(options=ConnectorOptions(
        use_pdb=True, snapshot_mode="when_needed")), CONNECTOR, [
        RuleBreach("database.pdb.name", PDB_NEEDS_HEARTBEAT_TABLE),
    ]),
    "RAC nodes without ports beside a JDBC URL": (RULE, stage_config(options=ConnectorOptions(
        use_jdbc_url=True, rac_nodes=("rac1.example", "rac2.example"))), CONNECTOR, [
        RuleBreach("rac.nodes", "allowed `host:port` for each node with `useJdbcUrl` (no port)."),
    ]),
    "a replication factor of none": (RULE, {**stage_config(), REPLICATION_FACTOR_KEY: "0"}, CONNECTOR, [
        RuleBreach(REPLICATION_FACTOR_KEY, "a replication factor from 1 to 5"),
    ]),
    "a replication factor of MSK's": (RULE, {**stage_config(), REPLICATION_FACTOR_KEY: "3"}, CONNECTOR, []),
    "no replication factor (the broker's default)": (RULE, _without(stage_config(), REPLICATION_FACTOR_KEY),
                                                     CONNECTOR, []),
    # Without the worker's settings, the signal consumer's servers and protocol stand for every client's.
    "signal servers that are no server list": (UNKNOWN_WORKER, {
        **stage_config(), "signal.kafka.bootstrap.servers": "kafka 1:9092",
    }, CONNECTOR, [
        RuleBreach("signal.kafka.bootstrap.servers", "the worker's Kafka bootstrap servers"),
        RuleBreach("schema.history.internal.kafka.bootstrap.servers", LOCAL_SCHEMA_HISTORY_SERVERS),
    ]),
    "no signal servers: the schema history held to the local broker": (
        UNKNOWN_WORKER, _without(stage_config(), "signal.kafka.bootstrap.servers"), CONNECTOR, [
            RuleBreach("schema.history.internal.kafka.bootstrap.servers", LOCAL_SCHEMA_HISTORY_SERVERS),
        ]),
    "a security protocol the worker does not speak": (UNKNOWN_WORKER, {
        **stage_config(protocol="SSL"), "signal.consumer.security.protocol": "SASL_SSL",
    }, CONNECTOR, [
        RuleBreach("signal.consumer.security.protocol", "the worker's Kafka security protocol"),
    ]),
    "no signal protocol: MSK's TLS for every client": (
        UNKNOWN_WORKER, _without(stage_config(protocol="SSL"), "signal.consumer.security.protocol"), CONNECTOR, []),
    "the stand-in PostgreSQL connector on the local stack": (LOCAL, _standin_config(ConnectorOptions(
        heartbeat_table="WMS.HB")), CONNECTOR, []),
    "a class neither source has on the local stack": (LOCAL, {
        **_standin_config(), "connector.class": "org.example.Other",
    }, CONNECTOR, [
        RuleBreach("connector.class", "allowed: io.debezium.connector.oracle.OracleConnector, "
                   "io.debezium.connector.postgresql.PostgresConnector"),
    ]),
}


@pytest.mark.parametrize(("rule", "config", "name", "expected"), REFUSALS.values(), ids=REFUSALS.keys())
def test_each_breach_names_its_key_and_says_why(rule, config, name, expected):
    assert rule.breaches(config, name) == expected


def test_the_refusal_lists_each_breach_on_its_own_line():
    config = {**stage_config(), "tasks.max": "4", "topic.prefix": "production.aws.wms.cdc"}
    with pytest.raises(ConfigRuleBroken) as broken:
        RULE.check(config, CONNECTOR)
    assert str(broken.value) == (
        "Connector `wms-oracle-cdc` config refused before it reached Connect (2 key(s)):\n"
        "  tasks.max: must be `1` for stage `feat-x` (the Oracle connector runs one task)\n"
        "  topic.prefix: must be `feat-x.aws.wms.cdc` for stage `feat-x` (derived from the stage; changing it loses "
        "the schema history)"
    )


def test_a_refusal_without_a_name_names_the_stages_connector():
    with pytest.raises(ConfigRuleBroken) as broken:
        RULE.check({**stage_config(), "tasks.max": "4"})
    assert str(broken.value).startswith(
        "Connector `wms-oracle-cdc` config refused before it reached Connect (1 key(s)):\n  tasks.max: ")


def test_a_config_sent_under_another_name_is_refused_under_that_name():
    with pytest.raises(ConfigRuleBroken) as broken:
        RULE.check(stage_config(), "another-connector")
    assert str(broken.value) == (
        "Connector `another-connector` config refused before it reached Connect (1 key(s)):\n"
        "  name: this stage's connector is `wms-oracle-cdc`"
    )
    assert broken.value.fields == {"name": ["this stage's connector is `wms-oracle-cdc`"]}


def test_the_stacks_own_config_passes_the_check():
    RULE.check(stage_config(), CONNECTOR)
    UNKNOWN_WORKER.check(stage_config())


@pytest.mark.parametrize(("key", "value"), [
    ("snapshot.mode", "not-allowed-Rule-Distinct-S3cret-72"),
    ("heartbeat.interval.ms", "allowed-Rule-Distinct-S3cret-72"),
])
def test_a_refused_option_value_that_reads_allowed_stays_out_of_the_reason(key, value):
    breaches = RULE.breaches({**stage_config(), key: value}, CONNECTOR)
    assert [b.key for b in breaches] == [key]
    assert "S3cret" not in breaches[0].reason


@pytest.mark.parametrize("key", ["heartbeat.interval.ms", REPLICATION_FACTOR_KEY])
@pytest.mark.parametrize("value", ["²", "１０", "1" * 5000, "-1", "1.5", ""])
def test_a_number_key_that_is_not_ascii_digits_int_can_read_is_refused_as_a_breach(key, value):
    # `'²'.isdigit()` is true and int() refuses it; int() also refuses thousands of digits. Either must be a breach
    # naming the key, never an error of the rule's own.
    breaches = RULE.breaches({**stage_config(), key: value}, CONNECTOR)
    assert [b.key for b in breaches] == [key]
    assert value not in breaches[0].reason or value == ""

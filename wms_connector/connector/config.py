"""The Debezium Oracle connector configuration, built from the stage and its connector options in one place.

Property names are those of Debezium 3.6 (connect-image/pom.xml pins the plugin). Database values appear only as
`${env:DB_…}` placeholders (see worker_env.py), so no credential is ever in a connector config, in Pulumi state
or in what Connect's REST API returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wms_connector import kafka_settings, worker_env
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_SCHEMAS, CAPTURED_TABLES, StageTopics

CONNECTOR_CLASS = "io.debezium.connector.oracle.OracleConnector"

# Debezium signal channels: `kafka` for the on-call snapshot command, `source` for a signalling table.
SIGNAL_CHANNELS = "source,kafka"
# The property naming the signalling table, which incremental snapshots need on Oracle (an extra property).
SIGNAL_TABLE_KEY = "signal.data.collection"

# The transform alias used for flat rows.
FLAT_TRANSFORM = "unwrap"


KEEPALIVE_DRIVER_PROPERTIES = {
    "driver.oracle.net.keepAlive": "true",
    "driver.oracle.net.TCP_KEEPIDLE": "60",
    "driver.oracle.net.TCP_KEEPINTERVAL": "10",
    "driver.oracle.net.TCP_KEEPCOUNT": "6",
}

# The heartbeat table's columns (the DBA's CREATE TABLE is in docs/operations.md, "Capture freshness").
HEARTBEAT_STAGE_COLUMN = "STAGE"
HEARTBEAT_TIME_COLUMN = "LAST_HEARTBEAT"


def heartbeat_action_query(stage: Stage, table: str) -> str:
    """Upsert this stage's row (stage names are [a-z0-9-], safe as a literal): one row per stage, so stages
    sharing a database never vouch for each other."""
    # The table is checked as SCHEMA.TABLE and the stage as [a-z0-9-]: nothing here comes from a person's text.
    return (
        f"MERGE INTO {table} t USING (SELECT '{stage.name}' AS {HEARTBEAT_STAGE_COLUMN} FROM DUAL) s "  # noqa: S608
        f"ON (t.{HEARTBEAT_STAGE_COLUMN} = s.{HEARTBEAT_STAGE_COLUMN}) "
        f"WHEN MATCHED THEN UPDATE SET t.{HEARTBEAT_TIME_COLUMN} = SYSTIMESTAMP "
        f"WHEN NOT MATCHED THEN INSERT ({HEARTBEAT_STAGE_COLUMN}, {HEARTBEAT_TIME_COLUMN}) "
        f"VALUES (s.{HEARTBEAT_STAGE_COLUMN}, SYSTIMESTAMP)"
    )


def _heartbeat_tables(options: ConnectorOptions) -> list[tuple[str, str]]:
    if not options.heartbeat_table:
        return []
    schema, table = options.heartbeat_table.split(".")
    return [(schema, table)]


def _heartbeat_schema(options: ConnectorOptions) -> list[str]:
    return [schema for schema, _ in _heartbeat_tables(options)]


def _table_pattern(schema: str, table: str) -> str:
    return f"^{re.escape(schema)}\\.{re.escape(table)}$"


def _column_pattern(column: str) -> str:
    # Debezium matches Oracle columns as `<database>.<schema>.<table>.<column>`; the database part varies (CDB or
    # PDB name), so it is optional here and the rest is exact.
    schema, table, name = column.split(".")
    return f"(?:[^.]+\\.)?{re.escape(schema)}\\.{re.escape(table)}\\.{re.escape(name)}"


def hash_salt_key(options: ConnectorOptions) -> str:
    return f"column.mask.hash.{options.hash_algorithm}.with.salt.{options.hash_salt}"


@dataclass(frozen=True)
class KafkaClientSettings:
    """How the connector's own Kafka clients (schema history) reach the brokers, like the worker does."""

    bootstrap_servers: str
    security_protocol: str
    replication_factor: int

    def __post_init__(self) -> None:
        if not kafka_settings.is_bootstrap_servers(self.bootstrap_servers):
            raise ConnectorOptionsError(
                f"Kafka bootstrap servers {self.bootstrap_servers!r}: expected host:port[,host:port…] without spaces."
            )
        if not kafka_settings.is_security_protocol(self.security_protocol):
            raise ConnectorOptionsError(
                f"Kafka security protocol {self.security_protocol!r}: allowed "
                f"{', '.join(kafka_settings.SECURITY_PROTOCOLS)}."
            )
        if not kafka_settings.is_replication_factor(self.replication_factor):
            raise ConnectorOptionsError(
                f"Topic replication factor {self.replication_factor}: allowed {kafka_settings.MIN_REPLICATION_FACTOR}"
                f" to {kafka_settings.MAX_REPLICATION_FACTOR}."
            )


def build_connector_config(stage: Stage, options: ConnectorOptions, kafka: KafkaClientSettings) -> dict[str, str]:
    """The complete connector config for `stage`: every value a string, database values as placeholders."""
    topics = StageTopics(stage)
    env = worker_env.placeholder
    config: dict[str, str] = {
        "name": topics.connector_name,
        "connector.class": CONNECTOR_CLASS,
        "tasks.max": "1",
        "snapshot.mode": options.snapshot_mode,
        # Database connection: resolved by the worker's EnvVarConfigProvider, never stored here.
        "database.dbname": env(worker_env.DB_NAME),
        "database.user": env(worker_env.DB_USER),
        "database.password": env(worker_env.DB_PASSWORD),
        "schema.include.list": ",".join(dict.fromkeys([*CAPTURED_SCHEMAS, *_heartbeat_schema(options)])),
        "table.include.list": ",".join(
            _table_pattern(schema, table) for schema, table in [*CAPTURED_TABLES, *_heartbeat_tables(options)]
        ),
        "topic.prefix": topics.topic_prefix,
        "log.mining.strategy": "online_catalog",
        # Schema history: one topic per stage; its clients need the worker's TLS settings.
        "schema.history.internal.kafka.topic": topics.schema_history_topic,
        "schema.history.internal.kafka.bootstrap.servers": kafka.bootstrap_servers,
        "schema.history.internal.producer.security.protocol": kafka.security_protocol,
        "schema.history.internal.consumer.security.protocol": kafka.security_protocol,
        "schema.history.internal.store.only.captured.tables.ddl": "true",
        # Signals (ad-hoc snapshots) through the stage's own signal topic, keyed by topic.prefix; its consumer
        # needs the same TLS settings. The source channel stays on: incremental snapshots write their
        # watermarks to a signalling table (`signal.data.collection`, an extra property) when one is configured.
        "signal.enabled.channels": SIGNAL_CHANNELS,
        "signal.kafka.topic": topics.signal_topic,
        "signal.kafka.bootstrap.servers": kafka.bootstrap_servers,
        "signal.kafka.groupId": topics.signal_topic,
        "signal.consumer.security.protocol": kafka.security_protocol,
        # Heartbeats keep offsets moving when the tables are quiet, so archive logs never age out under us.
        "heartbeat.interval.ms": str(options.heartbeat_interval_ms),
        "topic.heartbeat.prefix": topics.heartbeat_prefix,
        # Auto-created topics: one partition keeps each table's changes in order.
        "topic.creation.default.replication.factor": str(kafka.replication_factor),
        "topic.creation.default.partitions": "1",
        # Retriable errors (database or network blips) retry forever; the health check handles the rest.
        "errors.max.retries": "-1",
        "retriable.restart.connector.wait.ms": "10000",
        # An idle connection dropped silently on AWS (NAT, firewalls) would hang capture: TCP keepalive on the
        # driver's socket (Debezium passes `driver.*` to the JDBC driver; these are ojdbc's names for what a TNS
        # descriptor's `(ENABLE=broken)` turns on), probing well inside AWS's idle timeout.
        **KEEPALIVE_DRIVER_PROPERTIES,
    }
    if options.heartbeat_table:
        config["heartbeat.action.query"] = heartbeat_action_query(stage, options.heartbeat_table)
    if options.use_jdbc_url:
        config["database.url"] = env(worker_env.DB_URL)
    else:
        config["database.hostname"] = env(worker_env.DB_HOST)
        config["database.port"] = env(worker_env.DB_PORT)
    if options.use_pdb:
        config["database.pdb.name"] = env(worker_env.DB_PDB)
    if options.record_format == "flat":
        prefix = f"transforms.{FLAT_TRANSFORM}"
        config["transforms"] = FLAT_TRANSFORM
        config[f"{prefix}.type"] = "io.debezium.transforms.ExtractNewRecordState"
        config[f"{prefix}.add.fields"] = "op,source.ts_ms"
        # A delete becomes the row's last state with `__deleted` = true (no tombstone), like a soft delete.
        config[f"{prefix}.delete.tombstone.handling.mode"] = "rewrite"
    if options.mask_columns:
        config[f"column.mask.with.{options.mask_length}.chars"] = ",".join(
            _column_pattern(c) for c in options.mask_columns
        )
    if options.hash_columns:
        config[hash_salt_key(options)] = ",".join(_column_pattern(c) for c in options.hash_columns)
    config.update(dict(options.extra_properties))
    return config

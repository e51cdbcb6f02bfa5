"""The connector configuration, built from the stage and its connector options in one place: the source-agnostic
pipeline (topic naming per stage, heartbeats, signals, the flat-row and redaction transforms, error handling, topic
creation) around one database source (source.py). The stack deploys it with the Oracle source; the local stack
and the tests also build the stand-in PostgreSQL connector with it (devtools/standin).

Property names are those of Debezium 3.6 (connect-image/pom.xml pins the plugin). Database values appear only as
`${env:DB_…}` placeholders (see worker_env.py), so no credential is ever in a connector config, in Pulumi state
or in what Connect's REST API returns.
"""

from __future__ import annotations

import re

from wms_connector.connector.options import ConnectorOptions
from wms_connector.connector.oracle_source import ORACLE
from wms_connector.connector.source import STAGE_HEADER, KafkaClientSettings, Source
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_SCHEMAS, CAPTURED_TABLES, StageTopics

# Debezium signal channels: `kafka` for the on-call snapshot command, `source` for a signalling table.
SIGNAL_CHANNELS = "source,kafka"
# The property naming the signalling table, which incremental snapshots need on Oracle (an extra property).
SIGNAL_TABLE_KEY = "signal.data.collection"

# The transform aliases: flat rows, and the header naming the stage that wrote a record.
FLAT_TRANSFORM = "unwrap"
STAGE_HEADER_TRANSFORM = "stage"


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
    # PDB name), so it is optional here and the rest is exact (PostgreSQL's `<schema>.<table>.<column>` matches).
    schema, table, name = column.split(".")
    return f"(?:[^.]+\\.)?{re.escape(schema)}\\.{re.escape(table)}\\.{re.escape(name)}"


def hash_salt_key(options: ConnectorOptions) -> str:
    return f"column.mask.hash.{options.hash_algorithm}.with.salt.{options.hash_salt}"


def build_connector_config(
    stage: Stage, options: ConnectorOptions, kafka: KafkaClientSettings, source: Source = ORACLE
) -> dict[str, str]:
    """The complete connector config for `stage`: every value a string, database values as placeholders."""
    topics = StageTopics(stage)
    config: dict[str, str] = {
        "name": topics.connector_name,
        "connector.class": source.connector_class,
        "tasks.max": "1",
        "snapshot.mode": options.snapshot_mode,
        # Database connection: resolved by the worker's EnvVarConfigProvider, never stored here.
        **source.credentials(options),
        "schema.include.list": ",".join(dict.fromkeys([*CAPTURED_SCHEMAS, *_heartbeat_schema(options)])),
        "table.include.list": ",".join(
            _table_pattern(schema, table) for schema, table in [*CAPTURED_TABLES, *_heartbeat_tables(options)]
        ),
        "topic.prefix": topics.topic_prefix,
        **source.capture_settings(topics, kafka, options),
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
        **source.connection_tuning(),
    }
    if options.heartbeat_table:
        config["heartbeat.action.query"] = source.heartbeat_action_query(stage, options.heartbeat_table)
    config.update(source.endpoint(options))
    flat = options.record_format == "flat"
    config["transforms"] = ",".join([FLAT_TRANSFORM, STAGE_HEADER_TRANSFORM] if flat else [STAGE_HEADER_TRANSFORM])
    if flat:
        prefix = f"transforms.{FLAT_TRANSFORM}"
        config[f"{prefix}.type"] = "io.debezium.transforms.ExtractNewRecordState"
        config[f"{prefix}.add.fields"] = "op,source.ts_ms"
        # A delete becomes the row's last state with `__deleted` = true (no tombstone), like a soft delete.
        config[f"{prefix}.delete.tombstone.handling.mode"] = "rewrite"
    # Kafka Connect's InsertHeader: every record names the stage whose connector wrote it (freshness.py).
    config[f"transforms.{STAGE_HEADER_TRANSFORM}.type"] = "org.apache.kafka.connect.transforms.InsertHeader"
    config[f"transforms.{STAGE_HEADER_TRANSFORM}.header"] = STAGE_HEADER
    config[f"transforms.{STAGE_HEADER_TRANSFORM}.value.literal"] = stage.name
    if options.mask_columns:
        config[f"column.mask.with.{options.mask_length}.chars"] = ",".join(
            _column_pattern(c) for c in options.mask_columns
        )
    if options.hash_columns:
        config[hash_salt_key(options)] = ",".join(_column_pattern(c) for c in options.hash_columns)
    config.update(dict(options.extra_properties))
    return config

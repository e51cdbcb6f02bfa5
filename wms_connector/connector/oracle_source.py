"""The Oracle part of the connector config: the connector class, how it reaches and reads the database (LogMiner,
schema history, the driver's socket) and the heartbeat upsert in Oracle's SQL. Everything else the connector
does (topics, heartbeats, signals, converters, flat rows, masking) is the source-agnostic pipeline of config.py.

Property names are those of Debezium 3.6 (connect-image/pom.xml pins the plugin).
"""

from __future__ import annotations

from wms_connector import worker_env
from wms_connector.connector.options import ConnectorOptions
from wms_connector.connector.source import (
    HEARTBEAT_STAGE_COLUMN,
    HEARTBEAT_TIME_COLUMN,
    KafkaClientSettings,
    database_credentials,
)
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

CONNECTOR_CLASS = "io.debezium.connector.oracle.OracleConnector"

KEEPALIVE_DRIVER_PROPERTIES = {
    "driver.oracle.net.keepAlive": "true",
    "driver.oracle.net.TCP_KEEPIDLE": "60",
    "driver.oracle.net.TCP_KEEPINTERVAL": "10",
    "driver.oracle.net.TCP_KEEPCOUNT": "6",
}


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


class OracleSource:
    """Debezium's Oracle connector, database values as `${env:DB_…}` placeholders (see worker_env.py)."""

    connector_class = CONNECTOR_CLASS

    def credentials(self, options: ConnectorOptions) -> dict[str, str]:
        return database_credentials()

    def capture_settings(
        self, topics: StageTopics, kafka: KafkaClientSettings, options: ConnectorOptions
    ) -> dict[str, str]:
        settings = {
            "log.mining.strategy": "online_catalog",
            # Schema history: one topic per stage; its clients need the worker's TLS settings.
            "schema.history.internal.kafka.topic": topics.schema_history_topic,
            "schema.history.internal.kafka.bootstrap.servers": kafka.bootstrap_servers,
            "schema.history.internal.producer.security.protocol": kafka.security_protocol,
            "schema.history.internal.consumer.security.protocol": kafka.security_protocol,
            "schema.history.internal.store.only.captured.tables.ddl": "true",
        }
        if options.unparsable_ddl == "skip":
            # OracleSchemaChangeEventEmitter.emitSchemaChangeEvent: with this, a DDL statement the parser refuses
            # is logged (WARN "Ignoring unparsable DDL statement") and left out of the schema history instead of
            # failing the task (ParsingException "DDL statement couldn't be parsed").
            settings["schema.history.internal.skip.unparseable.ddl"] = "true"
        return settings

    def connection_tuning(self) -> dict[str, str]:
        # An idle connection dropped silently on AWS (NAT, firewalls) would hang capture: TCP keepalive on the
        # driver's socket (Debezium passes `driver.*` to the JDBC driver; these are ojdbc's names for what a TNS
        # descriptor's `(ENABLE=broken)` turns on), probing well inside AWS's idle timeout.
        return dict(KEEPALIVE_DRIVER_PROPERTIES)

    def heartbeat_action_query(self, stage: Stage, table: str) -> str:
        return heartbeat_action_query(stage, table)

    def endpoint(self, options: ConnectorOptions) -> dict[str, str]:
        env = worker_env.placeholder
        endpoint = (
            {"database.url": env(worker_env.DB_URL)}
            if options.use_jdbc_url
            else {"database.hostname": env(worker_env.DB_HOST), "database.port": env(worker_env.DB_PORT)}
        )
        if options.use_pdb:
            endpoint["database.pdb.name"] = env(worker_env.DB_PDB)
        if options.archive_destination_name:
            endpoint["archive.destination.name"] = ",".join(options.archive_destination_name)
        if options.rac_nodes:
            endpoint["rac.nodes"] = ",".join(options.rac_nodes)
        return endpoint


ORACLE = OracleSource()

"""The stand-in PostgreSQL source part of the connector config: Debezium's PostgreSQL connector (the same Debezium
release as the Oracle plugin, on the local worker only), replacing only the Oracle part of the config the stack
deploys (wms_connector/connector/config.py builds the rest for both).

Property names and values from Debezium 3.6.1's PostgresConnectorConfig: `plugin.name` pgoutput (built into
PostgreSQL), `slot.name` [a-z0-9_]{1,63}, `publication.autocreate.mode` disabled (the stage's publication is the
DBA's, devtools/standin/database.py).
"""

from __future__ import annotations

from devtools.standin.database import publication_name, slot_name
from wms_connector import worker_env
from wms_connector.connector.config import build_connector_config
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.connector.source import (
    HEARTBEAT_STAGE_COLUMN,
    HEARTBEAT_TIME_COLUMN,
    KafkaClientSettings,
    database_credentials,
)
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

CONNECTOR_CLASS = "io.debezium.connector.postgresql.PostgresConnector"


def _quoted(name: str) -> str:
    # `SCHEMA.TABLE` as checked by the connector options (upper-case letters, digits, _ $ #): quoting keeps the case.
    return ".".join(f'"{part}"' for part in name.split("."))


class PostgresSource:
    """Debezium's PostgreSQL connector on the stand-in: the stage's own slot and publication (provisioned by
    database.py, never created by the connector), database values as the same `${env:DB_…}` placeholders."""

    connector_class = CONNECTOR_CLASS

    def credentials(self, options: ConnectorOptions) -> dict[str, str]:
        return database_credentials()

    def capture_settings(
        self, topics: StageTopics, kafka: KafkaClientSettings, options: ConnectorOptions
    ) -> dict[str, str]:
        return {
            "plugin.name": "pgoutput",
            "slot.name": slot_name(topics.stage),
            "publication.name": publication_name(topics.stage),
            "publication.autocreate.mode": "disabled",
        }

    def connection_tuning(self) -> dict[str, str]:
        return {}

    def heartbeat_action_query(self, stage: Stage, table: str) -> str:
        """The Oracle MERGE's upsert in PostgreSQL's dialect: this stage's row, its time the commit's."""
        stage_column, time_column = f'"{HEARTBEAT_STAGE_COLUMN}"', f'"{HEARTBEAT_TIME_COLUMN}"'
        return (
            f"INSERT INTO {_quoted(table)} ({stage_column}, {time_column}) "  # noqa: S608 - checked names only
            f"VALUES ('{stage.name}', now()) "
            f"ON CONFLICT ({stage_column}) DO UPDATE SET {time_column} = now()"
        )

    def endpoint(self, options: ConnectorOptions) -> dict[str, str]:
        if options.use_pdb or options.use_jdbc_url:
            raise ConnectorOptionsError("usePdb and useJdbcUrl are Oracle's: the PostgreSQL stand-in has neither.")
        env = worker_env.placeholder
        return {"database.hostname": env(worker_env.DB_HOST), "database.port": env(worker_env.DB_PORT)}


POSTGRES = PostgresSource()


def standin_connector_config(stage: Stage, options: ConnectorOptions, kafka: KafkaClientSettings) -> dict[str, str]:
    """The stage's connector config with the stand-in source: everything but the source part as the stack's."""
    return build_connector_config(stage, options, kafka, source=POSTGRES)

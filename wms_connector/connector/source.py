"""What a database source contributes to the connector config, and what every source shares.

config.py builds the source-agnostic pipeline (topics and their naming per stage, heartbeats, signals, converters,
the flat-row and redaction transforms, error handling, topic creation) around one `Source`: the Oracle connector
the stack deploys (oracle_source.py), or the stand-in PostgreSQL connector the local stack and the tests run
where Oracle cannot (devtools/standin). Only the source part differs between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from wms_connector import kafka_settings, worker_env
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

# The heartbeat table's columns (the DBA's CREATE TABLE is in docs/operations.md, "Capture freshness").
HEARTBEAT_STAGE_COLUMN = "STAGE"
HEARTBEAT_TIME_COLUMN = "LAST_HEARTBEAT"
# The Kafka header every record this stage's connector writes carries, with the stage's name: named stages share
# topic names, so on a shared cluster the health check tells its own connector's records from another stage's.
STAGE_HEADER = "wms-connector-stage"


@dataclass(frozen=True)
class KafkaClientSettings:
    """How the connector's own Kafka clients (schema history, signals) reach the brokers, like the worker does."""

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


def database_credentials() -> dict[str, str]:
    """Database name, user and password as the worker's environment placeholders (resolved by its
    EnvVarConfigProvider, never stored in the config); the same keys for every Debezium relational source."""
    env = worker_env.placeholder
    return {
        "database.dbname": env(worker_env.DB_NAME),
        "database.user": env(worker_env.DB_USER),
        "database.password": env(worker_env.DB_PASSWORD),
    }


class Source(Protocol):
    """The database-specific part of a connector config; every value a string."""

    connector_class: str

    def credentials(self, options: ConnectorOptions) -> dict[str, str]:
        """Database name, user and password (as worker-environment placeholders)."""

    def capture_settings(
        self, topics: StageTopics, kafka: KafkaClientSettings, options: ConnectorOptions
    ) -> dict[str, str]:
        """How the connector reads changes (mining strategy, schema history, replication slot, ...)."""

    def connection_tuning(self) -> dict[str, str]:
        """Driver settings for the database connection."""

    def heartbeat_action_query(self, stage: Stage, table: str) -> str:
        """The SQL that upserts `stage`'s row of the heartbeat table `SCHEMA.TABLE`, in the database's dialect."""

    def endpoint(self, options: ConnectorOptions) -> dict[str, str]:
        """Where the database is (host and port, or a URL, ...)."""

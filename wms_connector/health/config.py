"""The health check's settings, read from the Lambda's environment and checked before anything runs.

The variables it shares with the admin Lambda (stage, Connect, Kafka, JMX exporter) are read by
`wms_connector.lambda_env`; this module adds the health check's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from wms_connector import health_policy
from wms_connector.aws_names import RULES
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.health.rotation import secret_ids
from wms_connector.lambda_env import (
    BOOTSTRAP_SERVERS,
    CONNECT_CA,
    CONNECT_CA_ARN,
    CONNECT_DEADLINE_SECONDS,
    CONNECT_URL,
    DB_SECRET_ARN,
    HEALTH_TABLE,
    JMX_URL,
    SECURITY_PROTOCOL,
    STAGE,
    LambdaEnvironment,
    LambdaEnvironmentError,
    setting,
    value_of,
)
from wms_connector.settings.sections import Capture, Health
from wms_connector.topics import StageTopics

__all__ = [
    "BOOTSTRAP_SERVERS", "CONNECT_CA", "CONNECT_CA_ARN", "CONNECT_DEADLINE_SECONDS", "CONNECT_URL", "DB_SECRET_ARN",
    "JMX_URL",
    "SECURITY_PROTOCOL", "STAGE", "HealthConfig", "LambdaEnvironmentError",
]

# The health check's own variables: the stack sets them (components/health.py), `HealthConfig.from_env` reads them.
ECS_CLUSTER = "ECS_CLUSTER"
ECS_SERVICE = "ECS_SERVICE"
STATE_TABLE = HEALTH_TABLE
RESTART_LIMIT = "RESTART_LIMIT"
RESTART_WINDOW_MINUTES = "RESTART_WINDOW_MINUTES"
NOT_RUNNING_RUNS = "NOT_RUNNING_RUNS"
# Optional: the topic the heartbeat table is captured into (freshness is unknown without it).
HEARTBEAT_TABLE_TOPIC = "HEARTBEAT_TABLE_TOPIC"
ARCHIVE_LOG_RETENTION_HOURS = "ARCHIVE_LOG_RETENTION_HOURS"
# Whether a run puts a missing or drifted connector back as declared (the stage's repairDrift).
REPAIR_DRIFT = "REPAIR_DRIFT"
# Set only when the stage probes the database each run (databaseProbe): whether it captures from dbInfo's PDB
# (usePdb), and the archive destinations it reads (archiveDestinationName).
DATABASE_PROBE = "DATABASE_PROBE"
DB_USE_PDB = "DB_USE_PDB"
ARCHIVE_DESTINATION_NAME = "ARCHIVE_DESTINATION_NAME"

DEFAULT_CONNECT_DEADLINE_SECONDS = 20
_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")

OWN_REQUIRED = (ECS_CLUSTER, ECS_SERVICE, STATE_TABLE, DB_SECRET_ARN)
REQUIRED = (STAGE, CONNECT_URL, *OWN_REQUIRED)


@dataclass(frozen=True, kw_only=True)
class HealthConfig(LambdaEnvironment):
    ecs_cluster: str
    ecs_service: str
    table_name: str
    db_secret_arn: str
    restart_limit: int = health_policy.DEFAULT_RESTART_LIMIT
    restart_window_seconds: int = 60 * health_policy.DEFAULT_RESTART_WINDOW_MINUTES
    not_running_runs: int = health_policy.DEFAULT_NOT_RUNNING_RUNS
    heartbeat_table_topic: str | None = None
    archive_log_retention_hours: int = health_policy.DEFAULT_ARCHIVE_LOG_RETENTION_HOURS
    repair_drift: bool = True
    database_probe: bool = False
    use_pdb: bool = False
    archive_destination_name: tuple[str, ...] = ()

    @property
    def topics(self) -> StageTopics:
        return StageTopics(self.stage)

    @property
    def connector(self) -> str:
        return self.topics.connector_name

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HealthConfig:
        shared = cls.shared_values(
            env, default_deadline=DEFAULT_CONNECT_DEADLINE_SECONDS, who="health check", required=OWN_REQUIRED
        )
        health_keys = {key.name: key.parse for key in (*Health.KEYS, *Capture.KEYS)}
        return cls(
            **shared,
            ecs_cluster=value_of(env, ECS_CLUSTER, _aws_name("ecs-cluster")),
            ecs_service=value_of(env, ECS_SERVICE, _aws_name("ecs-service")),
            table_name=value_of(env, STATE_TABLE, _aws_name("dynamodb-table")),
            db_secret_arn=value_of(env, DB_SECRET_ARN, secret_arn),
            restart_limit=value_of(
                env, RESTART_LIMIT, setting(health_keys["restartLimit"]), default=health_policy.DEFAULT_RESTART_LIMIT
            ),
            restart_window_seconds=60
            * value_of(
                env,
                RESTART_WINDOW_MINUTES,
                setting(health_keys["restartWindowMinutes"]),
                default=health_policy.DEFAULT_RESTART_WINDOW_MINUTES,
            ),
            not_running_runs=value_of(
                env,
                NOT_RUNNING_RUNS,
                setting(health_keys["notRunningRuns"]),
                default=health_policy.DEFAULT_NOT_RUNNING_RUNS,
            ),
            heartbeat_table_topic=value_of(env, HEARTBEAT_TABLE_TOPIC, _topic_name, default=None),
            archive_log_retention_hours=value_of(
                env,
                ARCHIVE_LOG_RETENTION_HOURS,
                setting(health_keys["archiveLogRetentionHours"]),
                default=health_policy.DEFAULT_ARCHIVE_LOG_RETENTION_HOURS,
            ),
            repair_drift=value_of(env, REPAIR_DRIFT, setting(health_keys["repairDrift"]), default=True),
            database_probe=value_of(env, DATABASE_PROBE, setting(health_keys["databaseProbe"]), default=False),
            use_pdb=value_of(env, DB_USE_PDB, setting(health_keys["databaseProbe"]), default=False),
            archive_destination_name=value_of(env, ARCHIVE_DESTINATION_NAME, _archive_destinations, default=()),
        )


def _aws_name(kind: str):
    rule = RULES[kind]

    def parse(raw: str) -> str:
        if len(raw) > rule.max_length or not rule.pattern.fullmatch(raw):
            raise ValueError(f"must be a {kind} name: at most {rule.max_length} {rule.description}.")
        return raw

    return parse


def _archive_destinations(raw: str) -> tuple[str, ...]:
    try:
        return ConnectorOptions.from_config({"archiveDestinationName": raw.split(",")}).archive_destination_name
    except ConnectorOptionsError:
        raise ValueError("must be LOG_ARCHIVE_DEST_<1-31> names separated by commas.") from None


def _topic_name(raw: str) -> str:
    if not _TOPIC.fullmatch(raw):
        raise ValueError("must be a Kafka topic name: 1-249 letters, digits, '.', '_' or '-'.")
    return raw


def secret_arn(raw: str) -> str:
    secret_ids(raw)
    return raw

"""The admin Lambda's environment and the admin built from it. The variables it shares with the health Lambda are
read by `wms_connector.lambda_env`; its own is the dbInfo secret's ARN, which only the preflight reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector.admin.access import ACCESS_LEVELS, ACCESS_VARIABLE, READ_ONLY, READ_WRITE
from wms_connector.admin.control import Control
from wms_connector.admin.errors import AdminMisconfigured
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.aws_names import RULES
from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient, private_ca_pem
from wms_connector.connector.config_rule import ConfigRule
from wms_connector.connector.oracle_source import ORACLE
from wms_connector.connector.source import Source
from wms_connector.db_info import load_db_info
from wms_connector.health.config import secret_arn
from wms_connector.lambda_env import (
    CONNECT_CA_ARN,
    DB_SECRET_ARN,
    HEALTH_TABLE,
    WORKER_LOG_GROUP,
    LambdaEnvironment,
    LambdaEnvironmentError,
    value_of,
)
from wms_connector.snapshot_signal import SignalWriter
from wms_connector.task_cause import STARTUP_FAILURE
from wms_connector.task_starts import kafka_task_start_log
from wms_connector.topic_admin import TopicAdmin
from wms_connector.topics import StageTopics

DEFAULT_CONNECT_DEADLINE_SECONDS = 60
# One Connect request; the deadline above bounds its retries.
MAX_REQUEST_TIMEOUT_SECONDS = 30.0
# How far back, and how many pages, the admin reads the worker's log group for a hidden cause.
CAUSE_LOOKBACK_SECONDS = 6 * 3600
CAUSE_MAX_PAGES = 5


@dataclass(frozen=True, kw_only=True)
class AdminEnvironment(LambdaEnvironment):
    db_secret_arn: str | None = None  # the preflight's database (without it the preflight says so)
    worker_log_group: str | None = None  # where the causes of failed tasks are read (without it, none are)
    # The hold and the declared connector (without it, nothing is held or declared: no health run watches)
    health_table: str | None = None
    read_only: bool = False  # the stage's read-only admin function (ADMIN_ACCESS=read): changes are refused

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AdminEnvironment:
        try:
            shared = cls.shared_values(env, default_deadline=DEFAULT_CONNECT_DEADLINE_SECONDS, who="admin function")
            return cls(
                **shared,
                db_secret_arn=value_of(env, DB_SECRET_ARN, secret_arn, default=None),
                worker_log_group=value_of(env, WORKER_LOG_GROUP, _log_group, default=None),
                health_table=value_of(env, HEALTH_TABLE, _table_name, default=None),
                read_only=value_of(env, ACCESS_VARIABLE, _access, default=READ_WRITE) == READ_ONLY,
            )
        except LambdaEnvironmentError as exc:
            raise AdminMisconfigured(str(exc)) from None


def _log_group(raw: str) -> str:
    if not RULES["log-group"].pattern.fullmatch(raw):
        raise LambdaEnvironmentError(f"{WORKER_LOG_GROUP}: {raw!r} is not a CloudWatch log group name.")
    return raw


def _access(raw: str) -> str:
    if raw not in ACCESS_LEVELS:
        raise LambdaEnvironmentError(f"{ACCESS_VARIABLE}: allowed {' or '.join(ACCESS_LEVELS)}.")
    return raw


def _table_name(raw: str) -> str:
    if not RULES["dynamodb-table"].pattern.fullmatch(raw):
        raise LambdaEnvironmentError(f"{HEALTH_TABLE}: {raw!r} is not a DynamoDB table name.")
    return raw


def cloudwatch_worker_records(log_group: str, logs: Any = None) -> Callable[[], list[str]]:
    """The worker's startup-failure records of the last hours from its log group (one event per record), oldest
    first; read when a status needs them."""

    def read() -> list[str]:
        import boto3

        client = logs or boto3.client("logs")
        request = {
            "logGroupName": log_group,
            "startTime": int((time.time() - CAUSE_LOOKBACK_SECONDS) * 1000),
            "filterPattern": f'"{STARTUP_FAILURE}"',
        }
        events: list[dict[str, Any]] = []
        for _ in range(CAUSE_MAX_PAGES):
            page = client.filter_log_events(**request)
            events.extend(page.get("events") or [])
            if not page.get("nextToken"):
                break
            request["nextToken"] = page["nextToken"]
        return [event["message"] for event in sorted(events, key=lambda event: event.get("timestamp", 0))]

    return read


def secret_db_info(secret_arn: str, secrets: Any = None) -> Callable[[], dict[str, Any]]:
    """Reads the dbInfo secret when the preflight asks (never earlier, never kept)."""

    def read() -> dict[str, Any]:
        import boto3

        client = secrets or boto3.client("secretsmanager")
        return load_db_info(client.get_secret_value(SecretId=secret_arn).get("SecretString"))

    return read


def build_admin(
    environment: LambdaEnvironment,
    *,
    acm_pca: Any = None,
    database_info: Callable[[], Mapping[str, Any]] | None = None,
    worker_log_records: Callable[[], Iterable[str]] | None = None,
    health_table: Any = None,
    other_sources: tuple[Source, ...] = (),
) -> ConnectorAdmin:
    """The admin the Lambda runs; `acm_pca` (a boto3 client) is needed only when the CA comes by ARN.
    `database_info` gives the preflight its dbInfo keys (default: the secret named by DB_INFO_SECRET_ARN);
    `health_table` (a boto3 Table) is where holds and the declared connector are kept (default: HEALTH_TABLE's);
    `other_sources` are the connectors besides Oracle its config rule allows (the local stand-in's)."""
    db_secret_arn = getattr(environment, "db_secret_arn", None)
    if database_info is None and db_secret_arn:
        database_info = secret_db_info(db_secret_arn)
    worker_log_group = getattr(environment, "worker_log_group", None)
    if worker_log_records is None and worker_log_group:
        worker_log_records = cloudwatch_worker_records(worker_log_group)
    table_name = getattr(environment, "health_table", None)
    if health_table is None and table_name:
        import boto3

        health_table = boto3.resource("dynamodb").Table(table_name)
    stage = environment.stage
    control = Control(health_table, stage.name, StageTopics(stage).connector_name) if health_table else None
    ca = environment.connect_ca
    if ca is None and environment.connect_ca_arn:
        if acm_pca is None:
            raise AdminMisconfigured(f"{CONNECT_CA_ARN} is set but no ACM PCA client was given.")
        ca = private_ca_pem(acm_pca, environment.connect_ca_arn)
    connect = ConnectClient(
        environment.connect_url,
        ca=ca,
        request_timeout=min(MAX_REQUEST_TIMEOUT_SECONDS, environment.connect_deadline_seconds),
        deadline=environment.connect_deadline_seconds,
    )
    rule = ConfigRule(
        stage, environment.bootstrap_servers, environment.security_protocol, sources=(ORACLE, *other_sources)
    )
    if not environment.bootstrap_servers:
        return ConnectorAdmin(
            connect=connect, stage=environment.stage, jmx_url=environment.jmx_url, database_info=database_info,
            worker_log_records=worker_log_records, control=control, config_rule=rule,
        )
    servers, protocol = environment.bootstrap_servers, environment.security_protocol
    return ConnectorAdmin(
        connect=connect,
        stage=environment.stage,
        topic_admin_factory=lambda: TopicAdmin(servers, security_protocol=protocol),
        config_writer=ConfigTopicWriter(servers, protocol),
        task_starts=kafka_task_start_log(environment.stage, servers, protocol),
        jmx_url=environment.jmx_url,
        signal_writer=SignalWriter(servers, protocol),
        database_info=database_info,
        worker_log_records=worker_log_records,
        control=control,
        config_rule=rule,
    )

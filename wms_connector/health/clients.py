"""Real clients for a health-check run, built from its config (the Lambda's path; tests build their own)."""

from __future__ import annotations

import boto3
from botocore.config import Config

from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient, private_ca_pem
from wms_connector.health.checks.capture import http_fetch
from wms_connector.health.checks.topics import kafka_consumer_factory
from wms_connector.health.config import HealthConfig
from wms_connector.health.runner import HealthClients
from wms_connector.preflight.connect import connect as preflight_connect

# A run must finish well inside the Lambda timeout even when everything it talks to hangs.
CONNECT_REQUEST_TIMEOUT = 5.0
AWS_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})


def ecs_client():
    return boto3.client("ecs", config=AWS_CONFIG)


def _connect_ca(config: HealthConfig) -> str | None:
    if config.connect_ca or not config.connect_ca_arn:
        return config.connect_ca
    return private_ca_pem(boto3.client("acm-pca", config=AWS_CONFIG), config.connect_ca_arn)


def build_clients(config: HealthConfig) -> HealthClients:
    return HealthClients(
        connect=ConnectClient(
            config.connect_url,
            ca=_connect_ca(config),
            request_timeout=min(CONNECT_REQUEST_TIMEOUT, config.connect_deadline_seconds),
            deadline=config.connect_deadline_seconds,
        ),
        ecs=ecs_client(),
        secrets=boto3.client("secretsmanager", config=AWS_CONFIG),
        cloudwatch=boto3.client("cloudwatch", config=AWS_CONFIG),
        table=boto3.resource("dynamodb", config=AWS_CONFIG).Table(config.table_name),
        consumer_factory=(
            kafka_consumer_factory(config.bootstrap_servers, config.security_protocol)
            if config.bootstrap_servers
            else None
        ),
        fetch=http_fetch() if config.jmx_url else None,
        database_connect=preflight_connect if config.database_probe else None,
        config_writer=(
            ConfigTopicWriter(config.bootstrap_servers, config.security_protocol) if config.bootstrap_servers else None
        ),
    )

"""Health-check runs against a local stack, their AWS side in moto: the clients a run uses (test_health.py), and
a whole run against the stand-in pipeline (test_real_events.py and bench/bench_real_events.py)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import boto3
from moto import mock_aws

from devtools.standin.database import HEARTBEAT_TABLE
from devtools.standin.pipeline import StandinPipeline
from tests.unit.aws_fixtures import health_check_aws
from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient
from wms_connector.health import config as c
from wms_connector.health.checks.capture import http_fetch
from wms_connector.health.checks.topics import kafka_consumer_factory
from wms_connector.health.config import HealthConfig
from wms_connector.health.runner import HealthClients, HealthRun

REGION = "us-east-1"
# moto needs credentials to sign with; these can never reach a real account.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                    "MOTO_ECS_SERVICE_RUNNING": "1"}


def _names(pipeline: StandinPipeline) -> dict[str, str]:
    service = pipeline.stage.service_name
    return {"cluster": service, "service": service, "table": f"{service}-health",
            "secret": f"wms/{pipeline.stage.name}/dbInfo"}


@contextlib.contextmanager
def standin_aws(pipeline: StandinPipeline) -> Iterator[dict]:
    """moto with what a health run reads in AWS for this pipeline (the dbInfo secret names the stand-in)."""
    saved = {name: os.environ.get(name) for name in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    names = _names(pipeline)
    db_info = {"host": "127.0.0.1", "port": str(pipeline.server.port), "user": pipeline.database.cdc.user,
               "password": pipeline.database.cdc.password}
    try:
        with mock_aws():
            yield health_check_aws(names["cluster"], names["service"], names["table"], names["secret"], db_info)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def health_run(pipeline: StandinPipeline, aws: dict) -> dict:
    """One health-check run against the pipeline, on the real clock: freshness is real time. Returns its summary."""
    stack, names = pipeline.stack, _names(pipeline)
    config = HealthConfig.from_env({
        c.STAGE: pipeline.stage.name,
        c.CONNECT_URL: stack.connect_url,
        c.ECS_CLUSTER: names["cluster"],
        c.ECS_SERVICE: names["service"],
        c.STATE_TABLE: names["table"],
        c.DB_SECRET_ARN: aws["secret_arn"],
        c.JMX_URL: stack.jmx_url,
        c.BOOTSTRAP_SERVERS: stack.bootstrap_servers,
        c.SECURITY_PROTOCOL: "PLAINTEXT",
        c.HEARTBEAT_TABLE_TOPIC: stack.topics.heartbeat_table_topic(HEARTBEAT_TABLE),
        c.REPAIR_DRIFT: "false",
    })
    return HealthRun(config, local_health_clients(config, aws, clock=time.time)).run()


def local_health_clients(config: HealthConfig, aws: dict, clock, emit=lambda line: None) -> HealthClients:
    """A health run's clients against a local stack: Connect, Kafka and the workers' metrics for real, AWS in moto
    (`aws` as tests.unit.aws_fixtures.health_check_aws returns it)."""
    return HealthClients(
        connect=ConnectClient(config.connect_url, request_timeout=3, deadline=6),
        ecs=aws["ecs"],
        secrets=boto3.client("secretsmanager", region_name=REGION),
        cloudwatch=boto3.client("cloudwatch", region_name=REGION),
        table=aws["table"],
        consumer_factory=kafka_consumer_factory(config.bootstrap_servers, "PLAINTEXT", timeout_ms=5000),
        fetch=http_fetch(),
        config_writer=ConfigTopicWriter(config.bootstrap_servers, "PLAINTEXT"),
        clock=clock,
        emit=emit,
    )

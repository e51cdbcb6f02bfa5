"""Health-check Lambda: handler duration per run and the size of its deployment package.

Starts a fresh local Kafka + Kafka Connect (the real Debezium Oracle plugin) on free loopback ports, registers the
connector (its task fails: no Oracle here, so every run finds FAILED and goes through the restart path), and
calls `functions.health_check.handler` repeatedly with moto standing in for ECS, DynamoDB, CloudWatch and
Secrets Manager. Each run does what it does in AWS: Connect REST, ECS, the secret and TCP probe, a JMX scrape,
Kafka end offsets, the budget in DynamoDB, a restart while the budget lasts, and the metrics. Then it builds the
Lambda code archive (components/lambda_package.py) as Pulumi would upload it and reports its size.

    PYTHONPATH=. .venv/bin/python bench/bench_health_check.py [--runs N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

import boto3
from kafka import KafkaProducer
from moto import mock_aws

from components.lambda_package import lambda_files
from devtools.local.kafka_tools import register_unvalidated
from devtools.local.settings import LocalSettings, unreachable_database_env
from devtools.local.stack import LocalStack
from functions.health_check import handler
from wms_connector import worker_env
from wms_connector.connect_client import ConnectClient
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.health import config as c
from wms_connector.stages import Stage

REGION = "us-east-1"
NAME = "wms-connector-bench"
FAILED_WITHIN_S = 120.0


def _package_size() -> tuple[int, int, int]:
    """(files, bytes on disk, bytes zipped) of the Lambda code archive."""
    files = lambda_files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for archive_path, path in sorted(files.items()):
            archive.write(path, archive_path)
    return len(files), sum(p.stat().st_size for p in files.values()), len(buffer.getvalue())


def _wait_failed(stack: LocalStack) -> None:
    client = ConnectClient(stack.connect_url, deadline=30)
    deadline = time.monotonic() + FAILED_WITHIN_S
    while time.monotonic() < deadline:
        status = client.status(stack.topics.connector_name)
        if status and (status.state == "FAILED" or any(t.state == "FAILED" for t in status.tasks)):
            return
        time.sleep(1)
    raise RuntimeError("the connector did not reach FAILED")


def _aws_resources(database_env: dict[str, str]) -> str:
    os.environ["MOTO_ECS_SERVICE_RUNNING"] = "1"
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName=NAME)
    ecs.register_task_definition(family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 512}])
    ecs.create_service(cluster=NAME, serviceName=NAME, taskDefinition="t", desiredCount=1)
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=NAME,
        KeySchema=[{"AttributeName": "connectorId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectorId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    info = {
        "host": database_env[worker_env.DB_HOST],
        "port": database_env[worker_env.DB_PORT],
        "password": database_env[worker_env.DB_PASSWORD],
    }
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="wms/bench/dbInfo", SecretString=json.dumps(info)
    )
    return secret["ARN"]


def _heartbeat_events(stack: LocalStack, count: int = 500) -> str:
    """The heartbeat table's topic with `count` Debezium-shaped events of several stages, as a shared database
    would fill it: the freshness read has a full look-back to go through."""
    topic = stack.topics.heartbeat_table_topic("WMS.DEBEZIUM_HEARTBEAT")
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    now_ms = int(time.time() * 1000)
    for n in range(count):
        stage = ("bench", "main", "val")[n % 3]
        payload = {"after": {"STAGE": stage}, "source": {"ts_ms": now_ms - (count - n) * 1000}, "op": "u"}
        producer.send(topic, json.dumps({"schema": {}, "payload": payload}).encode())
    producer.flush(timeout=30)
    producer.close()
    return topic


def measure(runs: int) -> list[float]:
    database_env = unreachable_database_env()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION)
    with tempfile.TemporaryDirectory(prefix="bench-health-") as base:
        stack = LocalStack(LocalSettings.on_free_ports(Path(base), Stage.parse("bench"), database_env=database_env))
        try:
            stack.start()
            config = build_connector_config(
                stack.stage,
                ConnectorOptions.from_config({}),
                KafkaClientSettings(stack.bootstrap_servers, "PLAINTEXT", 1),
            )
            register_unvalidated(stack, stack.topics.connector_name, config)
            _wait_failed(stack)
            heartbeat_topic = _heartbeat_events(stack)
            with mock_aws():
                secret_arn = _aws_resources(database_env)
                os.environ.update(
                    {
                        c.STAGE: stack.stage.name,
                        c.CONNECT_URL: stack.connect_url,
                        c.ECS_CLUSTER: NAME,
                        c.ECS_SERVICE: NAME,
                        c.STATE_TABLE: NAME,
                        c.DB_SECRET_ARN: secret_arn,
                        c.JMX_URL: stack.jmx_url,
                        c.BOOTSTRAP_SERVERS: stack.bootstrap_servers,
                        c.SECURITY_PROTOCOL: "PLAINTEXT",
                        # Freshness reads the newest heartbeat-row events back from Kafka on every run.
                        c.HEARTBEAT_TABLE_TOPIC: heartbeat_topic,
                    }
                )
                durations = []
                for _ in range(runs):
                    log = io.StringIO()
                    with contextlib.redirect_stdout(log):
                        started = time.perf_counter()
                        handler({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, None)
                        durations.append(time.perf_counter() - started)
        finally:
            stack.stop()
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="handler invocations (default 15)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")

    durations = measure(args.runs)
    ms = sorted(d * 1000 for d in durations)
    files, raw, zipped = _package_size()
    print(f"health-check handler, {len(ms)} runs against the local stack + moto")
    print(f"  median {statistics.median(ms):8.0f} ms")
    print(f"  min    {ms[0]:8.0f} ms")
    print(f"  p90    {ms[int(0.9 * (len(ms) - 1))]:8.0f} ms")
    print(f"  max    {ms[-1]:8.0f} ms   (first run includes client set-up)")
    print("Lambda deployment package (components/lambda_package.py)")
    print(f"  files  {files:8d}")
    print(f"  size   {raw / 1024:8.0f} KiB on disk, {zipped / 1024:.0f} KiB zipped (Lambda limit: 50 MiB zipped)")
    print(
        "\nEvery run finds the connector FAILED (no Oracle here): the first three restart it through the REST API,\n"
        "the rest are refused by the budget, as in an outage."
    )


if __name__ == "__main__":
    main()

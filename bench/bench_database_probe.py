"""The health check's database probe: what it adds to a run, and its own query count.

Runs the health check (`HealthRun`, moto for ECS, DynamoDB, CloudWatch and Secrets Manager, Kafka Connect down on a
closed loopback port) with the probe off and on, the probe over the Oracle connection double of the tests
(tests/unit/oracle_double.py: no database round trips, so this is the handler's own cost), and prints the median
run duration of each, the difference, and the probe's queries per run.

    PYTHONPATH=. .venv/bin/python bench/bench_database_probe.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time

import boto3
from moto import mock_aws

from tests.unit.aws_fixtures import Clock, free_port, health_check_aws, listening_port
from tests.unit.oracle_double import ready_database
from wms_connector.connect_client import ConnectClient
from wms_connector.health import config as c
from wms_connector.health.checks.database_probe import probe_database
from wms_connector.health.config import HealthConfig
from wms_connector.health.runner import HealthClients, HealthRun

NAME = "wms-connector-main"
REGION = "us-east-1"


def _runs(runs: int, probe: bool, aws: dict, port: int) -> tuple[list[float], int]:
    env = {
        c.STAGE: "main", c.CONNECT_URL: f"http://127.0.0.1:{free_port()}", c.ECS_CLUSTER: NAME, c.ECS_SERVICE: NAME,
        c.STATE_TABLE: NAME, c.DB_SECRET_ARN: aws["secret_arn"], c.CONNECT_DEADLINE_SECONDS: "1",
        **({c.DATABASE_PROBE: "true"} if probe else {}),
    }
    config = HealthConfig.from_env(env)
    queries = 0
    durations = []
    for n in range(runs):
        database = ready_database()
        clients = HealthClients(
            connect=ConnectClient(config.connect_url, request_timeout=0.5, deadline=1.0), ecs=aws["ecs"],
            secrets=boto3.client("secretsmanager", region_name=REGION),
            cloudwatch=boto3.client("cloudwatch", region_name=REGION), table=aws["table"],
            clock=Clock(1_800_000_000.0 + 600 * n), emit=lambda line: None,
            database_connect=lambda info, timeout, database=database: database,
        )
        started = time.perf_counter()
        HealthRun(config, clients).run()
        durations.append(time.perf_counter() - started)
        queries = len([s for s in database.executed if not s.startswith("ALTER SESSION")])
    return durations, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION,
                      MOTO_ECS_SERVICE_RUNNING="1")
    with listening_port() as port, mock_aws():
        aws = health_check_aws(NAME, NAME, NAME, "wms/main/dbInfo",
                               {"host": "127.0.0.1", "port": port, "user": "c##u",
                                "password": secrets.token_urlsafe(16)})
        off, _ = _runs(runs, False, aws, port)
        on, queries = _runs(runs, True, aws, port)
        secrets_manager = boto3.client("secretsmanager", region_name=REGION)
        alone = []
        for _ in range(runs):
            started = time.perf_counter()
            probe_database(secrets_manager, aws["secret_arn"], lambda info, timeout: ready_database(), use_pdb=True,
                           archive_destination_name=(), restart_scn=1500)
            alone.append(time.perf_counter() - started)
    off_ms, on_ms = statistics.median(off) * 1000, statistics.median(on) * 1000
    print(f"health run, probe off: median {off_ms:.0f} ms over {runs} runs")
    print(f"health run, probe on (double, no round trips): median {on_ms:.0f} ms; "
          f"difference {on_ms - off_ms:.1f} ms (within the spread of the closed Connect port's timeouts)")
    print(f"probe queries per run: {queries}")
    print(f"the probe alone (secret read from moto, queries to the double): median "
          f"{statistics.median(alone) * 1000:.1f} ms")


if __name__ == "__main__":
    main()

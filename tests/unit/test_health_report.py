"""Which metric values a run's findings give, and when HealthCheckFailed is raised: only for trouble of the
check itself, never a second time for a problem that already has its own alarm (one incident pages once)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.unit.aws_fixtures import REGION, fake_credentials
from wms_connector.connect_status import ConnectorStatus
from wms_connector.health import metric_names as m
from wms_connector.health.checks.capture import CaptureFindings
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.checks.database import DbFindings
from wms_connector.health.checks.ecs_service import EcsFindings, check_ecs_service
from wms_connector.health.report import RestartReport, RunReport, check_errors, signals

RUNNING = ConnectFindings(
    reachable=True,
    status=ConnectorStatus.from_json(
        {"name": "wms-oracle-cdc", "connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "RUNNING"}]}
    ),
)
CONNECT_DOWN = ConnectFindings(reachable=False, error="Kafka Connect did not answer")
ECS_STEADY = EcsFindings(desired=1, running=1)
ECS_NO_TASKS = EcsFindings(desired=1, running=0)
DB_UP = DbFindings(reachable=True)
SCRAPE_FAILED = CaptureFindings(error="could not scrape the JMX exporter: ConnectionRefusedError")


def _values(connect=RUNNING, ecs=ECS_STEADY, db=DB_UP, capture=None) -> dict[str, float]:
    report = RunReport(connect, ecs, db, capture, None, 0, RestartReport())
    report.errors = check_errors(report)
    return signals(report)


def test_a_healthy_run_raises_nothing():
    values = _values()
    assert values[m.HEALTH_CHECK_FAILED] == 0 and values[m.HEALTH_CHECK_RAN] == 1
    assert values[m.ECS_SERVICE_UNHEALTHY] == 0 and values[m.DB_TCP_UNREACHABLE] == 0


def test_a_running_task_whose_worker_exports_no_debezium_metrics_counts_as_disconnected():
    # Debezium 3.6 retries a failed start with the task RUNNING; its metrics appear only once it has started.
    not_started = CaptureFindings(heap_used_bytes=1.0, heap_max_bytes=4.0)
    assert _values(capture=not_started)[m.SOURCE_CONNECTED] == 0
    streaming = CaptureFindings(connected=True, lag_ms=10.0, heap_used_bytes=1.0, heap_max_bytes=4.0)
    assert _values(capture=streaming)[m.SOURCE_CONNECTED] == 1
    # A scrape that failed tells nothing, and a paused connector has no task streaming on purpose.
    assert m.SOURCE_CONNECTED not in _values(capture=SCRAPE_FAILED)
    paused = ConnectFindings(reachable=True, status=ConnectorStatus.from_json(
        {"name": "wms-oracle-cdc", "connector": {"state": "PAUSED"}, "tasks": [{"id": 0, "state": "PAUSED"}]}))
    assert m.SOURCE_CONNECTED not in _values(connect=paused, capture=not_started)


def test_workers_down_page_for_the_api_and_ecs_not_for_the_failed_scrape():
    values = _values(connect=CONNECT_DOWN, ecs=ECS_NO_TASKS, capture=SCRAPE_FAILED)
    assert values[m.CONNECT_API_UNREACHABLE] == 1 and values[m.ECS_SERVICE_UNHEALTHY] == 1
    assert values[m.HEALTH_CHECK_FAILED] == 0


def test_a_scrape_that_fails_while_the_workers_run_is_the_checks_own_trouble():
    assert _values(capture=SCRAPE_FAILED)[m.HEALTH_CHECK_FAILED] == 1


def test_an_ecs_api_failure_is_the_checks_trouble_not_an_unhealthy_service():
    values = _values(ecs=EcsFindings(error="DescribeServices failed: ThrottlingException", unknown=True))
    assert m.ECS_SERVICE_UNHEALTHY not in values
    assert values[m.HEALTH_CHECK_FAILED] == 1


def test_a_missing_ecs_service_pages_once_as_unhealthy():
    values = _values(ecs=EcsFindings(error="ECS service wms-connector-main in cluster x: MISSING"))
    assert values[m.ECS_SERVICE_UNHEALTHY] == 1 and values[m.HEALTH_CHECK_FAILED] == 0


def test_an_unreadable_secret_is_the_checks_trouble_and_says_nothing_of_the_database():
    values = _values(db=DbFindings(reachable=None, error="could not read the dbInfo secret: AccessDeniedException"))
    assert m.DB_TCP_UNREACHABLE not in values and values[m.HEALTH_CHECK_FAILED] == 1


def test_an_unreachable_database_pages_once():
    values = _values(db=DbFindings(reachable=False, error="TCP connection to the database listener failed"))
    assert values[m.DB_TCP_UNREACHABLE] == 1 and values[m.HEALTH_CHECK_FAILED] == 0


@pytest.fixture
def ecs(monkeypatch):
    fake_credentials(monkeypatch)
    with mock_aws():
        yield boto3.client("ecs", region_name=REGION)


def test_a_cluster_that_is_gone_is_known_to_be_unhealthy(ecs):
    found = check_ecs_service(ecs, "no-such-cluster", "wms-connector-main")
    assert found.error and not found.unknown and not found.healthy


def test_a_refused_ecs_call_is_unknown(ecs):
    # moto grants every call; botocore's own stubber makes the real client raise as AWS would.
    with Stubber(ecs) as stubber:
        stubber.add_client_error("describe_services", "AccessDeniedException", "not authorized")
        found = check_ecs_service(ecs, "wms-connector-main", "wms-connector-main")
    assert found.unknown and "AccessDeniedException" in found.error

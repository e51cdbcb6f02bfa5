"""Metric names, namespace and dimensions, published to moto's CloudWatch and read back."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from tests.unit.aws_fixtures import fake_credentials
from wms_connector.health import metric_names as m
from wms_connector.health.metrics import BATCH_SIZE, publish
from wms_connector.stages import Stage

EXISTING_SYSTEM_NAMES = (
    "ConnectApiUnreachable",
    "ConnectorStateFailed",
    "ConnectorTaskFailed",
    "EcsServiceUnhealthy",
    "DbTcpUnreachable",
    "HealthCheckFailed",
    "AutoRestartAttempted",
    "AutoRestartBudgetExceeded",
)


def test_existing_system_metric_names_are_kept():
    assert set(EXISTING_SYSTEM_NAMES) <= set(m.ALARMED_SIGNALS)


@pytest.mark.parametrize("stage", ["main", "production", "feature-x"])
def test_namespace_per_stage(stage):
    scope = m.MetricScope.for_stage(Stage.parse(stage), "wms-oracle-cdc")
    assert scope.namespace == f"wms-connector-{stage}/Health"


def test_dimensions_stage_always_connector_where_it_applies():
    scope = m.MetricScope.for_stage(Stage.parse("val"), "wms-oracle-cdc")
    assert scope.dimensions(m.ECS_SERVICE_UNHEALTHY) == {"Stage": "val"}
    assert scope.dimensions(m.HEALTH_CHECK_RAN) == {"Stage": "val"}
    assert scope.dimensions(m.CONNECTOR_STATE_FAILED) == {"Stage": "val", "Connector": "wms-oracle-cdc"}
    assert scope.dimensions(m.REPLICATION_LAG_MS) == {"Stage": "val", "Connector": "wms-oracle-cdc"}


@pytest.fixture
def cloudwatch(monkeypatch):
    fake_credentials(monkeypatch)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def test_published_metrics_can_be_read_back(cloudwatch):
    scope = m.MetricScope.for_stage(Stage.parse("main"), "wms-oracle-cdc")
    sent = publish(cloudwatch, scope, {m.REPLICATION_LAG_MS: 1234, m.HEALTH_CHECK_RAN: 1}, 1_800_000_000)
    assert sent == 2
    listed = cloudwatch.list_metrics(Namespace="wms-connector-main/Health")["Metrics"]
    by_name = {metric["MetricName"]: metric["Dimensions"] for metric in listed}
    assert by_name[m.HEALTH_CHECK_RAN] == [{"Name": "Stage", "Value": "main"}]
    assert {d["Name"] for d in by_name[m.REPLICATION_LAG_MS]} == {"Stage", "Connector"}


def test_many_metrics_go_in_batches(cloudwatch):
    scope = m.MetricScope.for_stage(Stage.parse("main"), "c")
    values = {f"Metric{i}": i for i in range(BATCH_SIZE + 5)}
    assert publish(cloudwatch, scope, values, 1_800_000_000) == BATCH_SIZE + 5
    paginator = cloudwatch.get_paginator("list_metrics")
    names = {
        x["MetricName"] for page in paginator.paginate(Namespace="wms-connector-main/Health") for x in page["Metrics"]
    }
    assert len(names) == BATCH_SIZE + 5

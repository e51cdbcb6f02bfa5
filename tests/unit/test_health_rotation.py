"""Credential rotation: which events redeploy the Connect service, and the redeploy itself against moto ECS."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from functions.health_check import handler
from wms_connector.health import config as c
from wms_connector.health.rotation import change_event_pattern, handle_secret_change, is_secret_change

REGION = "us-east-1"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:wms/main/dbInfo-AbCdEf"
OTHER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:wms/main/alertEmails-ZyXwVu"


def _event(name: str, arn: str = ARN, *, key: str = "arn", detail_type: str = "AWS API Call via CloudTrail", **extra):
    detail = {"eventSource": "secretsmanager.amazonaws.com", "eventName": name, **extra}
    if name == "RotationSucceeded":
        detail["additionalEventData"] = {"SecretId": arn}
        detail_type = "AWS Service Event via CloudTrail"
    else:
        detail["responseElements"] = {key: arn}
    return {"source": "aws.secretsmanager", "detail-type": detail_type, "detail": detail}


@pytest.mark.parametrize("name", ["PutSecretValue", "UpdateSecret", "RotateSecret", "UpdateSecretVersionStage"])
def test_value_changing_calls_on_this_secret_count(name):
    assert is_secret_change(_event(name), ARN)


def test_capitalised_arn_key_and_rotation_service_event_count():
    assert is_secret_change(_event("UpdateSecretVersionStage", key="aRN"), ARN)
    assert is_secret_change(_event("RotationSucceeded"), ARN)


@pytest.mark.parametrize(
    "event",
    [
        _event("PutSecretValue", OTHER_ARN),
        _event("GetSecretValue"),
        _event("TagResource"),
        _event("PutSecretValue", errorCode="AccessDeniedException"),
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
        {},
        "not-an-event",
    ],
)
def test_other_events_do_not_count(event):
    assert not is_secret_change(event, ARN)


def test_pattern_names_the_one_secret_and_the_value_changing_calls():
    pattern = change_event_pattern(ARN)
    assert pattern["source"] == ["aws.secretsmanager"]
    assert set(pattern["detail"]["eventName"]) >= {"PutSecretValue", "UpdateSecret", "RotateSecret"}
    arns = [next(iter(v.values())) for alt in pattern["detail"]["$or"] for v in alt.values()]
    assert arns == [[ARN], [ARN], [ARN]]


@pytest.fixture
def ecs(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    with mock_aws():
        client = boto3.client("ecs", region_name=REGION)
        client.create_cluster(clusterName="wms-connector-main")
        client.register_task_definition(family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 512}])
        client.create_service(
            cluster="wms-connector-main", serviceName="wms-connector-main", taskDefinition="t", desiredCount=1
        )
        yield client


def _deployment_ids(ecs) -> list[str]:
    service = ecs.describe_services(cluster="wms-connector-main", services=["wms-connector-main"])["services"][0]
    return [d["id"] for d in service["deployments"]]


def test_change_forces_a_new_deployment(ecs):
    before = _deployment_ids(ecs)
    outcome = handle_secret_change(_event("PutSecretValue"), ARN, ecs, "wms-connector-main", "wms-connector-main")
    assert outcome.redeployed and outcome.event_name == "PutSecretValue"
    assert outcome.deployment_id and outcome.deployment_id not in before
    assert outcome.deployment_id in _deployment_ids(ecs)


def test_change_of_another_secret_leaves_the_service_alone(ecs):
    before = _deployment_ids(ecs)
    outcome = handle_secret_change(_event("PutSecretValue", OTHER_ARN), ARN, ecs, "wms-connector-main", "x")
    assert not outcome.redeployed and "not a successful change" in outcome.reason
    assert _deployment_ids(ecs) == before


def test_handler_routes_secret_events_to_the_redeploy(ecs, monkeypatch, capsys):
    env = {
        c.STAGE: "main",
        c.CONNECT_URL: "http://127.0.0.1:9",
        c.ECS_CLUSTER: "wms-connector-main",
        c.ECS_SERVICE: "wms-connector-main",
        c.STATE_TABLE: "unused-here",
        c.DB_SECRET_ARN: ARN,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = _deployment_ids(ecs)
    result = handler(_event("RotateSecret"), None)
    assert result["redeployed"] is True and result["deploymentId"] not in before
    assert '"event": "db_secret_change"' in capsys.readouterr().out

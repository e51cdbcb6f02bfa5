"""Credential rotation: which events redeploy the Connect service, and the redeploy itself against moto ECS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from functions.health_check import handler
from tests.unit.aws_fixtures import REGION, create_service, fake_credentials
from wms_connector.health import config as c
from wms_connector.health.rotation import change_event_pattern, handle_secret_change, is_secret_change, secret_ids

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:wms/main/dbInfo-AbCdEf"
OTHER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:wms/main/alertEmails-ZyXwVu"


NAME = "wms/main/dbInfo"
PARTIAL_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:wms/main/dbInfo"


def _event(
    name: str,
    arn: str | None = ARN,
    *,
    key: str = "arn",
    secret_id: str | None = None,
    detail_type: str = "AWS API Call via CloudTrail",
    at: datetime | None = None,
    **extra,
):
    """A CloudTrail record as EventBridge delivers it. `secret_id` is what the caller passed (ARN or name)."""
    detail = {"eventSource": "secretsmanager.amazonaws.com", "eventName": name, **extra}
    if name == "RotationSucceeded":
        detail["additionalEventData"] = {"SecretId": arn}
        detail_type = "AWS Service Event via CloudTrail"
    else:
        detail["requestParameters"] = {"secretId": secret_id or arn}
        detail["responseElements"] = {key: arn} if arn else None
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "source": "aws.secretsmanager",
        "detail-type": detail_type,
        "account": "123456789012",
        "time": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


SAME_SECRET = [
    _event("PutSecretValue"),
    _event("PutSecretValue", secret_id=NAME),
    _event("UpdateSecret", secret_id=PARTIAL_ARN),
    _event("RotateSecret"),
    _event("UpdateSecretVersionStage", key="aRN"),
    # A call whose response names no ARN: the request's secret id (the name here) is all there is.
    _event("UpdateSecretVersionStage", None, secret_id=NAME),
    _event("RotationSucceeded"),
]
NOT_THIS_CHANGE = [
    _event("PutSecretValue", OTHER_ARN),
    _event("PutSecretValue", None, secret_id="wms/main/dbInfo-old"),
    _event("GetSecretValue"),
    _event("TagResource"),
]


@pytest.mark.parametrize("event", SAME_SECRET)
def test_value_changes_of_this_secret_by_arn_or_name_count(event):
    assert is_secret_change(event, ARN)


@pytest.mark.parametrize(
    "event",
    [
        *NOT_THIS_CHANGE,
        _event("PutSecretValue", errorCode="AccessDeniedException"),
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
        {},
        "not-an-event",
    ],
)
def test_other_events_do_not_count(event):
    assert not is_secret_change(event, ARN)


def test_the_rule_pattern_and_the_handler_agree_in_eventbridge(monkeypatch):
    """Each event goes through a rule with the pattern (moto's EventBridge) to a queue: the rule lets through
    exactly the events the handler acts on."""
    fake_credentials(monkeypatch)
    with mock_aws():
        events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="redeploys")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="db-secret-change", EventPattern=json.dumps(change_event_pattern(ARN)))
        events.put_targets(Rule="db-secret-change", Targets=[{"Id": "queue", "Arn": queue_arn}])
        for event, expected in [*((e, True) for e in SAME_SECRET), *((e, False) for e in NOT_THIS_CHANGE)]:
            entry = {"Source": event["source"], "DetailType": event["detail-type"]}
            events.put_events(Entries=[{**entry, "Detail": json.dumps(event["detail"])}])
            delivered = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            for message in delivered:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            assert bool(delivered) is expected, event["detail"]
            assert is_secret_change(event, ARN) is expected


def test_secret_ids_are_the_arn_the_partial_arn_and_the_name():
    assert secret_ids(ARN) == (ARN, PARTIAL_ARN, NAME)
    assert secret_ids("arn:aws-us-gov:secretsmanager:us-gov-west-1:1:secret:a-b/c-d-XyZ123")[2] == "a-b/c-d"


@pytest.mark.parametrize("bad", ["wms/main/dbInfo", "arn:aws:secretsmanager:us-east-1:1:secret:nosuffix", ""])
def test_a_value_that_is_not_a_secret_arn_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="is not a Secrets Manager secret ARN"):
        secret_ids(bad)


class MotoClock:
    """The time moto's ECS and Secrets Manager stamp on deployments and secret changes, moved by the test in whole
    seconds (as both services report them), so "a second later" is exact and needs no sleep."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    def utcnow(self) -> datetime:  # moto keeps naive UTC times
        return self.now.replace(tzinfo=None)

    def time(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def moto_clock(monkeypatch) -> MotoClock:
    clock = MotoClock()
    monkeypatch.setattr("moto.ecs.models.utcnow", clock.utcnow)
    monkeypatch.setattr("moto.secretsmanager.models.time", clock)  # its `time.time()`: LastChangedDate
    return clock


@pytest.fixture
def aws(monkeypatch, moto_clock):
    """moto's ECS (one running service) and Secrets Manager (the stage's dbInfo secret, created a second after the
    service's first deployment)."""
    fake_credentials(monkeypatch)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    with mock_aws():
        client = boto3.client("ecs", region_name=REGION)
        create_service(client, "wms-connector-main", "wms-connector-main")
        moto_clock.advance(1)
        secrets = boto3.client("secretsmanager", region_name=REGION)
        arn = secrets.create_secret(Name=NAME, SecretString="{}")["ARN"]
        yield client, secrets, arn


@pytest.fixture
def ecs(aws):
    return aws[0]


def _deployment_ids(ecs) -> list[str]:
    service = ecs.describe_services(cluster="wms-connector-main", services=["wms-connector-main"])["services"][0]
    return [d["id"] for d in service["deployments"]]


def _handle(aws, event):
    ecs, secrets, arn = aws
    return handle_secret_change(event, arn, ecs, "wms-connector-main", "wms-connector-main", secrets)


def test_change_forces_a_new_deployment(aws):
    ecs, _, arn = aws
    before = _deployment_ids(ecs)
    outcome = _handle(aws, _event("PutSecretValue", arn))
    assert outcome.redeployed and outcome.event_name == "PutSecretValue"
    assert outcome.deployment_id and outcome.deployment_id not in before
    assert outcome.deployment_id in _deployment_ids(ecs)


def test_one_rotations_records_redeploy_once(aws, moto_clock):
    """The records of one rotation arrive together, late: the first redeploys, the rest find that deployment
    started after the change Secrets Manager reports."""
    ecs, secrets, arn = aws
    moto_clock.advance(1)  # the redeploy starts a whole second after the change: the closest the two can be
    first = _handle(aws, _event("UpdateSecretVersionStage", arn))
    assert first.redeployed
    after_first = _deployment_ids(ecs)
    moto_clock.advance(1)
    for record in (_event("PutSecretValue", arn), _event("RotationSucceeded", arn)):
        outcome = _handle(aws, record)
        assert not outcome.redeployed and outcome.deployment_id == first.deployment_id
        assert "already runs" in outcome.reason
    assert _deployment_ids(ecs) == after_first
    # A later change (the next rotation) redeploys again.
    secrets.put_secret_value(SecretId=arn, SecretString='{"password": "next"}')
    moto_clock.advance(1)
    assert _handle(aws, _event("PutSecretValue", arn)).redeployed


def test_a_change_in_the_same_second_as_the_deployment_redeploys(aws, moto_clock):
    # Whole-second times cannot tell which came first: the deployment may predate the change, so it is redone.
    ecs, secrets, arn = aws
    first = _handle(aws, _event("PutSecretValue", arn))
    assert first.redeployed
    secrets.put_secret_value(SecretId=arn, SecretString='{"password": "same-second"}')
    second = _handle(aws, _event("PutSecretValue", arn))
    assert second.redeployed and second.deployment_id != first.deployment_id


def test_a_hand_made_event_without_a_change_redeploys_nothing(aws, moto_clock):
    # Anyone who may invoke the function can send an event that looks like a rotation: Secrets Manager decides.
    ecs, _, arn = aws
    moto_clock.advance(1)
    assert _handle(aws, _event("PutSecretValue", arn)).redeployed  # the secret's creation was not yet deployed
    after = _deployment_ids(ecs)
    moto_clock.advance(1)
    for forged in (_event("PutSecretValue", arn, at=datetime.now(UTC) + timedelta(hours=1)),
                   _event("RotationSucceeded", arn)):
        outcome = _handle(aws, forged)
        assert not outcome.redeployed and "already runs" in outcome.reason
    assert _deployment_ids(ecs) == after


def test_without_an_answer_from_secrets_manager_nothing_is_redeployed(aws):
    ecs, _, arn = aws

    class Unanswering:
        def describe_secret(self, **_):
            raise TimeoutError("no answer")

    before = _deployment_ids(ecs)
    outcome = handle_secret_change(_event("PutSecretValue", arn), arn, ecs, "wms-connector-main",
                                   "wms-connector-main", Unanswering())
    assert not outcome.redeployed and "does not say" in outcome.reason and _deployment_ids(ecs) == before


def test_change_of_another_secret_leaves_the_service_alone(aws):
    ecs, secrets, arn = aws
    before = _deployment_ids(ecs)
    outcome = handle_secret_change(_event("PutSecretValue", OTHER_ARN), arn, ecs, "wms-connector-main", "x", secrets)
    assert not outcome.redeployed and "not a successful change" in outcome.reason
    assert _deployment_ids(ecs) == before


def test_handler_routes_secret_events_to_the_redeploy(aws, monkeypatch, capsys):
    ecs, _, arn = aws
    env = {
        c.STAGE: "main",
        c.CONNECT_URL: "http://127.0.0.1:9",
        c.ECS_CLUSTER: "wms-connector-main",
        c.ECS_SERVICE: "wms-connector-main",
        c.STATE_TABLE: "unused-here",
        c.DB_SECRET_ARN: arn,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = _deployment_ids(ecs)
    result = handler(_event("RotateSecret", arn), None)
    assert result["redeployed"] is True and result["deploymentId"] not in before
    assert '"event": "db_secret_change"' in capsys.readouterr().out

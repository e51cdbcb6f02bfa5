"""Credential rotation: a change to the `dbInfo` secret redeploys the Connect service, so its tasks start again
with the new value (ECS injects secrets at task start only), without a `pulumi up`.

EventBridge delivers the CloudTrail record of the change; `change_event_pattern` is the rule's pattern and
`is_secret_change` re-checks an event here, because the same function also runs on the schedule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from wms_connector.health.redeploy import force_new_deployment, primary_deployment

# Calls that change which value is current. A rotation sets the new value as AWSPENDING with PutSecretValue
# and makes it current with UpdateSecretVersionStage; RotationSucceeded marks its end. A redeploy on an earlier
# step only restarts the tasks once more, never with a value that is not current.
VALUE_CHANGING_CALLS = ("PutSecretValue", "UpdateSecret", "RotateSecret", "UpdateSecretVersionStage")
ROTATION_SERVICE_EVENTS = ("RotationSucceeded",)
API_CALL = "AWS API Call via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"
SOURCE = "aws.secretsmanager"
# The name may hold "/" and "-"; Secrets Manager appends "-" and six random characters to it.
_SECRET_ARN = re.compile(r"^(?P<partial>arn:[^:]+:secretsmanager:[^:]*:\d*:secret:(?P<name>.+))-[A-Za-z0-9]{6}$")


def _length(value: object) -> str:
    # What was there is never shown: a secret pasted in the wrong place must not reach a log.
    return f"{len(value)} characters" if isinstance(value, str) else f"a {type(value).__name__}"


def secret_ids(secret_arn: str) -> tuple[str, ...]:
    """Every way a call can name the secret: its full ARN, its ARN without the random suffix, its name.

    `requestParameters.secretId` is whatever the caller passed, and callers use all three."""
    match = _SECRET_ARN.fullmatch(secret_arn) if isinstance(secret_arn, str) else None
    if not match:
        raise ValueError(
            f"the value given for the dbInfo secret's ARN ({_length(secret_arn)}) is not a Secrets Manager secret ARN "
            "(arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)."
        )
    return (secret_arn, match["partial"], match["name"])


def change_event_pattern(secret_arn: str) -> dict[str, Any]:
    """EventBridge pattern for changes of one secret. The response names it by ARN, as `arn` or (before 2024)
    `aRN`; the request by ARN or name; the rotation service event as `additionalEventData.SecretId`."""
    return {
        "source": [SOURCE],
        "detail-type": [API_CALL, SERVICE_EVENT],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "eventName": [*VALUE_CHANGING_CALLS, *ROTATION_SERVICE_EVENTS],
            "$or": [
                {"responseElements": {"arn": [secret_arn]}},
                {"responseElements": {"aRN": [secret_arn]}},
                {"requestParameters": {"secretId": list(secret_ids(secret_arn))}},
                {"additionalEventData": {"SecretId": [secret_arn]}},
            ],
        },
    }


def _event_secret_ids(detail: dict[str, Any]) -> set[str]:
    response = detail.get("responseElements") or {}
    request = detail.get("requestParameters") or {}
    extra = detail.get("additionalEventData") or {}
    named = (response.get("arn"), response.get("aRN"), request.get("secretId"), extra.get("SecretId"))
    return {str(v) for v in named if v}


def is_secret_change_event(event: Any) -> bool:
    """Whether `event` is a Secrets Manager change record at all (any secret)."""
    return isinstance(event, dict) and event.get("source") == SOURCE


def is_secret_change(event: Any, secret_arn: str) -> bool:
    if not is_secret_change_event(event):
        return False
    detail = event.get("detail") or {}
    name = detail.get("eventName")
    if name not in VALUE_CHANGING_CALLS and name not in ROTATION_SERVICE_EVENTS:
        return False
    if detail.get("errorCode"):  # a failed call changed nothing
        return False
    return not _event_secret_ids(detail).isdisjoint(secret_ids(secret_arn))


@dataclass(frozen=True)
class RotationOutcome:
    redeployed: bool
    event_name: str | None
    deployment_id: str | None = None
    reason: str | None = None

    def to_log(self) -> dict[str, Any]:
        return {
            "event": "db_secret_change",
            "redeployed": self.redeployed,
            "eventName": self.event_name,
            "deploymentId": self.deployment_id,
            "reason": self.reason,
        }


def last_changed(secrets: Any, secret_arn: str) -> datetime | None:
    """When Secrets Manager says the secret last changed (a new value, a version made current); None when it
    cannot say. The event that woke the function is only a hint: anyone who may invoke the function can make one."""
    try:
        at = secrets.describe_secret(SecretId=secret_arn).get("LastChangedDate")
    except Exception:  # no answer: nothing is redeployed on an event alone
        return None
    if not isinstance(at, datetime):
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def handle_secret_change(
    event: Any, secret_arn: str, ecs: Any, cluster: str, service: str, secrets: Any
) -> RotationOutcome:
    """Redeploy when the secret really changed after the running deployment started.

    The event must name this stage's secret, and Secrets Manager itself must say the secret changed after the
    service's current deployment started: a hand-made event (the function's invoke right is all it takes) can
    then at most redeploy a service that was going to be redeployed anyway. One rotation sends several records
    (RotateSecret, PutSecretValue, UpdateSecretVersionStage, RotationSucceeded), often delivered minutes late and
    together: the first redeploys, and the others find that deployment newer than the change."""
    name = (event.get("detail") or {}).get("eventName") if isinstance(event, dict) else None
    if not is_secret_change(event, secret_arn):
        return RotationOutcome(False, name, reason="not a successful change of this stage's dbInfo secret")
    changed_at = last_changed(secrets, secret_arn)
    if changed_at is None:
        return RotationOutcome(False, name, reason="Secrets Manager does not say when the secret last changed")
    current = primary_deployment(ecs, cluster, service)
    # Times from the two services have whole seconds: a deployment in the same second as the change may predate it.
    if current and current[1] >= changed_at + timedelta(seconds=1):
        return RotationOutcome(
            False, name, deployment_id=current[0], reason="a deployment started after this change already runs"
        )
    return RotationOutcome(True, name, deployment_id=force_new_deployment(ecs, cluster, service))

"""AWS resource names derived from a stage, valid for each resource type's length and character rules.

Names are `wms-connector-<stage>-<suffix>`. When that is too long for the resource type, it is cut and a
hash of the full name is appended, so the result is deterministic and two long stages do not collide.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from wms_connector.stages import Stage


@dataclass(frozen=True)
class NameRule:
    max_length: int
    pattern: re.Pattern[str]
    description: str


def _rule(max_length: int, pattern: str, description: str) -> NameRule:
    return NameRule(max_length, re.compile(pattern), description)


# Length and character rules per resource type, from the AWS API references.
RULES: dict[str, NameRule] = {
    "ecs-cluster": _rule(255, r"[A-Za-z0-9_-]+", "letters, digits, '-' and '_'"),
    "ecs-service": _rule(255, r"[A-Za-z0-9_-]+", "letters, digits, '-' and '_'"),
    "task-family": _rule(255, r"[A-Za-z0-9_-]+", "letters, digits, '-' and '_'"),
    "iam-role": _rule(64, r"[\w+=,.@-]+", "letters, digits and +=,.@_-"),
    "iam-policy": _rule(128, r"[\w+=,.@-]+", "letters, digits and +=,.@_-"),
    "lambda": _rule(64, r"[A-Za-z0-9_-]+", "letters, digits, '-' and '_'"),
    "log-group": _rule(512, r"[A-Za-z0-9_./#-]+", "letters, digits and ._-/#"),
    "security-group": _rule(255, r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+", "ASCII letters, digits, punctuation"),
    # Load balancers and target groups: 32 characters, alphanumerics and hyphens, no leading/trailing hyphen.
    "load-balancer": _rule(32, r"(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", "letters, digits, '-'"),
    "target-group": _rule(32, r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", "letters, digits, '-'"),
    "sns-topic": _rule(256, r"[A-Za-z0-9_-]+", "letters, digits, '-' and '_'"),
    "event-rule": _rule(64, r"[A-Za-z0-9._-]+", "letters, digits and ._-"),
    "dynamodb-table": _rule(255, r"[A-Za-z0-9_.-]{3,}", "letters, digits and ._-"),
    "ecr-repository": _rule(
        256, r"[a-z0-9]+(?:[._-][a-z0-9]+)*", "lowercase letters, digits, single separators ._-"
    ),
    "alarm": _rule(255, r"[ -~]+", "printable ASCII"),
    "dashboard": _rule(255, r"[A-Za-z0-9_-]+", "letters, digits, '-' and '_'"),
    "metric-namespace": _rule(255, r"[A-Za-z0-9.\-_/#:]+", "letters, digits and .-_/#:"),
    # One DNS label (the private hosted zone is `<label>.internal`).
    "dns-label": _rule(63, r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", "lowercase letters, digits, '-'"),
}

# An AWS region name (us-east-1, us-gov-west-1, …): stack config, the provider's transport and `ops` check it.
REGION_PATTERN = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d")

_HASH_LENGTH = 8


def _shorten(full: str, max_length: int) -> str:
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_LENGTH]
    head = full[: max_length - _HASH_LENGTH - 1].rstrip("-_.")
    return f"{head}-{digest}"


def aws_name(stage: Stage, kind: str, suffix: str = "", *, prefix: str = "") -> str:
    """`<prefix>wms-connector-<stage>[-<suffix>]`, valid for `kind`; shortened with a hash when too long."""
    rule = RULES[kind]
    full = f"{prefix}{stage.service_name}" + (f"-{suffix}" if suffix else "")
    name = full if len(full) <= rule.max_length else _shorten(full, rule.max_length)
    if not rule.pattern.fullmatch(name):
        raise ValueError(f"Derived {kind} name {name!r} breaks its rule: {rule.description}.")
    return name


def admin_function_name(stage: Stage) -> str:
    """The admin Lambda's name: the stack creates it, the on-call commands (`ops`) find the function by it."""
    return aws_name(stage, "lambda", "admin")


def admin_read_function_name(stage: Stage) -> str:
    """The read-only admin Lambda's name (status, lag, offsets, the live config): the one on-call may invoke."""
    return aws_name(stage, "lambda", "admin-read")


def health_function_name(stage: Stage) -> str:
    return aws_name(stage, "lambda", "health")


def worker_log_group_name(stage: Stage) -> str:
    """The Connect workers' log group: the alarms' log filters and the admin's hidden task causes read it."""
    return aws_name(stage, "log-group", "kafka-connect", prefix="/aws/fargate/")

"""How the dynamic providers reach the connector admin: the admin Lambda (in AWS) or Connect directly (local).

A transport is described by plain data in the resource's inputs (`{"kind": "lambda", …}` or
`{"kind": "direct", …}`), so the provider objects capture nothing: clients are created inside each call. Every
failure, whether the Lambda's own (FunctionError, timeout) or the admin's (`{"ok": false, …}`), becomes an
`AdminCallFailed` whose message a person can read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wms_connector import connect_rules, kafka_settings
from wms_connector.admin.access import is_read_action
from wms_connector.admin.protocol import AdminCallFailed, unwrap
from wms_connector.aws_names import REGION_PATTERN
from wms_connector.stages import Stage
from wms_connector.task_cause import log_records

LAMBDA = "lambda"
DIRECT = "direct"
KINDS = (LAMBDA, DIRECT)

_FUNCTION_NAME = re.compile(
    r"(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?"
)
# How long the provider waits for the Lambda beyond the admin's own state timeout.
LAMBDA_MARGIN_SECONDS = 60
# How long one Connect call keeps retrying when the admin runs in this process.
DEFAULT_DIRECT_DEADLINE_SECONDS = 60.0


class TransportSpecError(ValueError):
    """A transport description that cannot be used; the message names the property."""


@dataclass(frozen=True)
class LambdaTransport:
    function_name: str
    region: str
    timeout_seconds: float = 900.0
    endpoint_url: str | None = None  # another Lambda API endpoint (tests)
    # The stage's read-only admin function: actions that change nothing go there (access.py), so a caller who
    # may invoke only it (on-call's read-only role) can still read.
    read_function_name: str | None = None

    def function_for(self, request: Mapping[str, Any]) -> str:
        """The function that serves `request`: the read-only one for a read, when there is one."""
        reads = self.read_function_name and is_read_action(request.get("action"))
        return self.read_function_name if reads else self.function_name

    def invoke(self, request: Mapping[str, Any], *, client: Any = None) -> Any:
        """Run `request` on the admin Lambda and return its result; `client` is for tests (a stubbed one)."""
        if client is None:
            client = self._client()
        import botocore.exceptions

        function_name = self.function_for(request)
        try:
            answer = client.invoke(
                FunctionName=function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps(request).encode(),
            )
        except botocore.exceptions.ReadTimeoutError:
            raise AdminCallFailed(
                "LambdaTimeout",
                f"No answer from admin function {function_name} within {self.timeout_seconds:.0f}s "
                f"(action {request.get('action')!r}).",
            ) from None
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            raise AdminCallFailed(
                f"Lambda{error.get('Code', 'Error')}",
                f"Invoking admin function {function_name} failed: {error.get('Message', exc)}",
            ) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise AdminCallFailed("LambdaUnreachable", f"Invoking admin function {function_name}: {exc}") from None
        raw = answer["Payload"].read() if answer.get("Payload") is not None else b""
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", errors="replace")
        if answer.get("FunctionError"):
            raise _function_error(function_name, answer["FunctionError"], payload)
        return unwrap(payload)

    def _client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            read_timeout=self.timeout_seconds,
            connect_timeout=10,
            retries={"max_attempts": 1, "mode": "standard"},  # a retried admin call could run twice
        )
        return boto3.client("lambda", region_name=self.region, endpoint_url=self.endpoint_url, config=config)


def _function_error(function_name: str, kind: str, payload: Any) -> AdminCallFailed:
    """The Lambda failed outside the admin's own error handling (crash, timeout, out of memory)."""
    if isinstance(payload, Mapping):
        error_type = str(payload.get("errorType") or kind)
        message = str(payload.get("errorMessage") or "no message")
    else:
        error_type, message = kind, str(payload or "no message")
    if "timed out" in message.lower() or error_type == "Sandbox.Timedout":
        return AdminCallFailed("LambdaTimeout", f"Admin function {function_name} ran out of time: {message}")
    # The Lambda's stack trace stays in its log group; the user gets the type and message.
    return AdminCallFailed(
        "LambdaFunctionError",
        f"Admin function {function_name} failed ({error_type}): {message}. Its log group has the details.",
    )


@dataclass(frozen=True)
class DirectTransport:
    """Runs the admin in this process against a Connect URL (local stack, tests)."""

    connect_url: str
    stage: str
    connect_ca: str | None = None
    bootstrap_servers: str | None = None
    security_protocol: str = kafka_settings.LOCAL_SECURITY_PROTOCOL
    connect_deadline: float = DEFAULT_DIRECT_DEADLINE_SECONDS
    jmx_url: str | None = None  # the worker's JMX exporter (lag)
    # The preflight's dbInfo keys (the local stack's env file); never part of a transport spec.
    database_info: Callable[[], Mapping[str, Any]] | None = field(default=None, repr=False, compare=False)
    # The worker's log file (the local stack's), for the causes a failed task's trace hides.
    worker_log: str | None = field(default=None, compare=False)
    # Sources besides Oracle the config rule allows here (the local stand-in's PostgreSQL connector).
    other_sources: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def invoke(self, request: Mapping[str, Any]) -> Any:
        from wms_connector.admin.environment import build_admin
        from wms_connector.admin.protocol import handle
        from wms_connector.lambda_env import LambdaEnvironment

        environment = LambdaEnvironment(
            stage=Stage.parse(self.stage),
            connect_url=self.connect_url,
            connect_ca=self.connect_ca,
            connect_deadline_seconds=self.connect_deadline,
            bootstrap_servers=self.bootstrap_servers,
            security_protocol=self.security_protocol,
            jmx_url=self.jmx_url,
        )
        records = (lambda: _file_records(self.worker_log)) if self.worker_log else None
        admin = build_admin(
            environment, database_info=self.database_info, worker_log_records=records, other_sources=self.other_sources
        )
        return unwrap(handle(admin, request))


def _file_records(path: str) -> list[str]:
    log = Path(path)
    return log_records(log.read_text(errors="replace")) if log.is_file() else []


def _unknown(value: Any) -> bool:
    # During a preview, values computed by other resources (the admin function's name) are not known yet.
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    return isinstance(value, Unknown) or value == UNKNOWN


def transport_problems(spec: Any, prop: str = "transport") -> list[tuple[str, str]]:
    """(property, reason) for everything wrong with a transport description; empty when usable. Values not
    known yet (preview) are not judged."""
    if _unknown(spec):
        return []
    if not isinstance(spec, Mapping):
        return [(prop, f"must be an object with `kind` one of {', '.join(KINDS)}")]
    kind = spec.get("kind")
    if kind == LAMBDA:
        problems = []
        function_name = spec.get("functionName")
        if not _unknown(function_name) and (
            not isinstance(function_name, str) or not _FUNCTION_NAME.fullmatch(function_name)
        ):
            problems.append((f"{prop}.functionName", "must be a Lambda function name or ARN"))
        read_function = spec.get("readFunctionName")
        if read_function is not None and not _unknown(read_function) and (
            not isinstance(read_function, str) or not _FUNCTION_NAME.fullmatch(read_function)
        ):
            problems.append((f"{prop}.readFunctionName", "must be a Lambda function name or ARN"))
        if not isinstance(spec.get("region"), str) or not REGION_PATTERN.fullmatch(spec["region"]):
            problems.append((f"{prop}.region", "must be an AWS region name such as us-east-1"))
        return problems
    if kind == DIRECT:
        problems = []
        url = spec.get("connectUrl")
        if not _unknown(url) and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            problems.append((f"{prop}.connectUrl", "must start with http:// or https://"))
        try:
            Stage.parse(spec.get("stage"))
        except ValueError as exc:
            problems.append((f"{prop}.stage", str(exc)))
        protocol = spec.get("securityProtocol", kafka_settings.LOCAL_SECURITY_PROTOCOL)
        if not kafka_settings.is_security_protocol(protocol):
            problems.append(
                (f"{prop}.securityProtocol", f"must be one of {', '.join(kafka_settings.SECURITY_PROTOCOLS)}")
            )
        deadline = spec.get("connectDeadlineSeconds", DEFAULT_DIRECT_DEADLINE_SECONDS)
        if not connect_rules.is_connect_deadline(deadline):
            problems.append(
                (
                    f"{prop}.connectDeadlineSeconds",
                    f"must be seconds from {connect_rules.MIN_CONNECT_DEADLINE_SECONDS} to "
                    f"{connect_rules.MAX_CONNECT_DEADLINE_SECONDS}",
                )
            )
        return problems
    return [(f"{prop}.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")]


def transport_from_spec(
    spec: Mapping[str, Any], *, timeout_seconds: float = 900.0
) -> LambdaTransport | DirectTransport:
    problems = transport_problems(spec)
    if problems:
        raise TransportSpecError("; ".join(f"{prop} {reason}" for prop, reason in problems))
    if spec["kind"] == LAMBDA:
        return LambdaTransport(
            function_name=spec["functionName"],
            region=spec["region"],
            timeout_seconds=timeout_seconds + LAMBDA_MARGIN_SECONDS,
            endpoint_url=spec.get("endpointUrl") or None,
            read_function_name=spec.get("readFunctionName") or None,
        )
    return DirectTransport(
        connect_url=spec["connectUrl"],
        stage=spec["stage"],
        connect_ca=spec.get("connectCa") or None,
        bootstrap_servers=spec.get("bootstrapServers") or None,
        security_protocol=spec.get("securityProtocol", kafka_settings.LOCAL_SECURITY_PROTOCOL),
        connect_deadline=float(spec.get("connectDeadlineSeconds") or DEFAULT_DIRECT_DEADLINE_SECONDS),
    )


def lambda_spec(function_name: Any, region: str, read_function_name: Any = None) -> dict[str, Any]:
    """The transport description for the stack's admin Lambdas (names may be Pulumi Outputs): changes go to
    `function_name`, reads to `read_function_name` when given."""
    spec = {"kind": LAMBDA, "functionName": function_name, "region": region}
    if read_function_name is not None:
        spec["readFunctionName"] = read_function_name
    return spec


def direct_spec(
    connect_url: str,
    stage: Stage,
    *,
    bootstrap_servers: str | None = None,
    security_protocol: str = kafka_settings.LOCAL_SECURITY_PROTOCOL,
    connect_deadline_seconds: float | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": DIRECT, "connectUrl": connect_url, "stage": stage.name}
    if connect_deadline_seconds:
        spec["connectDeadlineSeconds"] = connect_deadline_seconds
    if bootstrap_servers:
        spec["bootstrapServers"] = bootstrap_servers
        spec["securityProtocol"] = security_protocol
    return spec

"""What both Lambdas read from their environment: the stage, how to reach Connect (URL, CA, deadline), Kafka and
the workers' JMX exporter. One parser, so the stack, the admin and the health check agree on every name and rule;
each Lambda adds its own variables on top (admin/environment.py, health/config.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector import connect_rules, kafka_settings
from wms_connector.stages import Stage

# Variable names: the stack sets them (components/admin_function.py, components/health.py), `read` reads them.
STAGE = "STAGE"
CONNECT_URL = "CONNECT_URL"
CONNECT_CA = "CONNECT_CA"  # PEM text or a file path
# Or the private CA that issued the endpoint's certificate: its certificate is fetched from ACM PCA at start.
CONNECT_CA_ARN = "CONNECT_CA_ARN"
CONNECT_DEADLINE_SECONDS = "CONNECT_DEADLINE_SECONDS"  # how long one Connect call may keep retrying
BOOTSTRAP_SERVERS = "BOOTSTRAP_SERVERS"  # optional: what needs Kafka is unavailable without it
SECURITY_PROTOCOL = "KAFKA_SECURITY_PROTOCOL"
# Optional: `{task_ip}` in it stands for the worker(s) running the connector's task.
JMX_URL = "JMX_URL"

REQUIRED = (STAGE, CONNECT_URL)


class LambdaEnvironmentError(ValueError):
    """The environment does not describe a runnable function; the message names the variable."""


@dataclass(frozen=True, kw_only=True)
class LambdaEnvironment:
    stage: Stage
    connect_url: str
    connect_ca: str | None = None
    connect_ca_arn: str | None = None
    connect_deadline_seconds: float
    bootstrap_servers: str | None = None
    security_protocol: str = kafka_settings.MSK_SECURITY_PROTOCOL
    jmx_url: str | None = None

    @classmethod
    def shared_values(
        cls, env: Mapping[str, str], *, default_deadline: int, who: str, required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The shared variables, checked, as keyword arguments for a subclass; `required` adds the subclass's."""
        missing = [name for name in (*REQUIRED, *required) if not env.get(name, "").strip()]
        if missing:
            raise LambdaEnvironmentError(f"The {who}'s environment is missing {', '.join(missing)}.")
        try:
            stage = Stage.parse(env[STAGE].strip())
        except ValueError as exc:
            raise LambdaEnvironmentError(f"{STAGE}: {exc}") from None
        protocol = optional(env, SECURITY_PROTOCOL) or kafka_settings.MSK_SECURITY_PROTOCOL
        if not kafka_settings.is_security_protocol(protocol.upper()):
            raise LambdaEnvironmentError(
                f"{SECURITY_PROTOCOL} must be one of {', '.join(kafka_settings.SECURITY_PROTOCOLS)}, got {protocol!r}."
            )
        deadline = whole_number(env, CONNECT_DEADLINE_SECONDS, default_deadline)
        if not connect_rules.is_connect_deadline(deadline):
            raise LambdaEnvironmentError(
                f"{CONNECT_DEADLINE_SECONDS} must be whole seconds from {connect_rules.MIN_CONNECT_DEADLINE_SECONDS}"
                f" to {connect_rules.MAX_CONNECT_DEADLINE_SECONDS}, got {deadline!r}."
            )
        return {
            "stage": stage,
            "connect_url": http_url(env, CONNECT_URL),
            "connect_ca": optional(env, CONNECT_CA),
            "connect_ca_arn": optional(env, CONNECT_CA_ARN),
            "connect_deadline_seconds": float(deadline),
            "bootstrap_servers": optional(env, BOOTSTRAP_SERVERS),
            "security_protocol": protocol.upper(),
            "jmx_url": http_url(env, JMX_URL) if optional(env, JMX_URL) else None,
        }


def optional(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def http_url(env: Mapping[str, str], name: str) -> str:
    url = env.get(name, "").strip()
    if not url.startswith(("http://", "https://")):
        raise LambdaEnvironmentError(f"{name} must start with http:// or https://, got {url!r}.")
    return url


def whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise LambdaEnvironmentError(f"{name} must be a positive whole number, got {raw!r}.")
    return int(raw)


def positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = whole_number(env, name, default)
    if value < 1:
        raise LambdaEnvironmentError(f"{name} must be a positive whole number, got {env.get(name)!r}.")
    return value

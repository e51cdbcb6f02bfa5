"""What both Lambdas read from their environment: the stage, how to reach Connect (URL, CA, deadline), Kafka and
the workers' JMX exporter. One parser, so the stack, the admin and the health check agree on every name and rule;
each Lambda adds its own variables on top (admin/environment.py, health/config.py).

Values are taken exactly as they are, as strictly as the stack checks the same values: nothing is trimmed or
case-folded into validity, and a bad value refuses the run with a message that names the variable and what it
takes, never what was there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector import connect_rules, kafka_settings
from wms_connector.secrets_lookup import PRIVATE_CA_ARN, SecretError, parse_broker_string
from wms_connector.settings import SettingsError
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
# The Connect workers' log group: the admin reads the causes a task's trace hides from it.
WORKER_LOG_GROUP = "WORKER_LOG_GROUP"
# The dbInfo secret's ARN: the health check's database probe and the admin's preflight read the secret by it.
DB_SECRET_ARN = "DB_INFO_SECRET_ARN"  # noqa: S105 - a variable name, not a value
# The stage's health table: the health check's state, and the hold and declared connector the admin writes.
HEALTH_TABLE = "HEALTH_TABLE"

REQUIRED = (STAGE, CONNECT_URL)

_HTTP_URL = re.compile(r"https?://[^\s/@]+(?::\d{1,5})?(?:/\S*)?")


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
        missing = [name for name in (*REQUIRED, *required) if not env.get(name)]
        if missing:
            raise LambdaEnvironmentError(f"The {who}'s environment is missing {', '.join(missing)}.")
        deadline = value_of(env, CONNECT_DEADLINE_SECONDS, _deadline, default=default_deadline)
        return {
            "stage": value_of(env, STAGE, _stage),
            "connect_url": value_of(env, CONNECT_URL, _http_url),
            "connect_ca": env.get(CONNECT_CA) or None,
            "connect_ca_arn": value_of(env, CONNECT_CA_ARN, _private_ca_arn, default=None),
            "connect_deadline_seconds": float(deadline),
            "bootstrap_servers": value_of(env, BOOTSTRAP_SERVERS, _bootstrap_servers, default=None),
            "security_protocol": value_of(
                env, SECURITY_PROTOCOL, _security_protocol, default=kafka_settings.MSK_SECURITY_PROTOCOL
            ),
            "jmx_url": value_of(env, JMX_URL, _http_url, default=None),
        }


_REQUIRED = object()


def value_of(env: Mapping[str, str], name: str, parse: Callable[[str], Any], *, default: Any = _REQUIRED) -> Any:
    """`parse(env[name])`, or `default` when the variable is unset or empty; a parser's ValueError becomes a
    LambdaEnvironmentError that names the variable (parsers say what is allowed, never what was there)."""
    raw = env.get(name)
    if not raw:
        if default is _REQUIRED:
            raise LambdaEnvironmentError(f"{name} is missing.")
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise LambdaEnvironmentError(f"{name}: {exc}") from None


def _stage(raw: str) -> Stage:
    return Stage.parse(raw)


def _http_url(raw: str) -> str:
    if not _HTTP_URL.fullmatch(raw):
        raise ValueError("must be an http:// or https:// URL with a host and no spaces or credentials.")
    return raw


def _private_ca_arn(raw: str) -> str:
    if not PRIVATE_CA_ARN.fullmatch(raw):
        raise ValueError(
            "must be an ACM Private CA ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>)."
        )
    return raw


def _bootstrap_servers(raw: str) -> str:
    try:
        parsed = parse_broker_string(BOOTSTRAP_SERVERS, raw).bootstrap_servers
    except SecretError:
        parsed = None
    if parsed != raw:
        raise ValueError("must be host:port[,host:port…] with nothing around them.")
    return raw


def _security_protocol(raw: str) -> str:
    if not kafka_settings.is_security_protocol(raw):
        raise ValueError(f"must be one of {', '.join(kafka_settings.SECURITY_PROTOCOLS)}.")
    return raw


def _deadline(raw: str) -> int:
    low, high = connect_rules.MIN_CONNECT_DEADLINE_SECONDS, connect_rules.MAX_CONNECT_DEADLINE_SECONDS
    if not re.fullmatch(r"\d{1,4}", raw) or not low <= int(raw) <= high:
        raise ValueError(f"must be whole seconds from {low} to {high}.")
    return int(raw)


def setting(parse: Callable[[str, object], Any]) -> Callable[[str], Any]:
    """A stage-settings parser (settings/parsers.py) as an environment parser: the same rule, the same bounds,
    so a Lambda accepts exactly what the stack would have accepted for the setting it carries."""
    def parse_value(raw: str) -> Any:
        try:
            return parse("", raw)
        except SettingsError as exc:
            raise ValueError(f"must be {exc.allowed}.") from None

    return parse_value

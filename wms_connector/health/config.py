"""The health check's settings, read from the Lambda's environment and checked before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wms_connector.health.restart_budget import DEFAULT_LIMIT, DEFAULT_WINDOW_SECONDS
from wms_connector.health.rotation import secret_ids
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

# Environment variable names: the stack sets them, `HealthConfig.from_env` reads them.
STAGE = "STAGE"
CONNECT_URL = "CONNECT_URL"
CONNECT_CA = "CONNECT_CA"  # PEM text or a file path
# Or the private CA that issued the endpoint's certificate: its certificate is fetched at run time.
CONNECT_CA_ARN = "CONNECT_CA_ARN"
ECS_CLUSTER = "ECS_CLUSTER"
ECS_SERVICE = "ECS_SERVICE"
STATE_TABLE = "HEALTH_TABLE"
DB_SECRET_ARN = "DB_INFO_SECRET_ARN"  # noqa: S105 - a variable name, not a value
# Optional: capture metrics are skipped without it. `{task_ip}` in it stands for each running worker's IP.
JMX_URL = "JMX_URL"
BOOTSTRAP_SERVERS = "BOOTSTRAP_SERVERS"  # optional: topic offsets are skipped without it
SECURITY_PROTOCOL = "KAFKA_SECURITY_PROTOCOL"
RESTART_LIMIT = "RESTART_LIMIT"
RESTART_WINDOW_MINUTES = "RESTART_WINDOW_MINUTES"
CONNECT_DEADLINE_SECONDS = "CONNECT_DEADLINE_SECONDS"  # how long one Connect call may keep retrying

DEFAULT_CONNECT_DEADLINE_SECONDS = 20

SECURITY_PROTOCOLS = ("SSL", "PLAINTEXT")
REQUIRED = (STAGE, CONNECT_URL, ECS_CLUSTER, ECS_SERVICE, STATE_TABLE, DB_SECRET_ARN)


class HealthConfigError(ValueError):
    """The environment does not describe a runnable health check; the message names the variable."""


@dataclass(frozen=True)
class HealthConfig:
    stage: Stage
    connect_url: str
    ecs_cluster: str
    ecs_service: str
    table_name: str
    db_secret_arn: str
    connect_ca: str | None = None
    connect_ca_arn: str | None = None
    jmx_url: str | None = None
    bootstrap_servers: str | None = None
    security_protocol: str = "SSL"
    restart_limit: int = DEFAULT_LIMIT
    restart_window_seconds: int = DEFAULT_WINDOW_SECONDS
    connect_deadline_seconds: int = DEFAULT_CONNECT_DEADLINE_SECONDS

    @property
    def topics(self) -> StageTopics:
        return StageTopics(self.stage)

    @property
    def connector(self) -> str:
        return self.topics.connector_name

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HealthConfig:
        missing = [name for name in REQUIRED if not env.get(name, "").strip()]
        if missing:
            raise HealthConfigError(f"Health check environment is missing {', '.join(missing)}.")
        stage = Stage.parse(env[STAGE].strip())
        url = env[CONNECT_URL].strip()
        if not url.startswith(("http://", "https://")):
            raise HealthConfigError(f"{CONNECT_URL} must start with http:// or https://, got {url!r}.")
        jmx = env.get(JMX_URL, "").strip() or None
        if jmx and not jmx.startswith(("http://", "https://")):
            raise HealthConfigError(f"{JMX_URL} must start with http:// or https://, got {jmx!r}.")
        db_secret_arn = env[DB_SECRET_ARN].strip()
        try:
            secret_ids(db_secret_arn)
        except ValueError as exc:
            raise HealthConfigError(f"{DB_SECRET_ARN}: {exc}") from None
        protocol = env.get(SECURITY_PROTOCOL, "SSL").strip().upper() or "SSL"
        if protocol not in SECURITY_PROTOCOLS:
            raise HealthConfigError(
                f"{SECURITY_PROTOCOL} must be one of {', '.join(SECURITY_PROTOCOLS)}, got {protocol!r}."
            )
        return cls(
            stage=stage,
            connect_url=url,
            ecs_cluster=env[ECS_CLUSTER].strip(),
            ecs_service=env[ECS_SERVICE].strip(),
            table_name=env[STATE_TABLE].strip(),
            db_secret_arn=db_secret_arn,
            connect_ca=env.get(CONNECT_CA, "").strip() or None,
            connect_ca_arn=env.get(CONNECT_CA_ARN, "").strip() or None,
            jmx_url=jmx,
            bootstrap_servers=env.get(BOOTSTRAP_SERVERS, "").strip() or None,
            security_protocol=protocol,
            restart_limit=_positive_int(env, RESTART_LIMIT, DEFAULT_LIMIT),
            restart_window_seconds=60 * _positive_int(env, RESTART_WINDOW_MINUTES, DEFAULT_WINDOW_SECONDS // 60),
            connect_deadline_seconds=_positive_int(env, CONNECT_DEADLINE_SECONDS, DEFAULT_CONNECT_DEADLINE_SECONDS),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HealthConfigError(f"{name} must be a positive whole number, got {raw!r}.") from None
    if value < 1:
        raise HealthConfigError(f"{name} must be a positive whole number, got {raw!r}.")
    return value

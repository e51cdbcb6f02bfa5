"""The environment contract between the stack (task definition), the worker entrypoint and the connector config.

The task definition sets these variables, the entrypoint in `connect-image/` reads them, and the connector
configuration references the database ones as `${env:NAME}` placeholders. Change a name here and all three
follow. `worker_environment` builds the plain (secret-free) part for the stack's task definition and for the
local stack alike.
"""

from __future__ import annotations

from wms_connector.topics import StageTopics

# Worker settings, plain environment (no secrets).
BOOTSTRAP_SERVERS = "CONNECT_BOOTSTRAP_SERVERS"
SECURITY_PROTOCOL = "CONNECT_SECURITY_PROTOCOL"  # SSL on MSK, PLAINTEXT locally
GROUP_ID = "CONNECT_GROUP_ID"
CONFIG_TOPIC = "CONNECT_CONFIG_STORAGE_TOPIC"
OFFSET_TOPIC = "CONNECT_OFFSET_STORAGE_TOPIC"
STATUS_TOPIC = "CONNECT_STATUS_STORAGE_TOPIC"
REPLICATION_FACTOR = "CONNECT_REPLICATION_FACTOR"  # 3 on MSK, 1 locally
REST_PORT = "CONNECT_REST_PORT"
REST_ADVERTISED_HOST = "CONNECT_REST_ADVERTISED_HOST"  # optional; ECS task metadata is used when absent
PLUGIN_PATH = "CONNECT_PLUGIN_PATH"
JMX_EXPORTER_PORT = "JMX_EXPORTER_PORT"
CONTAINER_MEMORY_MIB = "CONTAINER_MEMORY_MIB"
HEAP_PERCENT = "JVM_HEAP_PERCENT"  # share of container memory given to the heap

# Database settings. Either DB_INFO (the whole `dbInfo` secret JSON, injected by ECS from the secret ARN)
# or the individual variables below; the entrypoint unpacks DB_INFO into the individual ones.
DB_INFO = "DB_INFO"
DB_HOST = "DB_HOST"
DB_PORT = "DB_PORT"
DB_NAME = "DB_NAME"
DB_PDB = "DB_PDB"
DB_URL = "DB_URL"
DB_USER = "DB_USER"
DB_PASSWORD = "DB_PASSWORD"  # noqa: S105 - a variable name, not a value

# The only variables a connector config may reference through the env config provider (its allowlist).
DB_VARIABLES = (DB_HOST, DB_PORT, DB_NAME, DB_PDB, DB_URL, DB_USER, DB_PASSWORD)

# Every variable of the contract: the entrypoint reads exactly these, and the local stack never lets the caller's
# shell set one of them by accident.
CONTRACT_VARIABLES = (
    BOOTSTRAP_SERVERS, SECURITY_PROTOCOL, GROUP_ID, CONFIG_TOPIC, OFFSET_TOPIC, STATUS_TOPIC, REPLICATION_FACTOR,
    REST_PORT, REST_ADVERTISED_HOST, PLUGIN_PATH, JMX_EXPORTER_PORT, CONTAINER_MEMORY_MIB, HEAP_PERCENT,
    DB_INFO, *DB_VARIABLES,
)

DEFAULT_REST_PORT = 8083
DEFAULT_JMX_EXPORTER_PORT = 9404


def placeholder(variable: str) -> str:
    """The connector-config reference to an environment variable, resolved by EnvVarConfigProvider."""
    return "${env:" + variable + "}"


# The worker's JMX exporter, as the Lambdas reach it: `{task_ip}` stands for the worker that runs the task, since
# the exporter listens on each worker and Fargate task IPs change with every deployment.
TASK_IP_PLACEHOLDER = "{task_ip}"
JMX_URL_TEMPLATE = f"http://{TASK_IP_PLACEHOLDER}:{DEFAULT_JMX_EXPORTER_PORT}/metrics"


def exporter_url(template: str, host: str) -> str:
    """`template` with `{task_ip}` replaced by `host` (a template without it is returned as it is)."""
    return template.replace(TASK_IP_PLACEHOLDER, host)


def worker_environment(
    topics: StageTopics,
    *,
    bootstrap_servers: str,
    security_protocol: str,
    replication_factor: int,
    container_memory_mib: int,
    heap_percent: int | None = None,
    rest_port: int = DEFAULT_REST_PORT,
    jmx_exporter_port: int = DEFAULT_JMX_EXPORTER_PORT,
    rest_advertised_host: str | None = None,
    plugin_path: str | None = None,
) -> dict[str, str]:
    """The worker's plain environment (no secrets) for `topics`' stage: the stack's task definition and the
    local stack both build it here. Optional values are left out when not given (the entrypoint's defaults)."""
    env = {
        BOOTSTRAP_SERVERS: bootstrap_servers,
        SECURITY_PROTOCOL: security_protocol,
        GROUP_ID: topics.connect_group_id,
        CONFIG_TOPIC: topics.config_topic,
        OFFSET_TOPIC: topics.offsets_topic,
        STATUS_TOPIC: topics.status_topic,
        REPLICATION_FACTOR: str(replication_factor),
        REST_PORT: str(rest_port),
        JMX_EXPORTER_PORT: str(jmx_exporter_port),
        CONTAINER_MEMORY_MIB: str(container_memory_mib),
    }
    optional = {HEAP_PERCENT: heap_percent, REST_ADVERTISED_HOST: rest_advertised_host, PLUGIN_PATH: plugin_path}
    env.update({name: str(value) for name, value in optional.items() if value is not None})
    return env

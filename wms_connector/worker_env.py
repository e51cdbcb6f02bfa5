"""The environment contract between the stack (task definition), the worker entrypoint and the connector config.

The task definition sets these variables, the entrypoint in `connect-image/` reads them, and the connector
configuration references the database ones as `${env:NAME}` placeholders. Change a name here and all three
follow.
"""

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

DEFAULT_REST_PORT = 8083
DEFAULT_JMX_EXPORTER_PORT = 9404


def placeholder(variable: str) -> str:
    """The connector-config reference to an environment variable, resolved by EnvVarConfigProvider."""
    return "${env:" + variable + "}"

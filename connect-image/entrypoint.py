#!/usr/bin/env python3
"""Kafka Connect worker entrypoint: environment in, `worker.properties` + JVM options out, then exec java.

Used unchanged by the container image and by the local stack (devtools/local/stack.py). Standard library
only, Python 3.9+, because the image carries a bare python3 and cannot import the wms_connector package.

This module is long because it is one file on purpose: the image copies it alone, so the worker contract, the
heap rule, DB_INFO unpacking and the rendering cannot be split into modules it could import.

Layout it expects next to itself (or under --jars-dir): libs/ (Connect runtime), plugins/ (plugin.path),
jmx-exporter/ (the java agent); and beside this file: log4j2.properties and jmx-exporter.yml.

Database values (DB_INFO or DB_*) are handed to the java process environment only: they are never written to
a file and never appear in an error message or log line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

# ---- The environment contract; a copy of the names in wms_connector/worker_env.py (a unit test keeps them equal).
BOOTSTRAP_SERVERS = "CONNECT_BOOTSTRAP_SERVERS"
SECURITY_PROTOCOL = "CONNECT_SECURITY_PROTOCOL"
GROUP_ID = "CONNECT_GROUP_ID"
CONFIG_TOPIC = "CONNECT_CONFIG_STORAGE_TOPIC"
OFFSET_TOPIC = "CONNECT_OFFSET_STORAGE_TOPIC"
STATUS_TOPIC = "CONNECT_STATUS_STORAGE_TOPIC"
REPLICATION_FACTOR = "CONNECT_REPLICATION_FACTOR"
REST_PORT = "CONNECT_REST_PORT"
REST_ADVERTISED_HOST = "CONNECT_REST_ADVERTISED_HOST"
PLUGIN_PATH = "CONNECT_PLUGIN_PATH"
JMX_EXPORTER_PORT = "JMX_EXPORTER_PORT"
CONTAINER_MEMORY_MIB = "CONTAINER_MEMORY_MIB"
HEAP_PERCENT = "JVM_HEAP_PERCENT"
DB_INFO = "DB_INFO"
DB_HOST = "DB_HOST"
DB_PORT = "DB_PORT"
DB_NAME = "DB_NAME"
DB_PDB = "DB_PDB"
DB_URL = "DB_URL"
DB_USER = "DB_USER"
DB_PASSWORD = "DB_PASSWORD"  # noqa: S105 - a variable name, not a value
DB_VARIABLES = (DB_HOST, DB_PORT, DB_NAME, DB_PDB, DB_URL, DB_USER, DB_PASSWORD)
DEFAULT_REST_PORT = 8083
DEFAULT_JMX_EXPORTER_PORT = 9404
CONTRACT_VARIABLES = (
    BOOTSTRAP_SERVERS, SECURITY_PROTOCOL, GROUP_ID, CONFIG_TOPIC, OFFSET_TOPIC, STATUS_TOPIC, REPLICATION_FACTOR,
    REST_PORT, REST_ADVERTISED_HOST, PLUGIN_PATH, JMX_EXPORTER_PORT, CONTAINER_MEMORY_MIB, HEAP_PERCENT,
    DB_INFO, *DB_VARIABLES,
)

# Set by ECS on every Fargate task (platform >= 1.4.0); its answer names the task's private IPv4.
ECS_METADATA_URI = "ECS_CONTAINER_METADATA_URI_V4"

# ---- Jar folders, as the manifest (pom.xml <jars.folder>) lays them out; a unit test keeps them equal.
LIBS_FOLDER = "libs"
PLUGINS_FOLDER = "plugins"
JMX_AGENT_FOLDER = "jmx-exporter"

SECURITY_PROTOCOLS = ("SSL", "PLAINTEXT")

# ---- Heap rule: heap = CONTAINER_MEMORY_MIB * JVM_HEAP_PERCENT // 100, refused unless the heap gets at least
# MIN_HEAP_MIB and the rest of the container (metaspace, thread stacks, direct buffers, code cache, the JMX
# agent) keeps at least MIN_NON_HEAP_MIB, so the JVM neither idles on unused memory nor is killed at the
# container limit. The same rule, with the same bounds, checks a stage's sizing before deployment
# (wms_connector/settings.py, Sizing); a unit test keeps the two in step. The stack always sets the percentage;
# the default here serves the local stack and a bare `docker run`.
DEFAULT_HEAP_PERCENT = 50
MIN_HEAP_PERCENT = 10
MAX_HEAP_PERCENT = 90
MIN_HEAP_MIB = 512
MIN_NON_HEAP_MIB = 512
MAX_METASPACE_MIB = 256
MAX_DIRECT_MEMORY_MIB = 256

# Offsets spread over 5 partitions and status on 1, as the existing system runs them; config must be 1.
OFFSET_PARTITIONS = 5
STATUS_PARTITIONS = 1

# Kafka's legal topic/group characters and its topic length limit.
_KAFKA_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")
_HOST_PORT = re.compile(r"[A-Za-z0-9._-]+:[0-9]{1,5}")

# dbInfo secret key -> the variable the connector config references; `ip` and `host` are synonyms.
_DB_INFO_KEYS = (
    (("ip", "host"), DB_HOST, True),
    (("port",), DB_PORT, True),
    (("db",), DB_NAME, True),
    (("pdb",), DB_PDB, False),
    (("url",), DB_URL, False),
    (("user",), DB_USER, True),
    (("password",), DB_PASSWORD, True),
)
_REQUIRED_DB_VARIABLES = tuple(var for _keys, var, required in _DB_INFO_KEYS if required)


class WorkerConfigError(ValueError):
    """Missing or invalid worker environment; the message names the variable and never echoes a DB value."""


@dataclass(frozen=True)
class WorkerSettings:
    bootstrap_servers: str
    security_protocol: str
    group_id: str
    config_topic: str
    offset_topic: str
    status_topic: str
    replication_factor: int
    rest_port: int
    jmx_exporter_port: int
    plugin_path: str
    container_memory_mib: int
    heap_percent: int


@dataclass(frozen=True)
class Layout:
    """Where the jars and the side files are."""

    jars_dir: Path
    files_dir: Path

    @property
    def libs(self) -> Path:
        return self.jars_dir / LIBS_FOLDER

    @property
    def plugins(self) -> Path:
        return self.jars_dir / PLUGINS_FOLDER

    @property
    def jmx_agent_dir(self) -> Path:
        return self.jars_dir / JMX_AGENT_FOLDER

    @property
    def log4j2_config(self) -> Path:
        return self.files_dir / "log4j2.properties"

    @property
    def jmx_exporter_config(self) -> Path:
        return self.files_dir / "jmx-exporter.yml"


# ---------------------------------------------------------------- reading the environment


def _required(env: Mapping[str, str], name: str, allowed: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise WorkerConfigError(f"{name} is not set; it must be {allowed}.")
    return value


def _integer(env: Mapping[str, str], name: str, low: int, high: int, default: int | None = None) -> int:
    allowed = f"an integer from {low} to {high}"
    raw = env.get(name, "").strip()
    if not raw and default is not None:
        return default
    raw = _required(env, name, allowed)
    if not re.fullmatch(r"[0-9]+", raw) or not low <= int(raw) <= high:
        raise WorkerConfigError(f"{name}={raw!r} is invalid; it must be {allowed}.")
    return int(raw)


def _kafka_name(env: Mapping[str, str], name: str) -> str:
    allowed = "a Kafka topic/group name of 1-249 characters from A-Z a-z 0-9 . _ -"
    value = _required(env, name, allowed)
    if not _KAFKA_NAME.fullmatch(value) or value in (".", ".."):
        raise WorkerConfigError(f"{name}={value!r} is invalid; it must be {allowed}.")
    return value


def _bootstrap_servers(env: Mapping[str, str]) -> str:
    allowed = "a comma-separated list of host:port (e.g. b-1.example:9094,b-2.example:9094)"
    value = _required(env, BOOTSTRAP_SERVERS, allowed)
    servers = [s.strip() for s in value.split(",")]
    for server in servers:
        if not _HOST_PORT.fullmatch(server) or not 1 <= int(server.rsplit(":", 1)[1]) <= 65535:
            raise WorkerConfigError(f"{BOOTSTRAP_SERVERS} entry {server!r} is invalid; it must be {allowed}.")
    return ",".join(servers)


def read_worker_settings(env: Mapping[str, str], default_plugin_path: str) -> WorkerSettings:
    """Every worker setting from the environment, validated; raises WorkerConfigError naming the variable."""
    protocol = _required(env, SECURITY_PROTOCOL, " or ".join(SECURITY_PROTOCOLS))
    if protocol not in SECURITY_PROTOCOLS:
        raise WorkerConfigError(
            f"{SECURITY_PROTOCOL}={protocol!r} is invalid; it must be SSL (MSK, TLS on 9094) or PLAINTEXT (local)."
        )
    settings = WorkerSettings(
        bootstrap_servers=_bootstrap_servers(env),
        security_protocol=protocol,
        group_id=_kafka_name(env, GROUP_ID),
        config_topic=_kafka_name(env, CONFIG_TOPIC),
        offset_topic=_kafka_name(env, OFFSET_TOPIC),
        status_topic=_kafka_name(env, STATUS_TOPIC),
        replication_factor=_integer(env, REPLICATION_FACTOR, 1, 32),
        rest_port=_integer(env, REST_PORT, 1, 65535, DEFAULT_REST_PORT),
        jmx_exporter_port=_integer(env, JMX_EXPORTER_PORT, 1, 65535, DEFAULT_JMX_EXPORTER_PORT),
        plugin_path=env.get(PLUGIN_PATH, "").strip() or default_plugin_path,
        container_memory_mib=_integer(env, CONTAINER_MEMORY_MIB, MIN_HEAP_MIB + MIN_NON_HEAP_MIB, 1 << 20),
        heap_percent=_integer(env, HEAP_PERCENT, MIN_HEAP_PERCENT, MAX_HEAP_PERCENT, DEFAULT_HEAP_PERCENT),
    )
    topics = {
        CONFIG_TOPIC: settings.config_topic,
        OFFSET_TOPIC: settings.offset_topic,
        STATUS_TOPIC: settings.status_topic,
    }
    if len(set(topics.values())) != len(topics):
        raise WorkerConfigError(f"{', '.join(topics)} must name three different topics.")
    if settings.rest_port == settings.jmx_exporter_port:
        raise WorkerConfigError(f"{REST_PORT} and {JMX_EXPORTER_PORT} must differ (both are {settings.rest_port}).")
    heap_mib(settings.container_memory_mib, settings.heap_percent)  # fail now, not after the exec
    return settings


def _db_port_valid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{1,5}", value)) and 1 <= int(value) <= 65535


def _unpack_db_info(raw: str) -> dict[str, str]:
    try:
        info = json.loads(raw)
    except ValueError:
        raise WorkerConfigError(f"{DB_INFO} is not valid JSON (the value is not shown).") from None
    if not isinstance(info, dict):
        raise WorkerConfigError(f"{DB_INFO} must be a JSON object with keys ip|host, port, db, user, password.")
    unpacked: dict[str, str] = {}
    for keys, variable, required in _DB_INFO_KEYS:
        present = [k for k in keys if info.get(k) not in (None, "")]
        if not present:
            if required:
                names = " or ".join(repr(k) for k in keys)
                raise WorkerConfigError(f"{DB_INFO} has no {names} key (needed for {variable}).")
            continue
        value = info[present[0]]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise WorkerConfigError(f"{DB_INFO} key {present[0]!r} must be a string or a number.")
        # A password is taken byte for byte: blanks at its ends may be part of it.
        unpacked[variable] = str(value) if variable == DB_PASSWORD else str(value).strip()
    if not _db_port_valid(unpacked[DB_PORT]):
        raise WorkerConfigError(f"{DB_INFO} key 'port' must be an integer from 1 to 65535.")
    return unpacked


def database_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The DB_* variables for the java process: unpacked from DB_INFO, or taken as given, or none at all.

    Without any database setting the worker still starts (locally, or before a database exists); a connector
    referencing ${env:DB_HOST} then fails its validation, which names the missing variable.
    """
    given = {name: env[name] for name in DB_VARIABLES if env.get(name, "") != ""}
    if env.get(DB_INFO, "").strip():
        if given:
            raise WorkerConfigError(
                f"Set either {DB_INFO} or the individual variables, not both: {', '.join(sorted(given))} "
                f"{'is' if len(given) == 1 else 'are'} set as well."
            )
        return _unpack_db_info(env[DB_INFO])
    if not given:
        return {}
    missing = [name for name in _REQUIRED_DB_VARIABLES if name not in given]
    if missing:
        raise WorkerConfigError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set; with individual database "
            f"variables, {', '.join(_REQUIRED_DB_VARIABLES)} are all required (or set {DB_INFO} instead)."
        )
    if not _db_port_valid(given[DB_PORT].strip()):
        raise WorkerConfigError(f"{DB_PORT} must be an integer from 1 to 65535 (the value is not shown).")
    return given


def heap_mib(container_memory_mib: int, heap_percent: int) -> int:
    heap = container_memory_mib * heap_percent // 100
    setting = f"{CONTAINER_MEMORY_MIB}={container_memory_mib} with {HEAP_PERCENT}={heap_percent}"
    if heap < MIN_HEAP_MIB:
        raise WorkerConfigError(
            f"{setting} gives a {heap} MiB heap; at least {MIN_HEAP_MIB} MiB is needed: raise the container memory "
            "or the heap percentage."
        )
    if container_memory_mib - heap < MIN_NON_HEAP_MIB:
        raise WorkerConfigError(
            f"{setting} leaves {container_memory_mib - heap} MiB outside the {heap} MiB heap; at least "
            f"{MIN_NON_HEAP_MIB} MiB is needed: raise the container memory or lower the heap percentage."
        )
    return heap


def _ecs_task_ipv4(metadata_uri: str, attempts: int = 5, timeout_s: float = 2.0) -> str:
    last_error = "no answer"
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(metadata_uri, timeout=timeout_s) as response:  # noqa: S310 - ECS-set URI
                metadata = json.load(response)
            for network in metadata.get("Networks", []):
                for address in network.get("IPv4Addresses", []):
                    if address:
                        return address
            last_error = "its answer lists no IPv4 address under Networks"
            break
        except (urllib.error.URLError, OSError, ValueError) as error:
            last_error = str(error)
            if attempt + 1 < attempts:
                time.sleep(min(1.0 * (attempt + 1), 3.0))
    raise WorkerConfigError(
        f"{ECS_METADATA_URI} is set but the task's IPv4 could not be read ({last_error}); set "
        f"{REST_ADVERTISED_HOST} to override."
    )


def advertised_host(
    env: Mapping[str, str],
    task_ipv4: Callable[[str], str] = _ecs_task_ipv4,
    hostname: Callable[[], str] = socket.gethostname,
) -> str:
    """The REST host other workers use: explicit setting, else the ECS task's private IPv4, else the hostname."""
    explicit = env.get(REST_ADVERTISED_HOST, "").strip()
    if explicit:
        if not re.fullmatch(r"[A-Za-z0-9.:-]+", explicit):
            raise WorkerConfigError(f"{REST_ADVERTISED_HOST}={explicit!r} is invalid; it must be a host name or IP.")
        return explicit
    metadata_uri = env.get(ECS_METADATA_URI, "").strip()
    if metadata_uri:
        return task_ipv4(metadata_uri)
    return hostname()


# ---------------------------------------------------------------- rendering


def _env_allowlist_pattern() -> str:
    return "^(" + "|".join(DB_VARIABLES) + ")$"


def worker_properties(settings: WorkerSettings, rest_host: str, bind_address: str) -> dict[str, str]:
    """The distributed worker configuration, in a stable order."""
    props: dict[str, str] = {
        "bootstrap.servers": settings.bootstrap_servers,
        "group.id": settings.group_id,
        "config.storage.topic": settings.config_topic,
        "offset.storage.topic": settings.offset_topic,
        "status.storage.topic": settings.status_topic,
        "config.storage.replication.factor": str(settings.replication_factor),
        "offset.storage.replication.factor": str(settings.replication_factor),
        "status.storage.replication.factor": str(settings.replication_factor),
        "offset.storage.partitions": str(OFFSET_PARTITIONS),
        "status.storage.partitions": str(STATUS_PARTITIONS),
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "true",
        "value.converter.schemas.enable": "true",
        # Connector configs say ${env:DB_PASSWORD}; only the database variables may be read this way.
        "config.providers": "env",
        "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        "config.providers.env.param.allowlist.pattern": _env_allowlist_pattern(),
        # No connector may override its Kafka clients (`producer.override.bootstrap.servers` and the like): Connect
        # refuses such a config (ConnectorClientConfigOverridePolicy `None`); the admin's config rule refuses first.
        "connector.client.config.override.policy": "None",
        "listeners": f"http://{bind_address}:{settings.rest_port}",
        "rest.advertised.host.name": rest_host,
        "rest.advertised.port": str(settings.rest_port),
        "rest.advertised.listener": "http",
        "plugin.path": settings.plugin_path,
        # Every plugin in the manifest ships ServiceLoader manifests; skipping the reflective scan saves startup.
        "plugin.discovery": "service_load",
    }
    # The worker's own clients and the ones it makes for connectors all talk to the same cluster.
    for prefix in ("", "producer.", "consumer.", "admin."):
        props[f"{prefix}security.protocol"] = settings.security_protocol
    return props


def render_properties(props: Mapping[str, str]) -> str:
    lines = ["# Rendered by entrypoint.py from the environment; edits are overwritten at the next start."]
    for key, value in props.items():
        escaped = value.replace("\\", "\\\\").replace("\n", "\\n")
        lines.append(f"{key}={escaped}")
    return "\n".join(lines) + "\n"


def find_jmx_agent(layout: Layout) -> Path:
    agents = sorted(layout.jmx_agent_dir.glob("jmx_prometheus_javaagent-*.jar"))
    if len(agents) != 1:
        raise WorkerConfigError(
            f"Expected exactly one jmx_prometheus_javaagent jar in {layout.jmx_agent_dir}, found {len(agents)}; "
            "resolve the jars from connect-image/pom.xml first."
        )
    return agents[0]


def java_command(settings: WorkerSettings, layout: Layout, properties_file: Path, bind_address: str) -> list[str]:
    heap = heap_mib(settings.container_memory_mib, settings.heap_percent)
    agent = find_jmx_agent(layout)
    if not layout.libs.is_dir():
        raise WorkerConfigError(f"No Connect runtime jars in {layout.libs}; resolve connect-image/pom.xml first.")
    return [
        "java",
        f"-Xms{heap}m",
        f"-Xmx{heap}m",
        f"-XX:MaxMetaspaceSize={MAX_METASPACE_MIB}m",
        f"-XX:MaxDirectMemorySize={MAX_DIRECT_MEMORY_MIB}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        # A worker out of heap is restarted by ECS instead of limping on.
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={layout.log4j2_config.resolve()}",
        f"-javaagent:{agent}={bind_address}:{settings.jmx_exporter_port}:{layout.jmx_exporter_config}",
        "-cp",
        f"{layout.libs}/*",
        "org.apache.kafka.connect.cli.ConnectDistributed",
        str(properties_file),
    ]


def child_environment(env: Mapping[str, str], db_env: Mapping[str, str]) -> dict[str, str]:
    """The java process environment: the DB_* variables unpacked, the raw DB_INFO JSON dropped."""
    child = {k: v for k, v in env.items() if k != DB_INFO and k not in DB_VARIABLES}
    child.update(db_env)
    return child


# ---------------------------------------------------------------- command line


def _parse_args(argv: list[str]) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jars-dir", type=Path, default=here, help="folder holding libs/, plugins/, jmx-exporter/")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "connect-worker",
                        help="where worker.properties is written")
    parser.add_argument("--bind-address", default="0.0.0.0",  # noqa: S104 - the task's own network namespace
                        help="address the REST listener and the JMX exporter bind to (127.0.0.1 locally)")
    parser.add_argument("--render-only", type=Path, metavar="DIR",
                        help="write worker.properties and java-command.json to DIR and exit without starting java")
    return parser.parse_args(argv)


def prepare(
    env: Mapping[str, str], layout: Layout, out_dir: Path, bind_address: str
) -> tuple[list[str], dict[str, str]]:
    """Validate everything, write worker.properties, and return the java command and its environment."""
    settings = read_worker_settings(env, default_plugin_path=str(layout.plugins))
    db_env = database_environment(env)
    rest_host = advertised_host(env)
    out_dir.mkdir(parents=True, exist_ok=True)
    properties_file = out_dir / "worker.properties"
    properties_file.write_text(render_properties(worker_properties(settings, rest_host, bind_address)))
    return java_command(settings, layout, properties_file, bind_address), child_environment(env, db_env)


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    env = os.environ if env is None else env
    layout = Layout(jars_dir=args.jars_dir.resolve(), files_dir=Path(__file__).resolve().parent)
    out_dir = args.render_only or args.work_dir
    try:
        command, child_env = prepare(env, layout, out_dir, args.bind_address)
    except WorkerConfigError as error:
        print(f"entrypoint: {error}", file=sys.stderr)
        return 2
    if args.render_only:
        (out_dir / "java-command.json").write_text(json.dumps(command, indent=2) + "\n")
        print(f"entrypoint: rendered {out_dir / 'worker.properties'} and {out_dir / 'java-command.json'}")
        return 0
    sys.stdout.flush()
    os.execvpe(command[0], command, child_env)  # noqa: S606 - replaces this process with the worker
    return 1  # unreachable


if __name__ == "__main__":
    sys.exit(main())

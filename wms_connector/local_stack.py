"""A real single-node Kafka (KRaft) and Kafka Connect worker on 127.0.0.1, from the pinned jar set.

The worker is started through connect-image/entrypoint.py, exactly as the image starts it, with the stage
`local` names (or the stage given). Used by `make local` / `make local-down`, the integration-test fixtures
and the benchmarks:

    python -m wms_connector.local_stack up|down|status [--broker-port N] [--data-dir DIR] ...

Settings come from flags, else environment variables (WMS_LOCAL_*), else the defaults in `LocalSettings`.
Database settings for the worker come from an optional env file (local.env; see local.env.example).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wms_connector import worker_env
from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_jars import CONNECT_IMAGE_DIR, LOCAL_PROFILES, REPO_ROOT, Manifest, resolve
from wms_connector.connector_config import CONNECTOR_CLASS as ORACLE_CONNECTOR_CLASS
from wms_connector.connector_config import ConnectorOptions, KafkaClientSettings, build_connector_config
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

ENTRYPOINT = CONNECT_IMAGE_DIR / "entrypoint.py"
LOCAL_STAGE = "local"
BIND_ADDRESS = "127.0.0.1"
# Main's container memory would also do; 2 GiB (1 GiB heap by the entrypoint's rule) is plenty locally.
LOCAL_CONTAINER_MEMORY_MIB = 2048
BROKER_HEAP = "-Xmx512m"


def new_cluster_id() -> str:
    """A KRaft cluster id (base64url UUID). One starting with '-' would be read by StorageTool as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class LocalStackError(RuntimeError):
    """Something stopped the local stack from starting or stopping; the message says what to do."""


class PortInUseError(LocalStackError):
    pass


@dataclass(frozen=True)
class Port:
    """One port the stack listens on, with the knobs that change it (named in the port-in-use message)."""

    role: str
    env_var: str
    flag: str
    default: int


PORTS = {
    "broker": Port("Kafka broker", "WMS_LOCAL_BROKER_PORT", "--broker-port", 9092),
    "controller": Port("KRaft controller", "WMS_LOCAL_CONTROLLER_PORT", "--controller-port", 9093),
    "connect": Port("Kafka Connect REST", "WMS_LOCAL_CONNECT_PORT", "--connect-port", worker_env.DEFAULT_REST_PORT),
    "jmx": Port("JMX exporter", "WMS_LOCAL_JMX_PORT", "--jmx-port", worker_env.DEFAULT_JMX_EXPORTER_PORT),
}
DATA_DIR_ENV = "WMS_LOCAL_DATA_DIR"
LOG_DIR_ENV = "WMS_LOCAL_LOG_DIR"
ENV_FILE_ENV = "WMS_LOCAL_ENV_FILE"
DEFAULT_DATA_DIR = REPO_ROOT / ".local" / "data"
DEFAULT_LOG_DIR = REPO_ROOT / ".local" / "logs"
DEFAULT_ENV_FILE = REPO_ROOT / "local.env"
# Variables a local env file may set: the database ones only (worker settings are the stack's business).
ENV_FILE_VARIABLES = (worker_env.DB_INFO, *worker_env.DB_VARIABLES)


@dataclass(frozen=True)
class LocalSettings:
    ports: Mapping[str, int] = field(default_factory=lambda: {name: p.default for name, p in PORTS.items()})
    data_dir: Path = DEFAULT_DATA_DIR
    log_dir: Path = DEFAULT_LOG_DIR
    stage: Stage = field(default_factory=lambda: Stage.parse(LOCAL_STAGE))
    container_memory_mib: int = LOCAL_CONTAINER_MEMORY_MIB
    # Database variables for the worker (DB_INFO or DB_*); values are never printed.
    database_env: Mapping[str, str] = field(default_factory=dict)
    # Anything else the worker environment needs (tests, benchmarks), applied last.
    extra_worker_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], overrides: Mapping[str, object] | None = None) -> LocalSettings:
        """Defaults, overridden by WMS_LOCAL_* variables, overridden by explicit (command-line) values."""
        overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        ports = {}
        for name, port in PORTS.items():
            if name in overrides:
                ports[name] = _port_number(str(overrides[name]), port.flag)
            elif env.get(port.env_var):
                ports[name] = _port_number(env[port.env_var], port.env_var)
            else:
                ports[name] = port.default
        env_file = Path(str(overrides.get("env_file") or env.get(ENV_FILE_ENV) or DEFAULT_ENV_FILE))
        env_file_given = "env_file" in overrides or ENV_FILE_ENV in env
        return cls(
            ports=ports,
            data_dir=Path(str(overrides.get("data_dir") or env.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)).resolve(),
            log_dir=Path(str(overrides.get("log_dir") or env.get(LOG_DIR_ENV) or DEFAULT_LOG_DIR)).resolve(),
            database_env=read_env_file(env_file, required=env_file_given),
        )

    @classmethod
    def on_free_ports(cls, base_dir: Path, stage: Stage, **kwargs: object) -> LocalSettings:
        """Settings for a throwaway stack (tests, benchmarks): free loopback ports, everything under base_dir."""
        return cls(
            ports=dict(zip(PORTS, free_ports(len(PORTS)), strict=True)),
            data_dir=base_dir / "data",
            log_dir=base_dir / "logs",
            stage=stage,
            **kwargs,
        )


def _port_number(raw: str, source: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 65535:
        raise LocalStackError(f"{source}={raw!r} is not a port; it must be an integer from 1 to 65535.")
    return int(raw)


def read_env_file(path: Path, required: bool = False) -> dict[str, str]:
    """KEY=VALUE lines (# comments, blank lines ignored), database variables only."""
    if not path.exists():
        if required:
            raise LocalStackError(f"Env file {path} does not exist (copy local.env.example to start one).")
        return {}
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        if not sep or not key:
            raise LocalStackError(f"{path}:{number}: expected KEY=VALUE (the line is not shown; it may hold a secret).")
        if key not in ENV_FILE_VARIABLES:
            allowed = ", ".join(ENV_FILE_VARIABLES)
            raise LocalStackError(f"{path}:{number}: {key} is not allowed here; allowed: {allowed}.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so the kernel cannot hand out one twice)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((BIND_ADDRESS, 0))
        return [sock.getsockname()[1] for sock in sockets]


def check_ports_free(ports: Mapping[str, int]) -> None:
    """Raise PortInUseError naming the first busy port and the setting that moves it."""
    for name, number in ports.items():
        with socket.socket() as sock:
            # Like the servers themselves: a port only in TIME_WAIT is free, one with a listener is not.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((BIND_ADDRESS, number))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                port = PORTS[name]
                raise PortInUseError(
                    f"Port {number} ({port.role}) on {BIND_ADDRESS} is already in use. Stop what listens there, "
                    f"or pick another port with {port.env_var}=<port> (or {port.flag} <port>)."
                ) from None


def check_java(required_major: int) -> None:
    """Raise LocalStackError unless `java` on PATH is at least `required_major` (Debezium 3 needs 17)."""
    install = f"install a Java {required_major}+ runtime (e.g. `apt-get install openjdk-{required_major}-jre-headless`)"
    java = shutil.which("java")
    if not java:
        raise LocalStackError(f"Java (`java`) is not on PATH; {install}.")
    result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    # `java -version` writes e.g. `openjdk version "17.0.9" 2023-10-17` (or "1.8.0_392" before Java 9) to stderr.
    match = re.search(r'version "(?:1\.)?(\d+)', result.stderr + result.stdout)
    if not match:
        raise LocalStackError(f"`{java} -version` did not print a Java version; {install}.")
    if int(match.group(1)) < required_major:
        raise LocalStackError(f"`{java}` is Java {match.group(1)}; the worker needs Java {required_major}+: {install}.")


# ---------------------------------------------------------------- processes


def _pid_alive(pid: int, marker: str) -> bool:
    """True if pid runs and its command line mentions marker (so a recycled pid is never mistaken for ours)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and marker in cmdline


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last {len(text)} lines of {path} ---\n" + "\n".join(text)


class ManagedProcess:
    """One server process of the stack, tracked by a PID file so another command can stop it."""

    def __init__(self, name: str, pid_file: Path, log_file: Path, marker: str):
        self.name = name
        self.pid_file = pid_file
        self.log_file = log_file
        self.marker = marker
        self._popen: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        if self._popen is not None:
            return self._popen.pid
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def running(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        pid = self.pid
        return pid is not None and _pid_alive(pid, self.marker)

    def start(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        if self.running():
            raise LocalStackError(f"The {self.name} is already running (pid {self.pid}); stop it first.")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._popen = subprocess.Popen(  # noqa: S603 - fixed command built here
                list(command), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=dict(env), start_new_session=True,
            )
        self.pid_file.write_text(f"{self._popen.pid}\n")

    def exited_early(self) -> str | None:
        """A message with the log tail if the process is gone, else None."""
        if self.running():
            return None
        code = self._popen.returncode if self._popen is not None else "unknown"
        return f"The {self.name} exited (code {code}) while starting.\n{log_tail(self.log_file)}"

    def stop(self, timeout_s: float = 30.0) -> None:
        pid = self.pid
        if pid is not None and self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, timeout_s):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                if not self._wait_gone(pid, 10.0):
                    raise LocalStackError(f"The {self.name} (pid {pid}) did not stop.")
        self._popen = None
        self.pid_file.unlink(missing_ok=True)

    def _wait_gone(self, pid: int, timeout_s: float) -> bool:
        if self._popen is not None:
            try:
                self._popen.wait(timeout=timeout_s)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _pid_alive(pid, self.marker):
                return True
            time.sleep(0.2)
        return False


def _wait_until(what: str, check: Callable[[], bool], process: ManagedProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        failure = process.exited_early()
        if failure:
            raise LocalStackError(failure)
        time.sleep(0.5)
    raise LocalStackError(f"{what} was not ready after {timeout_s:.0f} s.\n{log_tail(process.log_file)}")


def http_json(url: str, timeout_s: float = 5.0) -> object:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - loopback URL built here
        return json.load(response)


# ---------------------------------------------------------------- the stack

BROKER_LOG4J = """\
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.log=WARN
"""


class LocalStack:
    """A broker + worker pair on loopback. Start with `start()` or `up()`, stop with `stop()`.

    Attributes the tests rely on: connect_url, bootstrap_servers, jmx_url, stage, topics, worker_log,
    broker_log, kafka_admin(), start_worker(), stop_worker().
    """

    def __init__(self, settings: LocalSettings, jars_dir: Path | None = None, manifest: Manifest | None = None):
        self.settings = settings
        self.manifest = manifest or Manifest()
        self._jars_dir = jars_dir
        data = settings.data_dir
        self.broker = ManagedProcess("Kafka broker", data / "broker.pid", settings.log_dir / "broker.log", str(data))
        self.worker = ManagedProcess("Connect worker", data / "worker.pid", settings.log_dir / "worker.log", str(data))

    # ---- addresses
    @property
    def stage(self) -> Stage:
        return self.settings.stage

    @property
    def topics(self) -> StageTopics:
        return StageTopics(self.stage)

    @property
    def bootstrap_servers(self) -> str:
        return f"{BIND_ADDRESS}:{self.settings.ports['broker']}"

    @property
    def connect_url(self) -> str:
        return f"http://{BIND_ADDRESS}:{self.settings.ports['connect']}"

    @property
    def jmx_url(self) -> str:
        return f"http://{BIND_ADDRESS}:{self.settings.ports['jmx']}/metrics"

    @property
    def worker_log(self) -> Path:
        return self.worker.log_file

    @property
    def broker_log(self) -> Path:
        return self.broker.log_file

    @property
    def jars_dir(self) -> Path:
        if self._jars_dir is None:
            self._jars_dir = resolve(LOCAL_PROFILES, manifest=self.manifest)
        return self._jars_dir

    def connector_config(self, options: ConnectorOptions | None = None) -> dict[str, str]:
        """The stage's Debezium Oracle connector config as the stack builds it, for this broker (PLAINTEXT, RF 1)."""
        kafka = KafkaClientSettings(self.bootstrap_servers, "PLAINTEXT", 1)
        return build_connector_config(self.stage, options or ConnectorOptions(), kafka)

    def kafka_admin(self):
        """A kafka-python KafkaAdminClient on the local broker; the caller closes it."""
        from kafka import KafkaAdminClient

        return KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, client_id="wms-local-stack",
                                request_timeout_ms=15000)

    # ---- broker
    def _broker_dirs(self) -> tuple[Path, Path]:
        home = self.settings.data_dir / "broker"
        return home, home / "kraft-logs"

    def _write_broker_config(self) -> Path:
        home, log_dirs = self._broker_dirs()
        home.mkdir(parents=True, exist_ok=True)
        ports = self.settings.ports
        (home / "log4j.properties").write_text(BROKER_LOG4J)
        config = home / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{BIND_ADDRESS}:{ports['controller']}",
                    f"listeners=PLAINTEXT://{BIND_ADDRESS}:{ports['broker']},CONTROLLER://{BIND_ADDRESS}:{ports['controller']}",
                    f"advertised.listeners=PLAINTEXT://{BIND_ADDRESS}:{ports['broker']}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={log_dirs}",
                    "num.partitions=1",
                    # One broker: every internal topic has one replica, and few partitions keep startup quick.
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=5",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "transaction.state.log.num.partitions=5",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    "",
                ]
            )
        )
        return config

    def _broker_java(self, home: Path, *args: str) -> list[str]:
        return [
            "java", BROKER_HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j.configuration={(home / 'log4j.properties').as_uri()}",
            "-cp", f"{self.jars_dir / self.manifest.folders['kafka-broker']}/*", *args,
        ]

    def _format_storage(self, config: Path) -> None:
        home, log_dirs = self._broker_dirs()
        if (log_dirs / "meta.properties").exists():
            return
        command = self._broker_java(
            home, "kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", str(config)
        )
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise LocalStackError(f"Formatting KRaft storage failed:\n{result.stdout}{result.stderr}")

    def _broker_answers(self) -> bool:
        # Until the listener is up, a Kafka client would only log connection errors into the caller's output.
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex((BIND_ADDRESS, self.settings.ports["broker"])) != 0:
                return False
        try:
            admin = self.kafka_admin()
        except Exception:  # noqa: BLE001 - not up yet, whatever the client says
            return False
        try:
            admin.list_topics()
            return True
        except Exception:  # noqa: BLE001
            return False
        finally:
            admin.close()

    def start_broker(self, timeout_s: float = 90.0) -> None:
        config = self._write_broker_config()
        self._format_storage(config)
        home, _ = self._broker_dirs()
        self.broker.start(self._broker_java(home, "kafka.Kafka", str(config)), os.environ)
        _wait_until("The Kafka broker", self._broker_answers, self.broker, timeout_s)

    # ---- worker
    def worker_environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The entrypoint's environment: the contract variables for this stage on loopback, plus DB settings."""
        base = os.environ if base is None else base
        contract = {v for k, v in vars(worker_env).items() if k.isupper() and isinstance(v, str)}
        # Nothing from the caller's shell may leak into the contract (an exported DB_PASSWORD, a CONNECT_*).
        env = {k: v for k, v in base.items() if k not in contract and k != "ECS_CONTAINER_METADATA_URI_V4"}
        topics = self.topics
        env.update(
            {
                worker_env.BOOTSTRAP_SERVERS: self.bootstrap_servers,
                worker_env.SECURITY_PROTOCOL: "PLAINTEXT",
                worker_env.GROUP_ID: topics.connect_group_id,
                worker_env.CONFIG_TOPIC: topics.config_topic,
                worker_env.OFFSET_TOPIC: topics.offsets_topic,
                worker_env.STATUS_TOPIC: topics.status_topic,
                worker_env.REPLICATION_FACTOR: "1",
                worker_env.REST_PORT: str(self.settings.ports["connect"]),
                worker_env.REST_ADVERTISED_HOST: BIND_ADDRESS,
                worker_env.PLUGIN_PATH: str(self.jars_dir / "plugins"),
                worker_env.JMX_EXPORTER_PORT: str(self.settings.ports["jmx"]),
                worker_env.CONTAINER_MEMORY_MIB: str(self.settings.container_memory_mib),
            }
        )
        env.update(self.settings.database_env)
        env.update(self.settings.extra_worker_env)
        return env

    def worker_command(self) -> list[str]:
        return [
            sys.executable, str(ENTRYPOINT),
            "--jars-dir", str(self.jars_dir),
            "--work-dir", str(self.settings.data_dir / "worker"),
            "--bind-address", BIND_ADDRESS,
        ]

    def oracle_plugin_version(self) -> str | None:
        """The version the worker lists for the Debezium Oracle connector, or None while it is not answering."""
        try:
            plugins = http_json(f"{self.connect_url}/connector-plugins", timeout_s=3.0)
        except (urllib.error.URLError, OSError, ValueError):
            return None
        for plugin in plugins:
            if plugin.get("class") == ORACLE_CONNECTOR_CLASS:
                return plugin.get("version")
        raise LocalStackError(f"The worker answers but lists no {ORACLE_CONNECTOR_CLASS}.\n{log_tail(self.worker_log)}")

    def _worker_ready(self) -> bool:
        version = self.oracle_plugin_version()
        if version is None:
            return False
        if version != self.manifest.debezium_version:
            raise LocalStackError(
                f"The worker lists {ORACLE_CONNECTOR_CLASS} {version}, but the manifest pins "
                f"{self.manifest.debezium_version}."
            )
        return True

    def start_worker(self, timeout_s: float = 180.0) -> None:
        """Start the worker and wait until REST answers and the Debezium Oracle plugin is listed."""
        self.jars_dir  # resolve before the clock starts  # noqa: B018
        self.worker.start(self.worker_command(), self.worker_environment())
        _wait_until("The Connect worker", self._worker_ready, self.worker, timeout_s)

    def stop_worker(self, timeout_s: float = 30.0) -> None:
        self.worker.stop(timeout_s)

    def register_unvalidated(self, name: str, config: Mapping[str, str], timeout_s: float = 60.0) -> None:
        """Register a connector by writing its config record to the stage's config topic, then wait until listed.

        Connect validates every REST-registered config, and Debezium's validation needs a reachable Oracle
        database, which no local machine has. This is the way to get a registered Oracle connector locally:
        its task then fails to connect, which is the fault the health checks handle. The record format is
        wms_connector.config_topic's.
        """
        ConfigTopicWriter(self.bootstrap_servers).register(self.stage, name, config)

        def listed() -> bool:
            try:
                return name in http_json(f"{self.connect_url}/connectors", timeout_s=3.0)
            except (urllib.error.URLError, OSError, ValueError):
                return False

        _wait_until(f"Connector {name}", listed, self.worker, timeout_s)

    # ---- both
    def start(self, timeout_s: float = 180.0) -> None:
        """Check ports, start the broker, then the worker; on failure stop whatever was started."""
        for process in (self.broker, self.worker):
            if process.running():
                raise LocalStackError(
                    f"The {process.name} of this stack is already running (pid {process.pid}); "
                    "run `make local-down` (python -m wms_connector.local_stack down) first."
                )
        check_ports_free(self.settings.ports)
        check_java(int(self.manifest.java_major_version))
        self.jars_dir  # noqa: B018 - resolve (or find cached) jars before anything starts
        deadline = time.monotonic() + timeout_s
        try:
            self.start_broker(timeout_s=min(90.0, timeout_s))
            self.start_worker(timeout_s=max(10.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        # Worker first: a live worker would recreate its internal topics.
        errors = []
        for process in (self.worker, self.broker):
            try:
                process.stop()
            except LocalStackError as error:
                errors.append(str(error))
        if errors:
            raise LocalStackError("; ".join(errors))

    def status(self) -> dict[str, object]:
        return {
            "broker": {"running": self.broker.running(), "pid": self.broker.pid, "address": self.bootstrap_servers,
                       "log": str(self.broker_log)},
            "worker": {"running": self.worker.running(), "pid": self.worker.pid, "connect_url": self.connect_url,
                       "jmx_url": self.jmx_url, "log": str(self.worker_log)},
        }

    def summary(self) -> str:
        return "\n".join(
            [
                f"Kafka Connect REST : {self.connect_url}",
                f"Kafka broker       : {self.bootstrap_servers}",
                f"JMX exporter       : {self.jmx_url}",
                f"Stage              : {self.stage.name} (group {self.topics.connect_group_id})",
                f"Worker log         : {self.worker_log}",
                f"Broker log         : {self.broker_log}",
            ]
        )


# A step run once the worker is ready, given the running stack (e.g. registering the connector).
AfterReadyStep = Callable[[LocalStack], object]


def default_after_ready_steps() -> tuple[AfterReadyStep, ...]:
    """What `make local` does once the worker is ready: register the connector through the admin code."""
    from wms_connector.local_connector import register_connector

    return (register_connector,)


def up(settings: LocalSettings, after_ready: Iterable[AfterReadyStep] = ()) -> LocalStack:
    """Start the stack (or find it already up), print where everything is, then run the after-ready steps.

    Running `make local` twice is fine: a stack whose broker and worker both run is reused. One half running
    alone is an error (start refuses it), since its other half's state is unknown."""
    stack = LocalStack(settings)
    if stack.broker.running() and stack.worker.running():
        print(
            "The local stack is already running (a changed local.env needs `make local-down` first).", flush=True
        )
    else:
        stack.start()
    print(stack.summary(), flush=True)
    for step in after_ready:
        step(stack)
    return stack


def down(settings: LocalSettings) -> LocalStack:
    stack = LocalStack(settings, jars_dir=Path("/nonexistent"))  # stopping needs no jars
    stack.stop()
    return stack


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wms_connector.local_stack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status"))
    for name, port in PORTS.items():
        parser.add_argument(
            port.flag, dest=name, type=int, help=f"{port.role} port (env {port.env_var}, default {port.default})"
        )
    parser.add_argument("--data-dir", help=f"broker data, worker config, PID files (env {DATA_DIR_ENV}, .local/data)")
    parser.add_argument("--log-dir", help=f"broker.log and worker.log (env {LOG_DIR_ENV}, default .local/logs)")
    parser.add_argument("--env-file", help=f"database variables for the worker (env {ENV_FILE_ENV}, default local.env)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {name: getattr(args, name) for name in PORTS}
    overrides.update(data_dir=args.data_dir, log_dir=args.log_dir, env_file=args.env_file)
    try:
        settings = LocalSettings.from_environment(os.environ, overrides)
        if args.command == "up":
            up(settings, after_ready=default_after_ready_steps())
            print("Stop it with: make local-down")
        elif args.command == "down":
            down(settings)
            print("Local Kafka broker and Connect worker stopped.")
        else:
            print(json.dumps(LocalStack(settings, jars_dir=Path("/nonexistent")).status(), indent=2))
    except LocalStackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["LocalSettings", "LocalStack", "LocalStackError", "PortInUseError", "up", "down"]

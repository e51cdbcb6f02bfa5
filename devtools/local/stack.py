"""A real single-node Kafka (KRaft) and Kafka Connect worker on 127.0.0.1, from the pinned jar set.

The worker is started through connect-image/entrypoint.py, exactly as the image starts it, with the stage
`local` names (or the stage given). Used by `make local` / `make local-down` (cli.py), the integration-test
fixtures and the benchmarks. Settings: settings.py; processes: processes.py; the broker's files: broker.py.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from devtools.connect_jars import CONNECT_IMAGE_DIR, LOCAL_PROFILES, Manifest, resolve
from devtools.local.broker import BrokerFiles
from devtools.local.kafka_tools import kafka_admin
from devtools.local.processes import ManagedProcess, check_java, check_ports_free, wait_until
from devtools.local.settings import BIND_ADDRESS, LocalSettings, LocalStackError, unconfigured_database_env
from wms_connector import worker_env
from wms_connector.connect_client import ConnectClient, ConnectError
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.connector.oracle_source import CONNECTOR_CLASS as ORACLE_CONNECTOR_CLASS
from wms_connector.kafka_settings import LOCAL_REPLICATION_FACTOR, LOCAL_SECURITY_PROTOCOL
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

ENTRYPOINT = CONNECT_IMAGE_DIR / "entrypoint.py"


class LocalStack:
    """A broker + worker pair on loopback. Start with `start()` or `up()`, stop with `stop()`.

    Attributes the tests rely on: connect_url, bootstrap_servers, jmx_url, stage, topics, worker_log,
    broker_log, connect_client(), start_worker(), stop_worker().
    """

    def __init__(self, settings: LocalSettings, jars_dir: Path | None = None, manifest: Manifest | None = None):
        self.settings = settings
        self.manifest = manifest or Manifest()
        self._jars_dir = jars_dir
        data = settings.data_dir
        self.broker = ManagedProcess("Kafka broker", data / "broker.pid", settings.log_dir / "broker.log", str(data))
        self.worker = ManagedProcess("Connect worker", data / "worker.pid", settings.log_dir / "worker.log", str(data))
        # True when `make local` found this stack already running (its worker keeps the env it started with).
        self.reused = False

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

    def connect_client(self, deadline: float = 10.0) -> ConnectClient:
        """A Connect REST client on this worker that gives up after `deadline` seconds."""
        return ConnectClient(self.connect_url, request_timeout=min(3.0, deadline), deadline=deadline)

    def connector_config(self, options: ConnectorOptions | None = None) -> dict[str, str]:
        """The stage's Debezium Oracle connector config as the stack builds it, for this broker (PLAINTEXT, RF 1)."""
        kafka = KafkaClientSettings(self.bootstrap_servers, LOCAL_SECURITY_PROTOCOL, LOCAL_REPLICATION_FACTOR)
        return build_connector_config(self.stage, options or ConnectorOptions(), kafka)

    # ---- broker
    def _broker_answers(self) -> bool:
        # Until the listener is up, a Kafka client would only log connection errors into the caller's output.
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex((BIND_ADDRESS, self.settings.ports["broker"])) != 0:
                return False
        try:
            admin = kafka_admin(self.bootstrap_servers)
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
        files = BrokerFiles(self.settings.data_dir, self.jars_dir / self.manifest.folders["kafka-broker"])
        files.write(self.settings.ports)
        files.format_storage()
        self.broker.start(files.server_command(), os.environ)
        wait_until("The Kafka broker", self._broker_answers, self.broker, timeout_s)

    # ---- worker
    def worker_environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The entrypoint's environment: the contract variables for this stage on loopback, plus DB settings."""
        base = os.environ if base is None else base
        contract = set(worker_env.CONTRACT_VARIABLES)
        # Nothing from the caller's shell may leak into the contract (an exported DB_PASSWORD, a CONNECT_*).
        env = {k: v for k, v in base.items() if k not in contract and k != "ECS_CONTAINER_METADATA_URI_V4"}
        env.update(
            worker_env.worker_environment(
                self.topics,
                bootstrap_servers=self.bootstrap_servers,
                security_protocol=LOCAL_SECURITY_PROTOCOL,
                replication_factor=LOCAL_REPLICATION_FACTOR,
                container_memory_mib=self.settings.container_memory_mib,
                rest_port=self.settings.ports["connect"],
                jmx_exporter_port=self.settings.ports["jmx"],
                rest_advertised_host=BIND_ADDRESS,
                plugin_path=str(self.jars_dir / "plugins"),
            )
        )
        env.update(self.settings.database_env or unconfigured_database_env())
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
            plugins = self.connect_client(deadline=3.0).plugins()
        except ConnectError:
            return None
        for plugin in plugins:
            if plugin.get("class") == ORACLE_CONNECTOR_CLASS:
                return plugin.get("version")
        missing = f"The worker answers but lists no {ORACLE_CONNECTOR_CLASS}."
        raise LocalStackError(f"{missing}\n{self.worker.this_runs_log()}")

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
        wait_until("The Connect worker", self._worker_ready, self.worker, timeout_s)

    def stop_worker(self, timeout_s: float = 30.0) -> None:
        self.worker.stop(timeout_s)

    # ---- both
    def start(self, timeout_s: float = 180.0) -> None:
        """Check ports, start the broker, then the worker; on failure stop whatever was started."""
        for process in (self.broker, self.worker):
            if process.running():
                raise LocalStackError(
                    f"The {process.name} of this stack is already running (pid {process.pid}); "
                    "run `make local-down` (python -m devtools.local down) first."
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
        self.settings.remember()

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
        self.settings.forget()

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

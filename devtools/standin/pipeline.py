"""The whole local pipeline on real change events: the stand-in PostgreSQL, the local Kafka + Connect (the same
worker as `make local`, plugin set from the pinned manifest) with the worker's database variables pointing at the
stand-in, and the stage's connector built by the stack's config builder with the stand-in source, registered
through the same admin code the stack's Lambda runs.

Used by `make local STANDIN=1`, the integration tests (tests/integration/test_real_events.py) and the
benchmark (bench/bench_real_events.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from devtools.local.settings import BIND_ADDRESS, PORTS, LocalSettings, LocalStackError, free_ports
from devtools.local.stack import LocalStack
from devtools.standin.database import DATABASE, HEARTBEAT_TABLE, SIGNAL_TABLE, StandinDatabase, new_password
from devtools.standin.server import StandinServer
from devtools.standin.source import POSTGRES, standin_connector_config
from wms_connector import worker_env
from wms_connector.connector.config import KafkaClientSettings
from wms_connector.connector.options import ConnectorOptions
from wms_connector.kafka_settings import LOCAL_REPLICATION_FACTOR, LOCAL_SECURITY_PROTOCOL
from wms_connector.providers.transport import DirectTransport
from wms_connector.stages import Stage

STATE_TIMEOUT_SECONDS = 90


def standin_options(**changes: Any) -> ConnectorOptions:
    """The options the stand-in connector runs with: the heartbeat table (end-to-end freshness) and the signalling
    table (incremental snapshots) provisioned in the stand-in, the rest the stack's defaults unless changed."""
    extra = dict(changes.pop("extra_properties", ()))
    options = ConnectorOptions(
        heartbeat_table=HEARTBEAT_TABLE,
        extra_properties=tuple(sorted({"signal.data.collection": SIGNAL_TABLE, **extra}.items())),
        **changes,
    )
    options.check()
    return options


def database_env(server: StandinServer, database: StandinDatabase) -> dict[str, str]:
    """The worker's DB_* variables for the stand-in: the connector config refers to them as `${env:DB_…}`."""
    return {
        worker_env.DB_HOST: BIND_ADDRESS,
        worker_env.DB_PORT: str(server.port),
        worker_env.DB_NAME: DATABASE,
        worker_env.DB_USER: database.cdc.user,
        worker_env.DB_PASSWORD: database.cdc.password,
    }


class StandinPipeline:
    """Stand-in database + local Kafka + Connect for one stage. `start()`, `register(...)`, `stop()`."""

    def __init__(self, settings: LocalSettings, server: StandinServer, cdc_password: str):
        self.server = server
        self.database = StandinDatabase(server, cdc_password)
        self.stack = LocalStack(replace(settings, database_env=database_env(server, self.database)))

    @classmethod
    def on_free_ports(cls, base_dir: Path, stage: Stage) -> StandinPipeline:
        """A throwaway pipeline (tests, benchmarks): free loopback ports, fresh passwords, files under base_dir."""
        *stack_ports, database_port = free_ports(len(PORTS) + 1)
        settings = LocalSettings(
            ports=dict(zip(PORTS, stack_ports, strict=True)),
            data_dir=base_dir / "data",
            log_dir=base_dir / "logs",
            stage=stage,
        )
        server = StandinServer(base_dir / "standin", database_port, settings.log_dir / "postgres.log", new_password())
        return cls(settings, server, new_password())

    @property
    def stage(self):
        return self.stack.stage

    @property
    def kafka(self) -> KafkaClientSettings:
        return KafkaClientSettings(self.stack.bootstrap_servers, LOCAL_SECURITY_PROTOCOL, LOCAL_REPLICATION_FACTOR)

    def start_database(self) -> None:
        if not self.server.process.running():
            self.server.start()
        self.database.provision()
        self.database.provision_stage(self.stage)

    def start(self, timeout_s: float = 180.0) -> None:
        """The database first (the worker's connector needs it), then the broker and the worker."""
        self.start_database()
        try:
            self.stack.start(timeout_s=timeout_s)
        except BaseException:
            self.server.stop()
            raise

    def stop(self) -> None:
        """Worker and broker, then the database; every part is stopped even when one fails to."""
        errors = []
        for stop in (self.stack.stop, self.server.stop):
            try:
                stop()
            except LocalStackError as error:
                errors.append(str(error))
        if errors:
            raise LocalStackError("; ".join(errors))

    def connector_config(self, options: ConnectorOptions | None = None) -> dict[str, str]:
        return standin_connector_config(self.stage, options or standin_options(), self.kafka)

    def transport(self) -> DirectTransport:
        return DirectTransport(
            connect_url=self.stack.connect_url,
            stage=self.stage.name,
            bootstrap_servers=self.stack.bootstrap_servers,
            jmx_url=self.stack.jmx_url,
            worker_log=str(self.stack.worker_log),
            other_sources=(POSTGRES,),
        )

    def register(self, options: ConnectorOptions | None = None, state: str = "running") -> Mapping[str, Any]:
        """Validate (Connect asks the stand-in database), create or update, and bring the connector to `state`."""
        config = self.connector_config(options)
        return self.transport().invoke(
            {
                "action": "ensure",
                "name": config["name"],
                "config": config,
                "state": state,
                "timeout_seconds": STATE_TIMEOUT_SECONDS,
            }
        )

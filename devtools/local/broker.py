"""The local single-node Kafka broker (KRaft, broker and controller in one process): its config, its storage
format and its command line, from the pinned broker jars."""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path

from devtools.local.settings import BIND_ADDRESS, LocalStackError

BROKER_HEAP = "-Xmx512m"

# log4j2 (Kafka 4's logging): one line per event, the broker's chatty internals at WARN.
BROKER_LOG4J2 = """\
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
logger.storage.name = org.apache.kafka.storage.internals.log
logger.storage.level = warn
logger.log.name = kafka.log
logger.log.level = warn
"""


def new_cluster_id() -> str:
    """A KRaft cluster id (base64url UUID). One starting with '-' would be read by StorageTool as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def server_properties(ports: Mapping[str, int], log_dirs: Path) -> str:
    return "\n".join(
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


class BrokerFiles:
    """The broker's home under the stack's data directory: its config, log4j2 and KRaft log directories."""

    def __init__(self, data_dir: Path, broker_jars: Path):
        self.home = data_dir / "broker"
        self.log_dirs = self.home / "kraft-logs"
        self.config = self.home / "server.properties"
        self.broker_jars = broker_jars

    def write(self, ports: Mapping[str, int]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(BROKER_LOG4J2)
        self.config.write_text(server_properties(ports, self.log_dirs))

    def java(self, *args: str) -> list[str]:
        return [
            "java", BROKER_HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp", f"{self.broker_jars}/*", *args,
        ]

    def format_storage(self) -> None:
        """Format the KRaft storage once; a formatted one is kept (a second `make local` reuses its topics)."""
        if (self.log_dirs / "meta.properties").exists():
            return
        command = self.java("kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", str(self.config))
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise LocalStackError(f"Formatting KRaft storage failed:\n{result.stdout}{result.stderr}")

    def server_command(self) -> list[str]:
        return self.java("kafka.Kafka", str(self.config))

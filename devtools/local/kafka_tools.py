"""Kafka helpers for the local stack's users (the stack itself, the integration tests, the benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from devtools.local.processes import wait_until
from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectError

if TYPE_CHECKING:
    from devtools.local.stack import LocalStack


def kafka_admin(bootstrap_servers: str):
    """A kafka-python KafkaAdminClient on the local broker; the caller closes it."""
    from kafka import KafkaAdminClient

    return KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="wms-local-stack", request_timeout_ms=15000)


def register_unvalidated(stack: LocalStack, name: str, config: Mapping[str, str], timeout_s: float = 60.0) -> None:
    """Register a connector by writing its config record to the stage's config topic, then wait until listed.

    Connect validates every REST-registered config, and Debezium's validation needs a reachable Oracle database,
    which no local machine has. This is the way to get any Oracle connector config registered locally (the admin's
    `allow_unreachable_database` takes the same path for configs valid in every other field): its task then
    cannot connect, which is the fault the health checks handle. The record format is config_topic.py's. A
    connector already registered gets this config, and the wait lasts until Connect shows it.
    """
    ConfigTopicWriter(stack.bootstrap_servers).register(stack.stage, name, config)

    def listed() -> bool:
        try:
            return stack.connect_client(deadline=3.0).get_config(name) == {**config, "name": name}
        except ConnectError:
            return False

    wait_until(f"Connector {name}", listed, stack.worker, timeout_s)

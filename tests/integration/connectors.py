"""The connector the integration tests run on the local stack, and waiting for Connect to get somewhere.

The worker's "database" is a closed loopback port (see conftest.py), so the registered connector's task FAILS
within seconds of starting: the fault the health check and the on-call commands must handle, produced by the
real Debezium Oracle plugin rather than imitated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from devtools.local.kafka_tools import register_unvalidated
from devtools.local.stack import LocalStack
from wms_connector.connect_client import ConnectClient
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions

# Debezium gives up on a refused connection after its own retries; Connect then marks the task FAILED.
FAILED_WITHIN_S = 120.0

T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T], timeout_s: float, interval_s: float = 0.5) -> T:
    """`check()`'s first truthy result, or AssertionError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s:.0f} s")
        time.sleep(interval_s)


def register_failing_connector(local_stack: LocalStack, client: ConnectClient) -> None:
    """Register the stage's connector with the stage's own config unless it is there; resume it if it was paused
    or stopped, so it runs (and fails) again. Registration skips validation, which needs a live Oracle."""
    name = local_stack.topics.connector_name
    status = client.status(name)
    if status is None:
        config = build_connector_config(
            local_stack.stage,
            ConnectorOptions(),
            KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1),
        )
        register_unvalidated(local_stack, name, config)
    elif status.state in ("PAUSED", "STOPPED"):
        client.resume(name)

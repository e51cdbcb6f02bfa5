"""The connector the integration tests run on the local stack, and waiting for Connect to get somewhere.

The worker's "database" is a closed loopback port (see conftest.py). Debezium 3.6 takes that as retriable: the
task stays RUNNING and retries its start forever (BaseSourceTask.start: "Failed to start connector, will
re-attempt during polling."; errors.max.retries does not bound it), which the health check reports as not
started. A FAILED task, the fault a restart is for, comes from the real plugin on the path a bad config takes: the
failing connector carries one property the task refuses when it starts (BaseSourceTask.start validates its
config and throws "Error configuring an instance of OracleConnectorTask"), so it FAILS within seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from devtools.local.kafka_tools import register_unvalidated
from devtools.local.stack import LocalStack
from wms_connector.connect_client import ConnectClient
from wms_connector.connect_status import ConnectorStatus
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions

FAILED_WITHIN_S = 120.0
# Valid for Connect (registration writes it unvalidated) and refused by Debezium's task at start.
TASK_REFUSES_AT_START = {"decimal.handling.mode": "refused-at-task-start"}

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


def task_failures(local_stack: LocalStack) -> int:
    """How many times a task has failed so far, as the worker logs it: WorkerTask.doRun logs this line (ERROR)
    before it reports the task FAILED, so once the status says FAILED the count includes that failure."""
    return local_stack.worker_log.read_text(errors="replace").count(
        "Task threw an uncaught and unrecoverable exception"
    )


def failing_config(local_stack: LocalStack) -> dict[str, str]:
    """The stage's own config, plus the one property its task refuses at start."""
    kafka = KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    return {**build_connector_config(local_stack.stage, ConnectorOptions(), kafka), **TASK_REFUSES_AT_START}


def register_failing_connector(local_stack: LocalStack, client: ConnectClient) -> None:
    """Give the stage's connector its failing config unless it has it; resume it if it was paused or stopped, so
    it runs (and fails) again. Registration skips validation, which needs a live Oracle."""
    name = local_stack.topics.connector_name
    config = failing_config(local_stack)
    if client.get_config(name) != {**config, "name": name}:
        register_unvalidated(local_stack, name, config)
    resume_until(client, name, lambda status: any(task.state == "FAILED" for task in status.tasks), "a task FAILED")


def resume_until_started(client: ConnectClient, name: str) -> None:
    resume_until(client, name, lambda status: True, "started")


def resume_until(client: ConnectClient, name: str, reached: Callable[[ConnectorStatus], bool], what: str) -> None:
    """Resume `name` whenever Connect reports it PAUSED or STOPPED, until its status is `reached`. Connect shows a
    new config before it has a status for it, and a config written while the connector was stopped can bring the
    stopped target state back after a first resume, so one resume is not a verdict: `reached` must hold on two
    looks a second apart."""
    seen = []

    def settled() -> bool:
        status = client.status(name)
        if status is not None and status.state in ("PAUSED", "STOPPED"):
            client.resume(name)
        seen.append(status is not None and status.state not in ("PAUSED", "STOPPED") and reached(status))
        return seen[-2:] == [True, True]

    wait_for(f"connector {name} resumed, {what}", settled, FAILED_WITHIN_S, interval_s=1.0)

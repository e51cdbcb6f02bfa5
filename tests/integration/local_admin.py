"""What the lifecycle and topic-cleanup tests share: the connector admin on the local stack, built as the admin
Lambda builds its own, and a bounded wait for something the broker or Connect does asynchronously."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from wms_connector.admin.environment import AdminEnvironment, build_admin
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.stages import Stage

T = TypeVar("T")


def local_admin(local_stack, *, stage: Stage | None = None, connect_deadline: float = 30) -> ConnectorAdmin:
    """The admin for `stage` (default: the local stack's) on the local Connect and broker, polling quickly."""
    environment = AdminEnvironment(
        stage=stage or local_stack.stage,
        connect_url=local_stack.connect_url,
        connect_ca=None,
        connect_deadline_seconds=connect_deadline,
        bootstrap_servers=local_stack.bootstrap_servers,
        security_protocol="PLAINTEXT",
    )
    admin = build_admin(environment)
    admin.poll_interval = 0.2
    return admin


def wait_until(condition: Callable[[], T], what: str, timeout: float = 30.0, interval: float = 0.2) -> T:
    """`condition()`'s first truthy value; fails the test naming `what` when none comes within `timeout`."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f}s"
        time.sleep(interval)
    return result

"""Is the Connect REST API answering, is the connector there, and what state are it and its tasks in."""

from __future__ import annotations

from dataclasses import dataclass

from wms_connector.connect_client import ConnectClient, ConnectError, ConnectUnreachable
from wms_connector.connect_status import ConnectorStatus

RUNNING = "RUNNING"
FAILED = "FAILED"


@dataclass(frozen=True)
class ConnectFindings:
    reachable: bool
    status: ConnectorStatus | None = None  # None when the API is down, the connector is missing, or unknown
    missing: bool = False
    error: str | None = None

    @property
    def connector_state(self) -> str | None:
        return self.status.state if self.status else None

    @property
    def task_states(self) -> dict[int, str]:
        return {task.id: task.state for task in self.status.tasks} if self.status else {}

    @property
    def connector_failed(self) -> bool:
        return self.connector_state == FAILED

    @property
    def failed_tasks(self) -> list[int]:
        return sorted(task_id for task_id, state in self.task_states.items() if state == FAILED)

    @property
    def all_states(self) -> list[str]:
        return [self.connector_state, *self.task_states.values()] if self.status else []

    @property
    def all_running(self) -> bool:
        """Connector RUNNING with at least one task, every task RUNNING."""
        return bool(self.status and self.status.tasks and all(s == RUNNING for s in self.all_states))


def _is_api_down(exc: ConnectError) -> bool:
    return isinstance(exc, ConnectUnreachable) or exc.status is None or exc.status >= 500


def check_connect(client: ConnectClient, connector: str) -> ConnectFindings:
    # `GET /` first: it tells "the API is down" apart from "the connector is in trouble".
    try:
        client.server_info()
    except ConnectError as exc:
        if _is_api_down(exc):
            return ConnectFindings(reachable=False, error=exc.message)
    try:
        status = client.status(connector)
    except ConnectError as exc:
        if _is_api_down(exc):
            return ConnectFindings(reachable=False, error=exc.message)
        return ConnectFindings(reachable=True, error=exc.message)
    if status is None:
        return ConnectFindings(reachable=True, missing=True)
    return ConnectFindings(reachable=True, status=status)

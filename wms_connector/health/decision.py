"""When a restart can help, which kind, and whether the last one did."""

from __future__ import annotations

from dataclasses import dataclass

from wms_connector.connect_rules import CONNECT_STATE
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.checks.ecs_service import EcsFindings

CONNECT_RESTART = "connect_restart"  # POST /connectors/<n>/restart?includeTasks=true&onlyFailed=true
ECS_REDEPLOY = "ecs_redeploy"  # fresh worker tasks: the only remedy when the REST API itself is down


@dataclass(frozen=True)
class RestartNeed:
    reason: str
    action: str
    # Set when a restart would be warranted but doing one now would only get in the way.
    held_back: str | None = None


# Someone paused or stopped the connector on purpose: its tasks stay as they are until it is resumed.
DELIBERATE_STATES = ("PAUSED", "STOPPED")


def restart_need(connect: ConnectFindings, ecs: EcsFindings) -> RestartNeed | None:
    if not connect.reachable:
        held = "an ECS deployment is already rolling out" if ecs.deployment_in_progress else None
        return RestartNeed("api_unreachable", ECS_REDEPLOY, held)
    if connect.connector_state in DELIBERATE_STATES:
        return None
    if connect.connector_failed:
        return RestartNeed("connector_failed", CONNECT_RESTART)
    if connect.failed_tasks:
        return RestartNeed("task_failed", CONNECT_RESTART)
    return None


def restart_helped(connect: ConnectFindings, declared_state: str | None = None) -> bool:
    """Judged on the run after a restart or repair: everything RUNNING again, or, for a connector declared paused
    or stopped, in that state."""
    if declared_state in ("paused", "stopped"):
        return connect.reachable and connect.connector_state == CONNECT_STATE[declared_state]
    return connect.reachable and connect.all_running

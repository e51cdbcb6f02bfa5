"""When the health check restarts, and how, from the findings (Connect status bodies as Connect returns them)."""

from __future__ import annotations

import pytest

from wms_connector.connect_status import ConnectorStatus
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.checks.ecs_service import EcsFindings
from wms_connector.health.decision import CONNECT_RESTART, ECS_REDEPLOY, restart_helped, restart_need

STEADY = EcsFindings(desired=1, running=1)
ROLLING = EcsFindings(desired=1, running=0, deployment_in_progress=True)


def _found(connector: str, *tasks: str) -> ConnectFindings:
    body = {
        "name": "wms-oracle-cdc",
        "connector": {"state": connector, "worker_id": "10.0.0.5:8083"},
        "tasks": [{"id": i, "state": state, "worker_id": "10.0.0.5:8083"} for i, state in enumerate(tasks)],
    }
    return ConnectFindings(reachable=True, status=ConnectorStatus.from_json(body))


@pytest.mark.parametrize(
    ("findings", "reason", "action"),
    [
        (_found("FAILED"), "connector_failed", CONNECT_RESTART),
        (_found("FAILED", "FAILED"), "connector_failed", CONNECT_RESTART),
        (_found("RUNNING", "FAILED"), "task_failed", CONNECT_RESTART),
        (ConnectFindings(reachable=False, error="refused"), "api_unreachable", ECS_REDEPLOY),
    ],
)
def test_restart_when_it_can_help(findings, reason, action):
    need = restart_need(findings, STEADY)
    assert (need.reason, need.action, need.held_back) == (reason, action, None)


@pytest.mark.parametrize(
    "findings",
    [
        _found("RUNNING", "RUNNING"),
        _found("RUNNING", "UNASSIGNED"),  # a rebalance: counted by the not-running streak, never restarted
        _found("RESTARTING", "RESTARTING"),
        _found("PAUSED", "FAILED"),  # paused on purpose: left alone until resumed
        _found("STOPPED"),
        ConnectFindings(reachable=True, missing=True),  # registration is the stack's job, not a restart's
    ],
)
def test_no_restart(findings):
    assert restart_need(findings, STEADY) is None


def test_api_down_during_a_deployment_is_held_back():
    need = restart_need(ConnectFindings(reachable=False, error="refused"), ROLLING)
    assert need.action == ECS_REDEPLOY and need.held_back == "an ECS deployment is already rolling out"


@pytest.mark.parametrize(
    ("findings", "helped"),
    [
        (_found("RUNNING", "RUNNING"), True),
        (_found("RUNNING", "FAILED"), False),
        (_found("RUNNING"), False),  # no task running is no capture
        (_found("FAILED"), False),
        (ConnectFindings(reachable=False), False),
    ],
)
def test_restart_helped_only_when_everything_runs(findings, helped):
    assert restart_helped(findings) is helped


@pytest.mark.parametrize(
    ("findings", "declared", "helped"),
    [
        # A connector declared paused or stopped is helped when it is in that state, tasks or not.
        (_found("PAUSED", "PAUSED"), "paused", True),
        (_found("STOPPED"), "stopped", True),
        (_found("RUNNING", "RUNNING"), "paused", False),
        (_found("RUNNING", "RUNNING"), "stopped", False),
        (_found("PAUSED", "PAUSED"), "stopped", False),
        (_found("STOPPED"), "paused", False),
        (_found("FAILED"), "stopped", False),
        (ConnectFindings(reachable=False), "paused", False),
        # Declared running: everything RUNNING, as without a declaration.
        (_found("RUNNING", "RUNNING"), "running", True),
        (_found("PAUSED", "PAUSED"), "running", False),
        (_found("STOPPED"), "running", False),
    ],
)
def test_restart_helped_is_judged_against_the_declared_state(findings, declared, helped):
    assert restart_helped(findings, declared) is helped

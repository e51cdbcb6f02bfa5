"""When a connector created for a start position is still in its first start's `recovery` mode (the health run
leaves that mode alone until Debezium streams), as a table of declared and live configs."""

from __future__ import annotations

import pytest

from wms_connector.connector.first_start import first_start_config, first_start_pending
from wms_connector.health.reconcile import Declared, Drift, find_drift

DECLARED = {"connector.class": "io.debezium.connector.oracle.OracleConnector", "snapshot.mode": "initial"}
FIRST_START = first_start_config(DECLARED)
RECOVERY = {**DECLARED, "snapshot.mode": "recovery"}


@pytest.mark.parametrize(
    ("declared", "live", "streaming", "pending"),
    [
        (DECLARED, FIRST_START, None, True),
        (DECLARED, FIRST_START, False, True),
        (DECLARED, FIRST_START, True, False),  # it streams: the declared mode goes back
        (DECLARED, DECLARED, None, False),
        (DECLARED, None, None, False),  # no connector at all
        ({k: v for k, v in DECLARED.items() if k != "snapshot.mode"}, FIRST_START, None, True),
        # A stage that declares `recovery` itself has no first start to wait for.
        (RECOVERY, FIRST_START, None, False),
        (RECOVERY, {**FIRST_START, "tasks.max": "2"}, False, False),
    ],
)
def test_a_first_start_is_pending_until_it_streams_unless_recovery_is_declared(declared, live, streaming, pending):
    assert first_start_pending(declared, live, streaming) is pending


def test_a_stage_declaring_recovery_gets_its_other_drift_repaired_at_once():
    drift = find_drift(Declared(RECOVERY, "running"), {**RECOVERY, "tasks.max": "2"}, "RUNNING", None)
    assert drift == Drift(config_keys=("tasks.max",))

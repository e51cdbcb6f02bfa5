"""Reconciliation's pure decisions as tables: what drifted between the declared and the live connector, what puts
it back, and the declared item's format (the stack writes it, the health check reads it)."""

from __future__ import annotations

import pytest

from wms_connector.health.reconcile import (
    APPLY_CONFIG,
    REGISTER,
    SET_STATE,
    Declared,
    DeclaredConnectorError,
    Drift,
    declared_key,
    find_drift,
)

CONFIG = {"connector.class": "io.debezium.connector.oracle.OracleConnector", "database.password": "${env:DB_PASSWORD}"}
LIVE = {**CONFIG, "name": "wms-oracle-cdc"}  # Connect adds the name


@pytest.mark.parametrize(
    ("declared_state", "live_config", "live_state", "drift", "repairs"),
    [
        ("running", LIVE, "RUNNING", Drift(), []),
        ("running", None, None, Drift(missing=True), [REGISTER]),
        ("stopped", None, None, Drift(missing=True), [REGISTER]),
        ("running", LIVE, "PAUSED", Drift(state=("PAUSED", "RUNNING")), [SET_STATE]),
        ("paused", LIVE, "RUNNING", Drift(state=("RUNNING", "PAUSED")), [SET_STATE]),
        ("stopped", LIVE, "PAUSED", Drift(state=("PAUSED", "STOPPED")), [SET_STATE]),
        # FAILED, UNASSIGNED and RESTARTING are the restarts' business, not drift.
        ("running", LIVE, "FAILED", Drift(), []),
        ("paused", LIVE, "UNASSIGNED", Drift(), []),
        ("running", {**LIVE, "tasks.max": "2"}, "RUNNING", Drift(config_keys=("tasks.max",)), [APPLY_CONFIG]),
        (
            "running",
            {k: v for k, v in LIVE.items() if k != "database.password"} | {"x": "1"},
            "PAUSED",
            Drift(config_keys=("database.password", "x"), state=("PAUSED", "RUNNING")),
            [APPLY_CONFIG, SET_STATE],
        ),
    ],
)
def test_drift_and_what_puts_it_back(declared_state, live_config, live_state, drift, repairs):
    found = find_drift(Declared(CONFIG, declared_state), live_config, live_state)
    assert found == drift and found.repairs() == repairs and found.found is bool(repairs)


def test_the_declared_item_round_trips_and_holds_placeholders_only():
    declared = Declared(CONFIG, "paused", allow_unreachable_database=True)
    item = declared.to_item(declared_key("main", "wms-oracle-cdc"))
    # Not the `#declared` key earlier stacks kept as a Pulumi resource (its deletion must not take this one).
    assert item["connectorId"] == "main:wms-oracle-cdc#declared-connector"
    assert item["allowUnreachableDatabase"] == "true" and item["state"] == "paused"
    assert Declared.from_item(item) == declared
    assert "${env:DB_PASSWORD}" in item["config"]


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ({"state": "running"}, "`config` is missing or not JSON"),
        ({"config": "{not json", "state": "running"}, "`config` is missing or not JSON"),
        ({"config": "[1]", "state": "running"}, "not an object of strings"),
        ({"config": '{"a": 1}', "state": "running"}, "not an object of strings"),
        ({"config": "{}", "state": "sleeping"}, "`state` is not one of running, paused, stopped"),
    ],
)
def test_a_bad_declared_item_is_named(item, says):
    with pytest.raises(DeclaredConnectorError, match=says):
        Declared.from_item(item)


FIRST_START = {**CONFIG, "snapshot.mode": "recovery"}


@pytest.mark.parametrize(
    ("live", "streaming", "keys", "deferred"),
    [
        # Created for a start position, not streamed yet: its `recovery` mode stays (a restart in `initial` before
        # the schema history exists fails: BaseSourceTask.validateSchemaHistory), whatever else differs.
        (FIRST_START, None, (), True),
        (FIRST_START, False, (), True),
        ({**FIRST_START, "tasks.max": "2"}, None, (), True),
        # Once Debezium streams (StreamingMetrics Connected), the declared mode is put back.
        (FIRST_START, True, ("snapshot.mode",), False),
        # A stage that declares `recovery` itself has nothing deferred.
        (CONFIG, None, (), False),
    ],
)
def test_a_first_start_keeps_its_recovery_mode_until_it_streams(live, streaming, keys, deferred):
    drift = find_drift(Declared(CONFIG, "running"), live, "RUNNING", streaming)
    assert drift.config_keys == keys and bool(drift.deferred) is deferred
    assert not drift.found or keys
    assert find_drift(Declared(FIRST_START, "running"), FIRST_START, "RUNNING", None) == Drift()
    # A state drift is still put back while the mode waits.
    assert find_drift(Declared(CONFIG, "running"), FIRST_START, "PAUSED", None).repairs() == ["set_state"]

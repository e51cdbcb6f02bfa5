"""Reconciliation's pure decisions as tables: what drifted between the declared and the live connector, what puts
it back, and the declared item's format (the stack writes it, the health check reads it).

The declared item is read from moto's DynamoDB, through a double whose eventually consistent reads lag a write
(eventual_reads.py). Repairs run against a Connect double (ConnectDouble) that answers in ConnectClient's shapes and
reads its config topic as a worker does, and the real ConfigTopicWriter with its records kept instead of sent: a
unit test needs no Connect or Kafka (the real ones are in tests/integration)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from tests.unit.aws_fixtures import create_state_table, fake_credentials
from tests.unit.eventual_reads import EventualReadsTable
from tests.unit.stage_config import stage_config
from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectError
from wms_connector.connect_rules import CONNECT_STATE
from wms_connector.connect_status import FieldErrors
from wms_connector.health.reconcile import (
    APPLY_CONFIG,
    REGISTER,
    SET_STATE,
    Declared,
    DeclaredConnectorError,
    Drift,
    ReconcileReport,
    RepairFailed,
    declared_key,
    find_drift,
    load_declared,
    repair,
)
from wms_connector.registration import PROVIDER_REDACTED, REDACTED_HINT, Registrar
from wms_connector.stages import Stage

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


NOT_JSON = "the declared item's `config` is missing or not JSON"
NOT_STRINGS = "the declared item's `config` is not an object of strings"


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ({"state": "running"}, NOT_JSON),
        ({"config": "{not json", "state": "running"}, NOT_JSON),
        ({"config": "[1]", "state": "running"}, NOT_STRINGS),
        ({"config": '{"a": 1}', "state": "running"}, NOT_STRINGS),
        ({"config": "{}", "state": "sleeping"}, "the declared item's `state` is not one of running, paused, stopped"),
    ],
)
def test_a_bad_declared_item_is_named(item, says):
    # The run's log line carries this text as its `reconcile` error: on-call reads it.
    with pytest.raises(DeclaredConnectorError) as refused:
        Declared.from_item(item)
    assert str(refused.value) == says


def test_the_same_declaration_is_stored_as_the_same_text_whatever_order_it_was_built_in():
    key = declared_key("main", "wms-oracle-cdc")
    reordered = dict(reversed(list(CONFIG.items())))
    assert Declared(reordered, "running").to_item(key) == Declared(CONFIG, "running").to_item(key)
    assert Declared(reordered, "running").to_item(key)["config"] == (
        '{"connector.class": "io.debezium.connector.oracle.OracleConnector", '
        '"database.password": "${env:DB_PASSWORD}"}'
    )


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


def test_the_deferred_mode_says_why_in_the_log_line():
    drift = find_drift(Declared(CONFIG, "running"), FIRST_START, "RUNNING", None)
    assert drift.to_dict() == {
        "missing": False,
        "configKeys": [],
        "state": None,
        "deferred": "the first start from startScn has not streamed yet: its `recovery` snapshot mode stays until "
        "the schema history is written",
    }


# -- what the run's log line says (docs/operations.md: on-call reads `configKeys`, `state`, `repaired`) ----------


@pytest.mark.parametrize(
    ("drift", "logged"),
    [
        (Drift(), {"missing": False, "configKeys": [], "state": None}),
        (Drift(missing=True), {"missing": True, "configKeys": [], "state": None}),
        (
            Drift(config_keys=("snapshot.mode", "tasks.max"), state=("PAUSED", "RUNNING")),
            {"missing": False, "configKeys": ["snapshot.mode", "tasks.max"],
             "state": {"live": "PAUSED", "declared": "RUNNING"}},
        ),
        (
            Drift(state=("RUNNING", "STOPPED"), deferred="why"),
            {"missing": False, "configKeys": [], "state": {"live": "RUNNING", "declared": "STOPPED"},
             "deferred": "why"},
        ),
    ],
)
def test_a_drift_as_logged(drift, logged):
    assert drift.to_dict() == logged


@pytest.mark.parametrize(
    ("report", "logged"),
    [
        (
            ReconcileReport(),
            {"declared": False, "repair": True, "drift": None, "granted": None, "repaired": [], "error": None},
        ),
        # No drift: nothing under `drift`, however the run went.
        (
            ReconcileReport(declared=True, repair=False, drift=Drift()),
            {"declared": True, "repair": False, "drift": None, "granted": None, "repaired": [], "error": None},
        ),
        # A deferred difference is shown though nothing is due.
        (
            ReconcileReport(declared=True, drift=Drift(deferred="why")),
            {"declared": True, "repair": True,
             "drift": {"missing": False, "configKeys": [], "state": None, "deferred": "why"},
             "granted": None, "repaired": [], "error": None},
        ),
        (
            ReconcileReport(declared=True, drift=Drift(config_keys=("tasks.max",), state=("PAUSED", "RUNNING")),
                            granted=True, repaired=[APPLY_CONFIG], error="set_state: refused"),
            {"declared": True, "repair": True,
             "drift": {"missing": False, "configKeys": ["tasks.max"],
                       "state": {"live": "PAUSED", "declared": "RUNNING"}},
             "granted": True, "repaired": ["apply_config"], "error": "set_state: refused"},
        ),
    ],
)
def test_a_reconciliation_as_logged(report, logged):
    assert report.to_dict() == logged


# -- the declared item in the health table (moto's DynamoDB) --------------------------------------------------

KEY = declared_key("main", "wms-oracle-cdc")


@pytest.fixture
def table(monkeypatch):
    fake_credentials(monkeypatch)
    with mock_aws():
        yield create_state_table(boto3.resource("dynamodb", region_name="us-east-1"), "health")


def test_nothing_declared_is_none(table):
    assert load_declared(table, KEY) is None


def test_a_run_reads_the_declaration_the_admin_wrote_last(table):
    # The admin rewrites the declaration just before it changes the connector; a read that is not strongly
    # consistent may still answer the one before (eventual_reads.py), and a run would repair towards it.
    replicated = EventualReadsTable(table)
    replicated.put_item(Item=Declared(CONFIG, "running").to_item(KEY))
    replicated.put_item(Item=Declared(CONFIG, "stopped").to_item(KEY))
    assert load_declared(replicated, KEY) == Declared(CONFIG, "stopped")
    replicated.delete_item(Key={"connectorId": KEY})
    assert load_declared(replicated, KEY) is None


# -- repair, against a Connect double -------------------------------------------------------------------------

NAME = "wms-oracle-cdc"
STAGE = Stage.parse("feat-x")


class ConfigTopic(ConfigTopicWriter):
    """The stage's config topic: the real writer's records, kept instead of sent to Kafka."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1:9092")
        object.__setattr__(self, "records", [])

    def send_one(self, topic, key, value, *, partition=None):
        self.records.append((topic, key.decode(), json.loads(value)))


class ConnectDouble:
    """One Connect worker in memory, answering as ConnectClient does: `get_config` the config with the name Connect
    adds (None: no such connector), `validate` FieldErrors, `create`/`put_config` the connector info, the state
    changes nothing; a state change of an unknown connector is Connect's 404. Like a worker, it picks up the
    records of its config topic (`topic`). REST writes are recorded in `writes`."""

    _STATES = {"STARTED": "RUNNING", "PAUSED": "PAUSED", "STOPPED": "STOPPED"}

    def __init__(self, live: dict[str, tuple[dict[str, str], str]] | None = None,
                 errors: dict[str, list[str]] | None = None, topic: ConfigTopic | None = None) -> None:
        self.connectors = dict(live or {})  # name -> (config, state)
        self.errors = errors or {}
        self.topic = topic
        self.writes: list[tuple[str, ...]] = []

    def _read_config_topic(self) -> None:
        targets: dict[str, str] = {}
        for _topic, key, value in self.topic.records if self.topic else []:
            if key.startswith("target-state-"):
                targets[key.removeprefix("target-state-")] = self._STATES[value["state.v2"]]
            else:
                name = key.removeprefix("connector-")
                old_state = self.connectors.get(name, (None, "RUNNING"))[1]
                self.connectors[name] = (value["properties"], targets.get(name, old_state))

    def validate(self, connector_class, config):
        return FieldErrors(error_count=sum(len(m) for m in self.errors.values()), errors=dict(self.errors))

    def get_config(self, name):
        self._read_config_topic()
        return {**self.connectors[name][0], "name": name} if name in self.connectors else None

    def _info(self, name):
        return {"name": name, "config": {**self.connectors[name][0], "name": name}, "tasks": [], "type": "source"}

    def create(self, name, config, initial_state):
        self.writes.append(("create", name, initial_state))
        self.connectors[name] = (dict(config), initial_state)
        return self._info(name)

    def put_config(self, name, config):
        self.writes.append(("put_config", name))
        self.connectors[name] = (dict(config), self.connectors.get(name, (None, "RUNNING"))[1])  # PUT creates RUNNING
        return self._info(name)

    def _set(self, name, state):
        if name not in self.connectors:
            raise ConnectError(f"Connector {name} not found", status=404)
        self.connectors[name] = (self.connectors[name][0], state)

    def pause(self, name):
        self.writes.append(("pause", name))
        self._set(name, "PAUSED")

    def resume(self, name):
        self.writes.append(("resume", name))
        self._set(name, "RUNNING")

    def stop(self, name):
        self.writes.append(("stop", name))
        self._set(name, "STOPPED")


def _repair(connect: ConnectDouble, declared: Declared, writer: ConfigTopic | None = None) -> list[str]:
    """What a health run does when the budget grants the repair: the drift it sees, put back."""
    live = connect.get_config(NAME)
    state = connect.connectors[NAME][1] if NAME in connect.connectors else None
    registrar = Registrar(connect, STAGE, writer, poll_interval=0.01, registration_timeout=0.1)
    return repair(registrar, NAME, declared, find_drift(declared, live, state))


@pytest.mark.parametrize("state", ["running", "paused", "stopped"])
def test_a_missing_connector_is_created_in_its_declared_state(state):
    config = stage_config()
    connect = ConnectDouble()
    assert _repair(connect, Declared(config, state)) == [REGISTER]
    # Created in the state (KIP-980), never running first: a connector declared stopped does not capture a moment.
    assert connect.writes == [("create", NAME, CONNECT_STATE[state])]
    assert connect.connectors == {NAME: (config, CONNECT_STATE[state])}


@pytest.mark.parametrize(
    ("declared", "live", "write"),
    [("running", "PAUSED", "resume"), ("paused", "RUNNING", "pause"), ("stopped", "RUNNING", "stop")],
)
def test_a_drifted_state_is_set_back(declared, live, write):
    config = stage_config()
    connect = ConnectDouble({NAME: (config, live)})
    assert _repair(connect, Declared(config, declared)) == [SET_STATE]
    assert connect.writes == [(write, NAME)]
    assert connect.connectors == {NAME: (config, CONNECT_STATE[declared])}


def test_a_changed_config_is_applied_then_the_state_set():
    config = stage_config()
    connect = ConnectDouble({NAME: ({**config, "snapshot.mode": "no_data"}, "PAUSED")})
    assert _repair(connect, Declared(config, "running")) == [APPLY_CONFIG, SET_STATE]
    assert connect.writes == [("put_config", NAME), ("resume", NAME)]
    assert connect.connectors == {NAME: (config, "RUNNING")}


UNREACHABLE = {"database.hostname": [PROVIDER_REDACTED]}  # Connect 4.x's answer when Debezium cannot connect


def test_a_stack_that_allows_an_unreachable_database_is_registered_through_the_config_topic():
    config = stage_config()
    topic = ConfigTopic()
    connect = ConnectDouble(errors=UNREACHABLE, topic=topic)
    assert _repair(connect, Declared(config, "paused", allow_unreachable_database=True), topic) == [REGISTER]
    assert connect.writes == []  # Connect's REST API would refuse it
    assert [key for _topic, key, _value in topic.records] == [f"target-state-{NAME}", f"connector-{NAME}"]
    assert connect.connectors == {NAME: (config, "PAUSED")}


@pytest.mark.parametrize(
    ("allow", "says"),
    [
        (
            False,
            f"register: Connector `{NAME}` config is invalid (1 error(s)):\n"
            f"  database.hostname: {PROVIDER_REDACTED} ({REDACTED_HINT})",
        ),
        (
            True,
            f"register: Connector `{NAME}`: the database is unreachable and there is no Kafka connection to register "
            "the connector without Connect's database check.",
        ),
    ],
)
def test_a_repair_connect_refuses_says_why(allow, says):
    connect = ConnectDouble(errors=UNREACHABLE)
    with pytest.raises(RepairFailed) as failed:
        _repair(connect, Declared(stage_config(), "running", allow_unreachable_database=allow))
    assert str(failed.value) == says
    assert connect.writes == [] and connect.connectors == {}

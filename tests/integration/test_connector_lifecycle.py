"""The connector lifecycle against the real local Kafka + Kafka Connect with the Debezium Oracle plugin.

The worker's "database" is a closed port on 127.0.0.1 (see conftest.py), so Connect's validation fails to connect:
strict registration is refused with that field error, and registration that tolerates it (allowUnreachableDatabase)
goes through the stage's config topic; the connector's task then fails to connect, as it would in AWS.
"""

from __future__ import annotations

import dataclasses
import io
import json
import socket
import threading
from pathlib import Path

import pytest

from devtools.local.connector import register_connector
from devtools.local.kafka_tools import register_unvalidated
from devtools.local.stack import LocalStack
from tests.integration.connectors import TASK_REFUSES_AT_START
from tests.integration.local_admin import local_admin, wait_until
from tests.unit.oracle_double import ready_database
from wms_connector.admin.errors import ConfigInvalid, StateTimeout
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.protocol import handle
from wms_connector.connect_client import ConnectClient, ConnectUnreachable
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.credentials import REDACTED, is_allowed_placeholder
from wms_connector.connector.options import ConnectorOptions
from wms_connector.providers.debezium_connector import ConnectorProviderError, DebeziumConnectorProvider
from wms_connector.providers.transport import direct_spec
from wms_connector.registration import PROVIDER_REDACTED, REDACTED_HINT

pytestmark = pytest.mark.integration

NAME = "wms-oracle-cdc"


@pytest.fixture
def admin(local_stack) -> ConnectorAdmin:
    admin = local_admin(local_stack)
    yield admin
    admin.connect.delete(NAME)
    _wait_absent(admin)


def _wait_absent(admin: ConnectorAdmin) -> None:
    wait_until(lambda: admin.connect.get_config(NAME) is None, f"connector {NAME} leaving Connect")


def _config(local_stack, **options: object) -> dict[str, str]:
    kafka = KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    return build_connector_config(local_stack.stage, ConnectorOptions.from_config(options), kafka)


def _provider_props(local_stack, transport: dict | None = None, **inputs: object) -> dict:
    """DebeziumConnector's inputs for the local stack (tolerating its unreachable database)."""
    return {
        "name": NAME,
        "stage": local_stack.stage.name,
        "config": _config(local_stack),
        "state": "running",
        "allowUnreachableDatabase": True,
        "timeoutSeconds": 60,
        "transport": transport
        or direct_spec(local_stack.connect_url, local_stack.stage, bootstrap_servers=local_stack.bootstrap_servers),
        **inputs,
    }


def test_strict_registration_without_a_database_is_refused_with_the_field_error(local_stack, admin):
    with pytest.raises(ConfigInvalid) as caught:
        admin.apply(NAME, _config(local_stack))
    assert set(caught.value.fields) == {"database.hostname"}
    # Connect 4 redacts the error on a value from ${env:DB_HOST}; the refusal says what it stands for.
    assert PROVIDER_REDACTED in caught.value.fields["database.hostname"][0]
    assert f"database.hostname: {caught.value.fields['database.hostname'][0]} ({REDACTED_HINT})" in str(caught.value)
    assert NAME not in admin.connect.list_connectors()


def test_invalid_config_comes_back_per_field_and_registers_nothing(local_stack, admin):
    config = _config(local_stack, extraProperties={"decimal.handling.mode": "bogus", "snapshot.fetch.size": "lots"})
    response = handle(admin,
        {"action": "ensure", "name": NAME, "config": config, "state": "running", "allow_unreachable_database": True}
    )
    assert response["ok"] is False and response["error"]["type"] == "ConfigInvalid"
    fields = response["error"]["fields"]
    assert set(fields) == {"decimal.handling.mode", "snapshot.fetch.size"}
    assert "Value must be one of string, double, precise" in fields["decimal.handling.mode"][0]
    assert NAME not in admin.connect.list_connectors()


def test_create_registers_with_placeholders_only_then_update_state_and_delete(local_stack, admin):
    config = _config(local_stack, recordFormat="flat")
    created = admin.ensure(NAME, config, "running", timeout=60, allow_unreachable_database=True)
    assert created["state"] == "running"

    live = admin.connect.get_config(NAME)
    assert live == config
    database = {k: v for k, v in live.items() if k.startswith("database.")}
    assert database and all(is_allowed_placeholder(v) for v in database.values())
    text = json.dumps(live)
    for secret in local_stack.settings.database_env.values():
        assert f'"{secret}"' not in text and f":{secret}" not in text

    # The task is real: it tries the (closed) database port and Debezium retries its start, which the health check
    # reports as not started. The connector reports RUNNING a moment before Connect assigns its task.
    status = wait_until(
        lambda: (reached := admin.wait_for_state(NAME, "running", timeout=60, require_tasks=False)).tasks and reached,
        "Connect assigning the connector's task",
        timeout=60,
    )
    assert status.tasks[0].state in ("RUNNING", "FAILED", "RESTARTING", "UNASSIGNED")

    updated = dict(config, **{"heartbeat.interval.ms": "15000"})
    admin.ensure(NAME, updated, "running", timeout=60, allow_unreachable_database=True)
    assert admin.connect.get_config(NAME)["heartbeat.interval.ms"] == "15000"

    for state in ("paused", "running", "stopped", "running"):
        reached = admin.set_state(NAME, state, timeout=60, require_tasks=False)
        assert reached.state == state.upper()
        assert admin.read(NAME)["state"] == state

    assert admin.delete(NAME) is True
    _wait_absent(admin)
    assert admin.delete(NAME) is False
    assert admin.read(NAME) == {"name": NAME, "exists": False, "config": None, "state": "absent", "status": None}


def test_waiting_for_running_tasks_times_out_with_the_task_trace(local_stack, admin):
    register_unvalidated(local_stack, NAME, {**_config(local_stack), **TASK_REFUSES_AT_START})
    wait_until(
        # Connect shows a new config before it has a status for it: no status yet is "not yet".
        lambda: (status := admin.status(NAME)) and any(t.state == "FAILED" for t in status.tasks),
        "the task failing on the property it refuses at start",
        timeout=60,
    )
    with pytest.raises(StateTimeout) as caught:
        admin.wait_for_state(NAME, "running", timeout=2, require_tasks=True)
    message = str(caught.value)
    assert "did not reach running within 2s" in message
    assert "task 0: FAILED" in message and "trace:" in message


def test_provider_read_shows_drift_made_outside_pulumi(local_stack, admin):
    provider = DebeziumConnectorProvider()
    props = _provider_props(local_stack)
    outputs = provider.create(dict(props)).outs
    assert provider.diff(NAME, outputs, props).changes is False

    # State changed directly through the REST API.
    admin.connect.pause(NAME)
    admin.wait_for_state(NAME, "paused", timeout=30, require_tasks=False)
    refreshed = provider.read(NAME, outputs)
    assert refreshed.outs["connectorState"] == "paused"
    diff = provider.diff(NAME, refreshed.outs, props)
    assert diff.changes is True and not diff.replaces

    # Config changed outside Pulumi (Connect's REST PUT needs the database, so it goes in as the herder writes it),
    # including a plaintext password, which must not reach the refreshed state.
    drifted = dict(props["config"], **{"heartbeat.interval.ms": "5000", "database.password": "typed-in-by-hand"})
    register_unvalidated(local_stack, NAME, drifted)
    wait_until(lambda: admin.connect.get_config(NAME) == drifted, "Connect showing the drifted config")
    refreshed = provider.read(NAME, outputs)
    assert refreshed.outs["config"]["heartbeat.interval.ms"] == "5000"
    assert refreshed.outs["config"]["database.password"] == REDACTED
    assert "typed-in-by-hand" not in json.dumps(refreshed.outs)
    assert provider.diff(NAME, refreshed.outs, props).changes is True

    # `pulumi up` repairs it.
    repaired = provider.update(NAME, refreshed.outs, props).outs
    assert repaired["connectorState"] == "running"
    assert admin.connect.get_config(NAME) == props["config"]

    # Deleted outside Pulumi: read reports it gone.
    admin.connect.delete(NAME)
    _wait_absent(admin)
    assert provider.read(NAME, repaired).id == ""


def test_unreachable_connect_is_a_clear_timeout(local_stack):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ConnectUnreachable) as caught:
        ConnectClient(url, request_timeout=0.5, deadline=1.5).status(NAME)
    assert url in str(caught.value) and "gave up after" in str(caught.value)

    provider = DebeziumConnectorProvider()
    props = _provider_props(
        local_stack,
        direct_spec(url, local_stack.stage, connect_deadline_seconds=2),
        allowUnreachableDatabase=False,
        timeoutSeconds=30,
    )
    with pytest.raises(
        ConnectorProviderError, match=r"ensure failed \(ConnectUnreachable\).*" + url.replace(".", r"\.")
    ):
        provider.create(props)


def test_make_local_registration_reports_the_validation_error_and_leaves_the_stack_running(local_stack, admin):
    out, err = io.StringIO(), io.StringIO()
    assert register_connector(local_stack, out=out, err=err) is False
    message = err.getvalue()
    assert f"Connector {NAME} was not registered (ConfigInvalid)" in message
    assert f"{PROVIDER_REDACTED} ({REDACTED_HINT})" in message
    assert "keep running" in message and out.getvalue() == ""
    assert local_stack.settings.database_env["DB_PASSWORD"] not in message
    assert admin.connect.server_info()["version"]  # the worker is still up
    assert NAME not in admin.connect.list_connectors()


def test_make_local_without_database_settings_registers_the_connector_so_its_failure_shows(local_stack, admin):
    # The same running worker, seen by a `make local` whose local.env sets no database.
    unconfigured = LocalStack(dataclasses.replace(local_stack.settings, database_env={}), jars_dir=Path("/nonexistent"))
    out, err = io.StringIO(), io.StringIO()
    assert register_connector(unconfigured, out=out, err=err) is True, err.getvalue()
    assert f"Connector {NAME} registered and running." in out.getvalue()
    assert "No database is configured" in out.getvalue() and "wms-ops --local status" in out.getvalue()
    assert NAME in admin.connect.list_connectors()
    # Paused by someone, it stays paused through another `make local`: that is not a resume.
    admin.set_state(NAME, "paused", timeout=60, require_tasks=False)
    out, err = io.StringIO(), io.StringIO()
    assert register_connector(unconfigured, out=out, err=err) is True, err.getvalue()
    assert f"Connector {NAME} kept paused, as it was left" in out.getvalue()
    assert admin.connect.status(NAME).state == "PAUSED"


def test_make_local_names_an_existing_connector_it_could_not_update_and_exits_1(local_stack, admin, monkeypatch):
    from devtools.local import cli

    unconfigured = LocalStack(dataclasses.replace(local_stack.settings, database_env={}), jars_dir=Path("/nonexistent"))
    assert register_connector(unconfigured, out=io.StringIO(), err=io.StringIO()) is True
    admin.set_state(NAME, "stopped", timeout=60, require_tasks=False)
    # Now with database settings Connect refuses (the database is unreachable): the connector exists, STOPPED.
    out, err = io.StringIO(), io.StringIO()
    assert register_connector(local_stack, out=out, err=err) is False
    assert f"Connector {NAME} exists (STOPPED) but could not be given the declared config and state" in (
        err.getvalue())
    # `make local` exits 1 when a step failed, the stack still running.
    monkeypatch.setattr(cli, "default_after_ready_steps", lambda: (lambda stack: False,))
    monkeypatch.setattr(cli.LocalSettings, "from_environment", classmethod(lambda c, *a, **k: local_stack.settings))
    assert cli.main(["up"]) == 1
    assert admin.connect.server_info()["version"]


class StatusWatcher:
    """Every status Connect reports for the connector, polled from before it exists until stopped."""

    def __init__(self, client: ConnectClient, name: str) -> None:
        self.client, self.name, self.seen = client, name, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            status = self.client.status(self.name)
            if status is not None:
                self.seen.append(status)
            self._stop.wait(0.02)

    def stop(self) -> list:
        self._stop.set()
        self._thread.join(10)
        return self.seen


@pytest.mark.parametrize(("state", "connect_state"), [("stopped", "STOPPED"), ("paused", "PAUSED")])
def test_a_connector_created_stopped_or_paused_never_runs_not_even_for_a_moment(local_stack, admin, state,
                                                                               connect_state):
    watcher = StatusWatcher(ConnectClient(local_stack.connect_url, request_timeout=5, deadline=10), NAME)
    try:
        admin.ensure(NAME, _config(local_stack), state, timeout=60, allow_unreachable_database=True)
        # A few more polls after the state is reached: nothing starts late either.
        wait_until(lambda: len(watcher.seen) >= 10, "status polls")
    finally:
        seen = watcher.stop()
    assert seen and seen[-1].state == connect_state
    assert not [s for s in seen if s.state == "RUNNING" or any(t.state == "RUNNING" for t in s.tasks)], seen
    if state == "stopped":
        assert not [s for s in seen if s.tasks], "a connector declared stopped got a task"


def test_a_first_deploy_with_a_start_scn_has_its_offset_before_it_ever_runs(local_stack, admin):
    watcher = StatusWatcher(ConnectClient(local_stack.connect_url, request_timeout=5, deadline=10), NAME)
    offsets_when_running: list = []
    try:
        # Declared running; the start position is set while it is still stopped, then it starts.
        # The database (a double, as Oracle shapes its rows: tests/unit/oracle_double.py) has a transaction open
        # since SCN 776500 at the start position, on one of two redo threads.
        admin.database_info = lambda: {"user": "C##WMSCDC", "password": "x", "host": "db", "port": "1521"}
        admin.database_connect = lambda info: ready_database(
            REDO_THREADS=[(1, "OPEN", "PUBLIC"), (2, "OPEN", "PUBLIC")],
            OPEN_TRANSACTIONS_RAC=lambda p: [("0A0012003F040000", 776500)] if p["scn"] > 776500 else [],
        )
        result = admin.ensure(NAME, _config(local_stack), "running", timeout=60, allow_unreachable_database=True,
                              start_scn=777000)
        offsets_when_running = admin.connect.get_offsets(NAME)["offsets"]
    finally:
        seen = watcher.stop()
    states = [s.state for s in seen if s.state != "UNASSIGNED"]  # before a worker takes it up
    assert states and states[0] == "STOPPED" and states[-1] == "RUNNING", states
    # Read back through Connect's offsets API: mining starts with the open transaction, both threads at N.
    assert offsets_when_running[0]["offset"] == {"scn": "776499", "commit_scn": "777000:1:,777000:2:"}
    assert result["startPosition"]["oldestOpen"]["startScn"] == 776500
    # Its first start runs in `recovery` (there is no schema history yet); the declared mode comes back later.
    assert admin.connect.get_config(NAME)["snapshot.mode"] == "recovery"
    # A start position is for the creation only: ensuring again leaves the offset alone, and while the first
    # start has not streamed the live mode stays `recovery`.
    admin.ensure(NAME, _config(local_stack), "running", timeout=60, allow_unreachable_database=True, start_scn=1)
    assert admin.connect.get_offsets(NAME)["offsets"][0]["offset"]["scn"] == "776499"
    assert admin.connect.get_config(NAME)["snapshot.mode"] == "recovery"

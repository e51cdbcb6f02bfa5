"""One controller at a time, against the real local Kafka + Connect + Debezium plugin and the real health runner
(its AWS side, the health table among it, in moto): the admin holds the connector for each change and writes the
declared connector before it, the health run neither restarts nor repairs while a hold is in force, and a hold
ends by itself.

The connector is the stage's, registered by the admin with its database unreachable (allowed): its task runs and
retries its start, which is all a state or config change needs.
"""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

from tests.integration.local_admin import local_admin, wait_until
from tests.integration.standin_health import local_health_clients
from tests.unit.aws_fixtures import Clock, fake_credentials, health_check_aws
from wms_connector import worker_env
from wms_connector.admin.control import Control
from wms_connector.admin.protocol import handle
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.health import config as c
from wms_connector.health import metric_names as m
from wms_connector.health.config import HealthConfig
from wms_connector.health.runner import HealthRun

pytestmark = pytest.mark.integration

REGION = "us-east-1"
CLUSTER = SERVICE = "wms-connector-holds-it"
TABLE = "wms-connector-holds-it-health"
T0 = 1_800_000_000.0
PULUMI = "pulumi stack it"


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def aws(monkeypatch, local_stack):
    fake_credentials(monkeypatch, REGION)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    db = local_stack.settings.database_env
    db_info = {"host": db[worker_env.DB_HOST], "port": db[worker_env.DB_PORT], "user": db[worker_env.DB_USER],
               "password": db[worker_env.DB_PASSWORD]}
    with mock_aws():
        yield health_check_aws(CLUSTER, SERVICE, TABLE, "wms/holds-it/dbInfo", db_info)


@pytest.fixture
def admin(local_stack, aws, clock):
    """The admin as the Lambda builds it, with the stage's health table: it holds and declares."""
    admin = local_admin(local_stack)
    admin.control = Control(aws["table"], local_stack.stage.name, local_stack.topics.connector_name, clock)
    yield admin
    name = local_stack.topics.connector_name
    admin.control = None
    admin.connect.delete(name)
    wait_until(lambda: admin.connect.get_config(name) is None, f"connector {name} leaving Connect")


def _config(local_stack, **options) -> dict[str, str]:
    kafka = KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    return build_connector_config(local_stack.stage, ConnectorOptions.from_config(options), kafka)


def _ensure(admin, local_stack, config, state="running", holder=PULUMI) -> dict:
    return handle(admin, {"action": "ensure", "name": local_stack.topics.connector_name, "config": config,
                          "state": state, "timeout_seconds": 60, "allow_unreachable_database": True,
                          "holder": holder, "command": "pulumi up (update)"})


def _run(local_stack, aws, clock) -> dict:
    config = HealthConfig.from_env({
        c.STAGE: local_stack.stage.name, c.CONNECT_URL: local_stack.connect_url, c.ECS_CLUSTER: CLUSTER,
        c.ECS_SERVICE: SERVICE, c.STATE_TABLE: TABLE, c.DB_SECRET_ARN: aws["secret_arn"],
        c.BOOTSTRAP_SERVERS: local_stack.bootstrap_servers, c.SECURITY_PROTOCOL: "PLAINTEXT",
    })
    return HealthRun(config, local_health_clients(config, aws, clock)).run()


def _state(admin, local_stack) -> str:
    return admin.connect.status(local_stack.topics.connector_name).state


class _Before:
    """Runs `hook` once, just before the admin's registrar writes a config (the moment the connector changes)."""

    def __init__(self, admin, hook):
        self.made, self.hook, self.seen = admin._registrar, hook, []
        admin._registrar = self

    def __call__(self):
        registrar, hook, seen = self.made(), self.hook, self.seen

        class Hooked:
            connect = registrar.connect

            def check(self, config, name=None):
                return registrar.check(config, name)

            def validate(self, config):
                return registrar.validate(config)

            def register(self, *args, **kwargs):
                if not seen:
                    seen.append(hook())
                return registrar.register(*args, **kwargs)

        return Hooked()


def test_a_health_run_during_a_config_changing_update_does_not_revert_it(local_stack, admin, aws, clock):
    name = local_stack.topics.connector_name
    assert _ensure(admin, local_stack, _config(local_stack))["ok"]
    changed = _config(local_stack, heartbeatIntervalMs=15000)
    hooked = _Before(admin, lambda: _run(local_stack, aws, clock))
    assert _ensure(admin, local_stack, changed)["ok"]
    (during,) = hooked.seen
    # The run saw the new declaration already written and the connector held by `pulumi up`: nothing put back.
    assert during["hold"]["holder"] == PULUMI and during["reconcile"]["repaired"] == []
    assert during["metrics"][m.CONNECTOR_HELD] == 1
    assert admin.connect.get_config(name)["heartbeat.interval.ms"] == "15000"
    after = _run(local_stack, aws, clock)
    assert after["hold"] is None and after["reconcile"]["drift"] is None
    assert admin.connect.get_config(name)["heartbeat.interval.ms"] == "15000"


def test_a_failed_update_leaves_declared_and_live_agreeing(local_stack, admin, aws, clock):
    name = local_stack.topics.connector_name
    assert _ensure(admin, local_stack, _config(local_stack))["ok"]
    # A config the rule lets through and Connect refuses (its own INT check), so the declaration was written first.
    refused = _ensure(admin, local_stack, {**_config(local_stack), "errors.max.retries": "not-a-number"})
    assert refused["error"]["type"] == "ConfigInvalid"
    assert admin.control.declared().config == _config(local_stack)  # the previous declaration is back
    after = _run(local_stack, aws, clock)
    assert after["reconcile"]["drift"] is None and after["reconcile"]["repaired"] == []
    assert admin.connect.get_config(name)["errors.max.retries"] == "-1"


def test_a_run_between_start_froms_stop_and_its_offset_write_leaves_the_connector_stopped(
        local_stack, admin, aws, clock):
    name = local_stack.topics.connector_name
    assert _ensure(admin, local_stack, _config(local_stack))["ok"]
    seen = []
    write = admin._write_position

    def run_first(*args, **kwargs):
        seen.append((_run(local_stack, aws, clock), _state(admin, local_stack)))
        return write(*args, **kwargs)

    admin._write_position = run_first
    answer = handle(admin, {"action": "start_from", "name": name, "scn": 48213377, "timeout_seconds": 60,
                            "accept_unknown_open_transactions": True, "holder": "oncall@laptop",
                            "command": "ops start-from"})
    assert answer["ok"], answer
    ((during, state),) = seen
    assert state == "STOPPED" and during["hold"]["holder"] == "oncall@laptop"
    assert during["reconcile"]["drift"]["state"] == {"live": "STOPPED", "declared": "RUNNING"}
    assert during["reconcile"]["repaired"] == [] and during["restart"]["heldBack"] == "held by oncall@laptop"
    assert admin.connect.get_offsets(name)["offsets"][0]["offset"]["scn"] == "48213376"
    assert admin.control.holds.current() is None  # given back when it ended


def test_a_held_pause_survives_runs_and_is_repaired_after_it_expires(local_stack, admin, aws, clock):
    name = local_stack.topics.connector_name
    assert _ensure(admin, local_stack, _config(local_stack))["ok"]
    paused = handle(admin, {"action": "set_state", "name": name, "state": "paused", "timeout_seconds": 60,
                            "require_tasks": False, "holder": "alice@laptop", "command": "ops pause",
                            "hold": {"seconds": 1800, "reason": "DBA resizing redo"}})
    assert paused["ok"] and paused["result"]["hold"]["reason"] == "DBA resizing redo"
    for _ in range(3):
        clock.now += 300
        run = _run(local_stack, aws, clock)
        assert run["hold"]["holder"] == "alice@laptop" and run["reconcile"]["repaired"] == []
        assert run["metrics"][m.CONNECTOR_HELD] == 1 and m.CONNECTOR_NOT_RUNNING not in run["problems"]
        assert _state(admin, local_stack) == "PAUSED"
    # pulumi up while it is held is refused with the hold's words, and changes nothing.
    refused = _ensure(admin, local_stack, _config(local_stack, heartbeatIntervalMs=15000))
    assert refused["error"]["type"] == "Refused"
    assert "held by alice@laptop (ops pause --hold) until" in refused["error"]["message"]
    assert "DBA resizing redo" in refused["error"]["message"]
    assert admin.control.declared().config == _config(local_stack)
    clock.now += 900  # 30 minutes after it was taken: the hold has ended by itself
    run = _run(local_stack, aws, clock)
    assert run["hold"] is None and run["reconcile"]["repaired"] == ["set_state"]
    wait_until(lambda: _state(admin, local_stack) == "RUNNING", "the declared state back", timeout=60)


def test_a_released_hold_frees_repairs_and_the_holders_resume_ends_its_own(local_stack, admin, aws, clock):
    name = local_stack.topics.connector_name
    assert _ensure(admin, local_stack, _config(local_stack))["ok"]
    stop = {"action": "set_state", "name": name, "state": "stopped", "timeout_seconds": 60, "require_tasks": False,
            "holder": "alice@laptop", "command": "ops stop", "hold": {"seconds": 3600, "reason": "maintenance"}}
    assert handle(admin, stop)["ok"]
    released = handle(admin, {"action": "release"})["result"]["released"]
    assert released["holder"] == "alice@laptop" and released["reason"] == "maintenance"
    run = _run(local_stack, aws, clock)
    assert run["hold"] is None and run["reconcile"]["repaired"] == ["set_state"]
    wait_until(lambda: _state(admin, local_stack) == "RUNNING", "the declared state back", timeout=60)
    # A holder's own resume ends its standing hold; someone else's resume is refused while it is in force.
    assert handle(admin, {**stop, "state": "paused"})["ok"]
    other = handle(admin, {"action": "set_state", "name": name, "state": "running", "timeout_seconds": 60,
                           "require_tasks": False, "holder": "bob@desk", "command": "ops resume"})
    assert other["error"]["type"] == "Refused" and "held by alice@laptop" in other["error"]["message"]
    mine = handle(admin, {"action": "set_state", "name": name, "state": "running", "timeout_seconds": 60,
                          "require_tasks": False, "holder": "alice@laptop", "command": "ops resume"})
    assert mine["ok"] and admin.control.holds.current() is None


def test_a_hold_whose_holder_died_ends_by_itself(local_stack, admin, aws, clock):
    name = local_stack.topics.connector_name
    assert _ensure(admin, local_stack, _config(local_stack))["ok"]
    # A holder that took the hold for a 120 s action, paused the connector and died before giving it back.
    admin.control.holds.acquire("a-lambda", "pulumi up (update)", "pulumi up (update)", 120 + 60)
    admin.connect.pause(name)
    wait_until(lambda: _state(admin, local_stack) == "PAUSED", "paused", timeout=60)
    assert _run(local_stack, aws, clock)["reconcile"]["repaired"] == []
    clock.now += 181
    run = _run(local_stack, aws, clock)
    assert run["hold"] is None and run["reconcile"]["repaired"] == ["set_state"]
    wait_until(lambda: _state(admin, local_stack) == "RUNNING", "the declared state back", timeout=60)


def test_the_declaration_goes_before_the_connector_on_delete(local_stack, admin, aws, clock):
    name = local_stack.topics.connector_name
    assert _ensure(admin, local_stack, _config(local_stack))["ok"]
    assert admin.control.declared() is not None
    seen = []
    delete = type(admin.connect).delete

    def delete_after_looking(connect, connector):
        seen.append(admin.control.declared())
        return delete(connect, connector)

    admin.connect.delete = lambda connector: delete_after_looking(admin.connect, connector)
    try:
        assert handle(admin, {"action": "delete", "name": name, "holder": PULUMI, "command": "pulumi (delete)"})["ok"]
    finally:
        del admin.connect.delete  # the client's own again
    assert seen == [None]
    run = _run(local_stack, aws, clock)
    assert run["reconcile"]["declared"] is False and admin.connect.get_config(name) is None
    assert json.dumps(run).count("register") == 0

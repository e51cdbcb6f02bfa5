"""Read and write apart (wms_connector/admin/access.py): every action is one or the other, the read-only admin
refuses every change before anything is asked of Connect, the transports send reads to the read-only function, and
each request's audit line (wms_connector/admin/audit.py) says what changed without a value."""

from __future__ import annotations

import json

import pytest

from tests.unit.recording_connect import RecordingConnect
from tests.unit.stage_config import stage_config
from wms_connector.admin.access import READ_ACTIONS, WRITE_ACTIONS
from wms_connector.admin.audit import audit_line, config_digest
from wms_connector.admin.environment import AdminEnvironment
from wms_connector.admin.errors import AdminMisconfigured
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.protocol import _ACTIONS, handle
from wms_connector.connector.options import ConnectorOptions
from wms_connector.providers.transport import LambdaTransport, lambda_spec, transport_from_spec
from wms_connector.stages import Stage

SALT = "Audit-Salt-Distinct-0042"
STAGE = Stage.parse("feat-x")


def test_every_action_is_either_read_or_write():
    assert set(_ACTIONS) == READ_ACTIONS | WRITE_ACTIONS
    assert not READ_ACTIONS & WRITE_ACTIONS


@pytest.mark.parametrize("action", sorted(WRITE_ACTIONS))
def test_the_read_only_admin_refuses_every_change_before_connect(action):
    connect = RecordingConnect()
    admin = ConnectorAdmin(connect=connect, stage=STAGE)  # type: ignore[arg-type]
    response = handle(admin, {"action": action, "name": "wms-oracle-cdc", "config": stage_config()}, read_only=True)
    assert connect.calls == []
    assert response["ok"] is False and response["error"]["type"] == "Refused"
    assert f"`{action}` changes the connector" in response["error"]["message"]


@pytest.mark.parametrize("action", sorted(READ_ACTIONS))
def test_the_read_only_admin_serves_every_read(action):
    connect = RecordingConnect()
    admin = ConnectorAdmin(connect=connect, stage=STAGE)  # type: ignore[arg-type]
    response = handle(admin, {"action": action, "name": "wms-oracle-cdc"}, read_only=True)
    # It went on past the access check (to Connect, which this double refuses, or to its own checks).
    assert "read-only admin function" not in response["error"]["message"]


@pytest.mark.parametrize(("value", "read_only"), [(None, False), ("write", False), ("read", True)])
def test_the_access_variable(value, read_only):
    env = {"STAGE": "feat-x", "CONNECT_URL": "https://connect.example:443"}
    if value:
        env["ADMIN_ACCESS"] = value
    assert AdminEnvironment.from_env(env).read_only is read_only


def test_a_bad_access_variable_is_refused_naming_it():
    env = {"STAGE": "feat-x", "CONNECT_URL": "https://connect.example:443", "ADMIN_ACCESS": "root"}
    with pytest.raises(AdminMisconfigured, match="ADMIN_ACCESS: allowed read or write"):
        AdminEnvironment.from_env(env)


@pytest.mark.parametrize("action", sorted(READ_ACTIONS | WRITE_ACTIONS))
def test_the_lambda_transport_sends_each_action_to_its_function(action):
    spec = lambda_spec("wms-connector-feat-x-admin", "us-east-1", "wms-connector-feat-x-admin-read")
    transport = transport_from_spec(spec)
    assert isinstance(transport, LambdaTransport)
    expected = "wms-connector-feat-x-admin-read" if action in READ_ACTIONS else "wms-connector-feat-x-admin"
    assert transport.function_for({"action": action}) == expected
    # Without a read-only function (a stack from before it), everything goes to the full one.
    assert transport_from_spec(lambda_spec("f", "us-east-1")).function_for({"action": action}) == "f"


def test_a_change_is_logged_with_its_keys_and_digest_never_a_value():
    config = stage_config(options=ConnectorOptions(hash_columns=("WMS.PLAN_BASE_WVR_TBL.X",), hash_salt=SALT))
    request = {"action": "ensure", "name": "wms-oracle-cdc", "config": config, "state": "paused",
               "holder": "pulumi stack feat-x"}
    line = audit_line(request, {"ok": True, "result": {}}, stage="feat-x", read_only=False)
    assert line["action"] == "ensure" and line["connector"] == "wms-oracle-cdc" and line["function"] == "write"
    changed = line["changed"]
    assert changed["state"] == "paused" and changed["holder"] == "pulumi stack feat-x"
    assert changed["configSha256"] == config_digest(config) and len(changed["configKeys"]) == len(config)
    text = json.dumps(line)
    assert SALT not in text and "${env:" not in text and config["topic.prefix"] not in text


def test_a_read_is_logged_without_a_change_and_a_refusal_with_its_type():
    read = audit_line({"action": "status", "name": "wms-oracle-cdc"}, {"ok": True}, stage="feat-x", read_only=True)
    assert "changed" not in read and read["function"] == "read"
    refused = audit_line({"action": "delete", "name": "wms-oracle-cdc"},
                         {"ok": False, "error": {"type": "Refused"}}, stage="feat-x", read_only=True)
    assert refused["error"] == "Refused" and refused["changed"] == {}


def test_a_hostile_request_logs_bounded_text():
    line = audit_line({"action": "x" * 10_000, "name": "n" * 10_000, "scn": "s" * 10_000}, {"ok": False},
                      stage="feat-x", read_only=False)
    assert len(json.dumps(line)) < 1000

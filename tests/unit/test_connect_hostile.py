"""The Connect client, every admin action and the `ops` commands against a Connect that misbehaves (tests/unit/
hostile_connect.py): answers of the wrong shape, redirects, a body sent a byte at a time, no answer, a connection
closed mid-answer, a rebalance then success. Each ends in bounded time with an error that names the request, never
a false success, and a POST that may have reached Connect is never sent twice."""

from __future__ import annotations

import io
import time

import pytest

from devtools import ops
from tests.unit.hostile_connect import HostileConnect
from tests.unit.stage_config import stage_config
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.protocol import handle
from wms_connector.connect_client import ConnectClient, ConnectError, ConnectUnreachable
from wms_connector.stages import Stage

DEADLINE = 1.0
# Hang guards, not speed targets: a call the deadline does not bound is held by these servers for 30 s (a silent
# one) or for ever (a trickling one), so a bound of three times the legitimate time plus 5 s tells the two apart
# even on a loaded machine.
HANG_GUARD = DEADLINE * 3 + 5.0
# The admin actions and the ops commands wait for a state for up to their own timeout (2 s here), every Connect
# call inside bounded by the deadline.
STATE_WAIT = 2
ACTION_HANG_GUARD = (STATE_WAIT + DEADLINE) * 3 + 5.0
NAME = "wms-oracle-cdc"
CONFIG = stage_config()

WRONG_SHAPES = [[], None, "a string", 42, b"", {"unexpected": True}]

# Client calls, and the answers (beyond the wrong shapes) each may legitimately take.
CALLS = {
    "server_info": lambda c: c.server_info(),
    "plugins": lambda c: c.plugins(),
    "list_connectors": lambda c: c.list_connectors(),
    "validate": lambda c: c.validate("x.Connector", {"a": "b"}),
    "get_config": lambda c: c.get_config(NAME),
    "put_config": lambda c: c.put_config(NAME, {"a": "b"}),
    "status": lambda c: c.status(NAME),
    "get_offsets": lambda c: c.get_offsets(NAME),
}


def _client(url: str, **kwargs: object) -> ConnectClient:
    options = {"request_timeout": DEADLINE, "deadline": DEADLINE, "backoff_initial": 0.01, "backoff_max": 0.05}
    return ConnectClient(url, **{**options, **kwargs})


def _timed(call):
    started = time.monotonic()
    try:
        call()
    except ConnectError as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("body", WRONG_SHAPES, ids=repr)
def test_a_wrong_shape_is_an_error_naming_the_request_and_what_was_expected(call, body):
    if (body == {"unexpected": True} and call in ("server_info", "put_config")) or (
        body == [] and call in ("plugins", "list_connectors")
    ):
        pytest.skip("a valid answer there")
    with HostileConnect([("json", 200, body)]) as server:
        error, _ = _timed(lambda: CALLS[call](_client(server.url)))
    assert error is not None, f"{call} took {body!r} as an answer"
    assert "Kafka Connect GET" in error.message or "Kafka Connect PUT" in error.message
    assert "expected" in error.message or "not JSON" in error.message


def test_an_empty_200_on_a_read_is_not_an_absent_connector():
    with HostileConnect([("json", 200, b"")]) as server:
        with pytest.raises(ConnectError, match=r"GET /connectors/wms-oracle-cdc/config answered no body"):
            _client(server.url).get_config(NAME)
        with pytest.raises(ConnectError, match=r"GET /connectors/wms-oracle-cdc/status answered no body"):
            _client(server.url).status(NAME)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_success_and_is_not_followed(status):
    with HostileConnect([("redirect", status, "http://127.0.0.1:1/elsewhere")]) as server:
        error, _ = _timed(lambda: _client(server.url).restart(NAME))
    assert isinstance(error, ConnectError) and error.status == status
    assert "redirect" in error.message and f"POST /connectors/{NAME}/restart" in error.message
    assert server.posts == 1


@pytest.mark.parametrize("behaviour", [("trickle", 0.1), ("hang",)], ids=["trickle", "hang"])
@pytest.mark.parametrize("call", ["server_info", "status", "restart"])
def test_a_trickling_or_silent_server_cannot_hold_a_call_past_its_deadline(behaviour, call):
    calls = {**CALLS, "restart": lambda c: c.restart(NAME)}
    with HostileConnect([behaviour]) as server:
        error, elapsed = _timed(lambda: calls[call](_client(server.url)))
    assert isinstance(error, ConnectUnreachable), error
    assert elapsed < HANG_GUARD, f"hang guard: {call} held for {elapsed:.1f}s against a {DEADLINE}s deadline"
    assert "timed out" in error.message


@pytest.mark.parametrize("behaviour", [("close",), ("cut",)], ids=["closed", "cut mid-answer"])
def test_a_post_that_may_have_reached_connect_is_not_sent_again(behaviour):
    with HostileConnect([behaviour]) as server:
        error, elapsed = _timed(lambda: _client(server.url).restart(NAME))
    assert isinstance(error, ConnectUnreachable) and "may have reached Connect" in error.message
    assert server.posts == 1
    assert elapsed < HANG_GUARD, f"hang guard: the restart held for {elapsed:.1f}s against a {DEADLINE}s deadline"


@pytest.mark.parametrize("behaviour", [("close",), ("cut",)], ids=["closed", "cut mid-answer"])
def test_an_idempotent_read_is_retried_after_a_cut_answer(behaviour):
    with HostileConnect([behaviour, behaviour, ("json", 200, {"version": "3.9.2"})]) as server:
        assert _client(server.url, deadline=5.0).server_info() == {"version": "3.9.2"}
    assert server.methods["GET"] == 3


def test_a_post_refused_during_a_rebalance_is_asked_again():
    answer = {"name": NAME, "connector": {"state": "RESTARTING"}, "tasks": []}
    with HostileConnect([("json", 409, {"message": "rebalance"}), ("json", 202, answer)]) as server:
        _client(server.url).restart(NAME)
    assert server.posts == 2


def test_a_post_answered_5xx_is_not_repeated():
    with HostileConnect([("json", 500, {"message": "boom"}), ("json", 204, b"")]) as server:
        error, _ = _timed(lambda: _client(server.url).restart(NAME))
    assert error is not None and error.status == 500 and server.posts == 1


# -- every admin action ---------------------------------------------------------------------------------------

ACTIONS = [
    {"action": "server_info"},
    {"action": "validate", "config": CONFIG},
    {"action": "apply", "name": NAME, "config": CONFIG},
    {"action": "ensure", "name": NAME, "config": CONFIG, "timeout_seconds": STATE_WAIT},
    {"action": "set_state", "name": NAME, "state": "paused", "timeout_seconds": STATE_WAIT},
    {"action": "restart", "name": NAME},
    {"action": "status", "name": NAME},
    {"action": "read", "name": NAME},
    {"action": "offsets", "name": NAME},
    {"action": "reset_offsets", "name": NAME},
    {"action": "alter_offsets", "name": NAME, "scn": 5},
]


def _admin(url: str) -> ConnectorAdmin:
    return ConnectorAdmin(connect=_client(url), stage=Stage.parse("feat-x"), poll_interval=0.05)


@pytest.mark.parametrize("request_", ACTIONS, ids=lambda r: r["action"])
@pytest.mark.parametrize(
    "behaviour",
    [
        ("json", 200, []),
        ("json", 200, None),
        ("json", 200, "text"),
        ("redirect", 307, "/x"),
        ("trickle", 0.1),
        ("close",),
    ],
    ids=["list", "null", "string", "redirect", "trickle", "closed"],
)
def test_every_admin_action_ends_in_a_readable_error_in_bounded_time(request_, behaviour):
    with HostileConnect([behaviour]) as server:
        started = time.monotonic()
        response = handle(_admin(server.url), request_)
        elapsed = time.monotonic() - started
    assert response["ok"] is False, response
    assert response["error"]["type"] in ("ConnectError", "ConnectUnreachable"), response["error"]
    assert "Kafka Connect" in response["error"]["message"]
    assert elapsed < ACTION_HANG_GUARD, f"hang guard: {request_['action']} held for {elapsed:.1f}s"
    assert server.posts <= 1


# -- ops ------------------------------------------------------------------------------------------------------


def _ops(monkeypatch, url: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(ops, "DIRECT_CONNECT_DEADLINE_SECONDS", DEADLINE)
    out, err = io.StringIO(), io.StringIO()
    code = ops.main(["--stage", "feat-x", "--connect-url", url, "--timeout", str(STATE_WAIT), *argv], out=out,
                    err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", ["status", "restart", "pause", "resume", "stop", "offsets"])
@pytest.mark.parametrize(
    "behaviour",
    [("json", 200, []), ("redirect", 307, "/x"), ("hang",), ("close",)],
    ids=["list", "redirect", "hang", "closed"],
)
def test_ops_commands_fail_with_the_exit_code_the_verdict_says(monkeypatch, command, behaviour):
    with HostileConnect([behaviour]) as server:
        started = time.monotonic()
        code, out, err = _ops(monkeypatch, server.url, command)
        elapsed = time.monotonic() - started
    assert code == ops.UNHEALTHY, (out, err)
    assert "OK" not in out and "error (Connect" in err
    assert elapsed < ACTION_HANG_GUARD, f"hang guard: `ops {command}` held for {elapsed:.1f}s"
    assert server.posts <= 1


def test_credentials_in_a_connect_url_never_reach_an_error(monkeypatch):
    secret = "Url-Pa55-9d7e41"
    with HostileConnect([("hang",)]) as server:
        url = server.url.replace("http://", f"http://cdc-user:{secret}@")
        code, out, err = _ops(monkeypatch, url, "status")
        error, _ = _timed(lambda: _client(url).server_info())
    assert code == ops.UNHEALTHY
    assert secret not in out + err and secret not in str(error) and secret not in repr(error.url)
    assert "<redacted>@" in err

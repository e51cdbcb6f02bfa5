"""The on-call command line: parsing and its refusals, where requests go, what they ask, output and exit codes.

The admin Lambda cannot run here, so its answers come through botocore's Stubber on the real Lambda client (the
transport's own code path); the commands against a real Connect are in tests/integration/test_ops.py.
"""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.stub import Stubber

from components.admin_function import admin_function_name, admin_read_function_name
from devtools import ops
from devtools.local.settings import DEFAULT_LOG_DIR, PORTS
from devtools.ops import main, parse, requests_for, transport_for
from devtools.ops_output import OK, UNHEALTHY, USAGE, lag_verdict, render_lag, render_offsets, verdict
from tests.unit.lambda_stubs import fake_credentials, lambda_payload  # noqa: F401 (autouse fixture)
from wms_connector.admin.access import is_read_action
from wms_connector.admin.protocol import AdminCallFailed
from wms_connector.aws_names import aws_name
from wms_connector.connect_status import ConnectorStatus, short_trace
from wms_connector.providers.transport import DirectTransport, LambdaTransport
from wms_connector.stages import InvalidStageError, Stage

NAME = "wms-oracle-cdc"
HOLDER = "oncall@laptop"
TRACE = (
    "org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer.\n"
    "\tat io.debezium.pipeline.ErrorHandler.setProducerThrowable(ErrorHandler.java:67)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
    "Caused by: java.sql.SQLRecoverableException: IO Error: The Network Adapter could not establish the connection\n"
    "\tat oracle.jdbc.driver.T4CConnection.logon(T4CConnection.java:854)\n"
)


def _status(connector: str = "RUNNING", *tasks: str, trace: str | None = None) -> dict:
    """A status as the admin returns it: Connect's body through the client's own parser."""
    body = {
        "name": NAME,
        "connector": {"state": connector, "worker_id": "10.0.1.5:8083"},
        "tasks": [
            {"id": i, "state": s, "worker_id": "10.0.1.5:8083", **({"trace": trace} if s == "FAILED" else {})}
            for i, s in enumerate(tasks)
        ],
        "type": "source",
    }
    return ConnectorStatus.from_json(body).to_dict()


class Lambda:
    """The real boto3 Lambda client with stubbed answers; records what the command sent."""

    def __init__(self, stage: str = "main"):
        self.client = boto3.client("lambda", region_name="us-east-1")
        self.stubber = Stubber(self.client)
        self.function = admin_function_name(Stage.parse(stage))
        # Reads go to the read-only function (access.py): invoke rights on it alone let on-call read.
        self.read_function = admin_read_function_name(Stage.parse(stage))

    def answers(self, request: dict, response: dict, function_error: str | None = None) -> Lambda:
        answer = {"StatusCode": 200, "Payload": lambda_payload(response)}
        if function_error:
            answer["FunctionError"] = function_error
        expected = {
            "FunctionName": self.read_function if is_read_action(request.get("action")) else self.function,
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(request).encode(),
        }
        self.stubber.add_response("invoke", answer, expected)
        return self

    def run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with self.stubber:
            code = main(list(argv), environ={}, out=out, err=err, lambda_client=self.client)
            self.stubber.assert_no_pending_responses()
        return code, out.getvalue(), err.getvalue()


def _run(*argv: str) -> tuple[int, str, str]:
    return Lambda().run(*argv)  # no answers stubbed: any call to the Lambda fails the test


# -- parsing and its refusals ---------------------------------------------------------------------------------------


def test_a_bad_stage_is_a_usage_error_with_the_stage_models_message():
    code, out, err = _run("--stage", "Feat_X", "status")
    with pytest.raises(InvalidStageError) as expected:
        Stage.parse("Feat_X")
    assert code == USAGE and out == ""
    assert err.strip() == f"error: --stage: {expected.value}"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["status"], "--stage"),
        (["--stage", "main"], "command"),
        (["--stage", "main", "explode"], "invalid choice"),
        (["--stage", "main", "--local", "--connect-url", "http://x:8083", "status"], "not allowed with"),
        (["--stage", "main", "--local", "--region", "us-east-1", "status"], "--region selects the admin Lambda"),
        (["--stage", "main", "--jmx-url", "http://x:9404/metrics", "status"], "go with --connect-url only"),
        (["--stage", "main", "--connect-url", "ftp://x", "status"], "must start with http://"),
        (["--stage", "main", "--timeout", "0", "pause"], "--timeout must be seconds from 1 to 840"),
        (["--stage", "main", "offsets", "set", "--yes"], "needs --scn N"),
        (["--stage", "main", "offsets", "set", "--scn", "0", "--yes"], "a whole number from 1 to 9007199254740991"),
        (["--stage", "main", "offsets", "set", "--scn", "99999999999999999999999999999", "--yes"],
         "a whole number from 1 to 9007199254740991"),
        (["--stage", "main", "start-from", "--scn", str(2**53), "--yes"], "a whole number from 1 to 9007199254740991"),
        (["--stage", "main", "offsets", "show", "--scn", "5"], "--scn, --dry-run and --accept-unknown-open"),
        (["--stage", "main", "offsets", "show", "--dry-run"], "go with `offsets set` only"),
        (["--stage", "main", "pause", "--hold", "2h"], "`pause --hold` needs --reason"),
        (["--stage", "main", "stop", "--reason", "why"], "--reason goes with --hold"),
        (["--stage", "main", "pause", "--hold", "8d", "--reason", "x"], "not a duration from 1s to 168h"),
        (["--stage", "main", "pause", "--hold", "soon", "--reason", "x"], "not a duration"),
        (["--stage", "main", "offsets", "rewind"], "invalid choice"),
        (["--stage", "main", "snapshot", "--table", "WMS.OTHER_TBL"], "invalid choice"),
        (["--stage", "main", "snapshot", "--type", "full"], "invalid choice"),
    ],
)
def test_bad_command_lines_are_usage_errors_that_say_what_is_allowed(argv, says, capsys):
    code, out, err = _run(*argv)
    assert code == USAGE and out == ""
    assert says in err
    assert "Traceback" not in err + capsys.readouterr().err


@pytest.mark.parametrize("action", [["reset"], ["set", "--scn", "42"]])
def test_changing_offsets_without_yes_is_refused_before_anything_is_sent(action):
    code, out, err = _run("--stage", "main", "offsets", *action)
    assert code == UNHEALTHY and out == ""
    assert err.startswith(f"Refused: `offsets {action[0]}`") and "STOPPED" in err and "--yes" in err
    code, out, _ = _run("--stage", "main", "--json", "offsets", *action)
    assert code == UNHEALTHY and json.loads(out)["error"]["type"] == "Refused"


# -- where requests go and what they ask ------------------------------------------------------------------------------


def test_by_default_the_stages_admin_lambda_is_invoked_by_the_stacks_name_for_it():
    args, stage = parse(["--stage", "feat-x", "status"])
    transport = transport_for(args, stage, {"AWS_REGION": "us-west-2"})
    assert isinstance(transport, LambdaTransport)
    assert transport.function_name == aws_name(stage, "lambda", "admin") == "wms-connector-feat-x-admin"
    assert transport.region == "us-west-2"
    args, stage = parse(["--stage", "main", "--region", "eu-west-1", "status"])
    assert transport_for(args, stage, {"AWS_REGION": "us-west-2"}).region == "eu-west-1"
    assert transport_for(*parse(["--stage", "main", "status"]), {}).region == "us-east-1"


def test_local_uses_the_local_stacks_addresses_from_its_settings(tmp_path):
    environ = {PORTS[name].env_var: str(port) for name, port in
               {"broker": 19092, "connect": 18083, "jmx": 19404, "controller": 19093}.items()}
    environ["WMS_LOCAL_ENV_FILE"] = "/dev/null"
    environ["WMS_LOCAL_DATA_DIR"] = str(tmp_path)
    # `preflight` needs no running stack (only the database), so the addresses can be read without one.
    transport = transport_for(*parse(["--local", "preflight"]), environ)
    assert isinstance(transport, DirectTransport)
    assert transport.connect_url == "http://127.0.0.1:18083"
    assert transport.bootstrap_servers == "127.0.0.1:19092"
    assert transport.jmx_url == "http://127.0.0.1:19404/metrics"
    code, _, err = Lambda().run("--stage", "main", "--local", "status")
    assert code == USAGE and "whose stage is `local`" in err
    assert transport.worker_log == str(DEFAULT_LOG_DIR / "worker.log")  # for the causes a task's trace hides


def test_local_says_at_once_that_the_local_stack_is_not_running(tmp_path, monkeypatch):
    # "At once": no request reaches for a Connect that is not there (each would retry until its deadline).
    def no_request(transport, request):
        raise AssertionError(f"a request went to the local Connect: {request}")

    monkeypatch.setattr(DirectTransport, "invoke", no_request)
    environ = {"WMS_LOCAL_ENV_FILE": "/dev/null", "WMS_LOCAL_DATA_DIR": str(tmp_path)}
    out, err = io.StringIO(), io.StringIO()
    code = main(["--local", "status"], environ=environ, out=out, err=err)
    assert code == UNHEALTHY
    assert err.getvalue() == (
        f"error: The local stack is not running (no Connect worker from {tmp_path.resolve()}); start it with "
        "`make local`.\n"
    )


def test_stage_is_required_except_with_local():
    code, _, err = Lambda().run("status")
    assert code == USAGE and "--stage is required (except with --local" in err


def _requests(*argv: str) -> list[dict]:
    args, _ = parse(["--stage", "main", *argv])
    return requests_for(args, NAME)


@pytest.fixture(autouse=True)
def _holder(monkeypatch):
    """Who a hold names is the person at the machine; here, always the same one."""
    monkeypatch.setattr(ops, "holder", lambda: HOLDER)


def _held(request: dict, command: str) -> dict:
    """`request` as ops sends it when it changes the connector: held in the caller's name, the stage last."""
    held = {key: value for key, value in request.items() if key != "stage"} | {"holder": HOLDER, "command": command}
    return held | ({"stage": request["stage"]} if "stage" in request else {})


def test_each_command_asks_the_admin_for_the_right_action():
    assert _requests("restart")[0] == _held(
        {"action": "restart", "name": NAME, "include_tasks": True, "only_failed": True}, "ops restart")
    assert _requests("restart", "--all")[0]["only_failed"] is False
    # The verdict after a restart or a resume is taken on the settled state, never on a task still starting.
    settled = {"action": "settled_status", "name": NAME, "timeout_seconds": 30}
    assert _requests("--timeout", "30", "restart")[1] == settled
    for command, state in (("pause", "paused"), ("resume", "running"), ("stop", "stopped")):
        request, *after = _requests("--timeout", "30", command)
        assert request["action"] == "set_state" and request["state"] == state and request["timeout_seconds"] == 30
        assert (request["holder"], request["command"]) == (HOLDER, f"ops {command}") and "hold" not in request
        assert after == ([settled] if command == "resume" else [])
    held = _requests("pause", "--hold", "90m", "--reason", "DBA patching the redo logs")[0]
    assert held["hold"] == {"seconds": 5400, "reason": "DBA patching the redo logs"}
    assert _requests("stop", "--hold", "1d", "--reason", "r")[0]["hold"]["seconds"] == 86400
    assert _requests("release") == [{"action": "release"}]
    assert _requests("offsets") == [{"action": "offsets", "name": NAME}]
    assert _requests("offsets", "reset", "--yes") == [_held({"action": "reset_offsets", "name": NAME},
                                                            "ops offsets reset")]
    unchecked = {"dry_run": False, "accept_unknown_open_transactions": False}
    assert _requests("offsets", "set", "--scn", "77", "--yes") == [
        _held({"action": "alter_offsets", "name": NAME, "scn": 77, **unchecked}, "ops offsets set")]
    dry = _requests("offsets", "set", "--scn", "77", "--dry-run", "--accept-unknown-open-transactions")
    assert dry[0]["dry_run"] is True and dry[0]["accept_unknown_open_transactions"] is True
    # A dry run shows the offset only: no settled status after it.
    assert [r["action"] for r in _requests("start-from", "--scn", "77", "--dry-run")] == ["start_from"]
    assert [r["action"] for r in _requests("start-from", "--scn", "77", "--yes")] == ["start_from", "settled_status"]
    (signal,) = _requests("snapshot", "--table", "WMS.PLAN_BASE_WVR_TBL", "--table", "MMDL.PLAN_WVR_RVSN_TBL")
    assert signal == {
        "action": "signal_snapshot",
        "name": NAME,
        "tables": ["WMS.PLAN_BASE_WVR_TBL", "MMDL.PLAN_WVR_RVSN_TBL"],
        "snapshot_type": "blocking",
    }
    assert _requests("snapshot", "--type", "incremental")[0]["tables"] is None  # the admin takes every table


# -- output and exit codes ------------------------------------------------------------------------------------------


def _ok(result: object) -> dict:
    return {"ok": True, "result": result}


STATUS = {"action": "status", "name": NAME, "stage": "main"}


def test_status_healthy_exits_0_with_a_one_line_verdict():
    status = _status("RUNNING", "RUNNING")
    code, out, err = Lambda().answers(STATUS, _ok({"state": "running", "status": status})).run(
        "--stage", "main", "status"
    )
    assert code == OK and err == ""
    assert out.splitlines() == [
        f"connector {NAME} (stage main): RUNNING on 10.0.1.5:8083",
        "  task 0: RUNNING on 10.0.1.5:8083",
        "OK: connector and 1 task(s) RUNNING.",
    ]


def test_status_of_a_task_whose_start_debezium_retries_is_not_capturing_with_the_logged_cause():
    status = _status("RUNNING", "RUNNING")
    cause = ["Failed to start connector, will re-attempt during polling.",
             "org.apache.kafka.connect.errors.RetriableException: Failed to resolve Oracle database version",
             "Caused by: java.sql.SQLException: ORA-12541: Cannot connect. No listener at host db port 1521."]
    result = {"state": "running", "status": status, "not_started": ["0"], "causes": {"0": cause}}
    code, out, _ = Lambda().answers(STATUS, _ok(result)).run("--stage", "main", "status")
    assert code == UNHEALTHY
    lines = out.splitlines()
    assert lines[1:5] == ["  task 0: RUNNING on 10.0.1.5:8083", f"    cause (worker log): {cause[0]}",
                          f"      {cause[1]}", f"      {cause[2]}"]
    assert lines[-1].startswith("NOT CAPTURING: task 0 RUNNING, but Debezium has not started (no metrics)")


def test_status_with_a_failed_task_exits_1_and_shortens_the_trace():
    status = _status("RUNNING", "FAILED", trace=TRACE)
    code, out, _ = Lambda().answers(STATUS, _ok({"state": "running", "status": status})).run(
        "--stage", "main", "status"
    )
    assert code == UNHEALTHY
    trace_line = next(line for line in out.splitlines() if "trace:" in line)
    assert "ConnectException" in trace_line and "Caused by: java.sql.SQLRecoverableException" in trace_line
    assert "T4CConnection" not in trace_line and "(5 lines in full" in trace_line
    assert out.splitlines()[-1].startswith("UNHEALTHY: task 0 FAILED")


def test_json_output_is_the_admins_result_with_the_verdict_and_the_same_exit_code():
    status = _status("PAUSED", "PAUSED")
    code, out, _ = Lambda().answers(STATUS, _ok({"state": "paused", "status": status})).run(
        "--stage", "main", "--json", "status"
    )
    assert code == UNHEALTHY
    assert json.loads(out) == {
        "ok": False,
        "verdict": "NOT CAPTURING: the connector is PAUSED on purpose? `resume` when done.",
        "result": {"state": "paused", "status": status},
    }


def test_pause_that_reached_paused_exits_0():
    request = _held({"action": "set_state", "name": NAME, "state": "paused", "timeout_seconds": 120,
                     "require_tasks": False, "stage": "main"}, "ops pause")
    status = _status("PAUSED", "PAUSED")
    code, out, _ = Lambda().answers(request, _ok({"state": "paused", "status": status})).run(
        "--stage", "main", "pause"
    )
    assert code == OK and out.splitlines()[-1] == "OK: connector PAUSED, as asked; `resume` when done."
    assert out.splitlines()[-2] == ("note: unless the stack declares it paused (or repairDrift is off), the next "
                                    "health run puts the declared state back: `--hold 2h --reason …` keeps it.")


def test_pause_that_left_a_task_failed_exits_1_with_an_unhealthy_verdict():
    request = _held({"action": "set_state", "name": NAME, "state": "paused", "timeout_seconds": 120,
                     "require_tasks": False, "stage": "main"}, "ops pause")
    status = _status("PAUSED", "FAILED")
    code, out, _ = Lambda().answers(request, _ok({"state": "paused", "status": status})).run(
        "--stage", "main", "pause"
    )
    assert code == UNHEALTHY and out.splitlines()[-1] == "UNHEALTHY: PAUSED, but task 0 FAILED."
    # The warning is said on every path, not only when the verdict is OK.
    assert out.splitlines()[-2].startswith("note: unless the stack declares it paused")


def test_refusal_from_the_admin_exits_1_with_its_message_and_no_traceback():
    request = _held({"action": "reset_offsets", "name": NAME, "stage": "main"}, "ops offsets reset")
    refused = {"ok": False, "error": {"type": "Refused", "message": "Refusing to reset the offsets of connector "
                                      "`wms-oracle-cdc`: it is RUNNING.", "fields": {}}}
    code, out, err = Lambda().answers(request, refused).run("--stage", "main", "offsets", "reset", "--yes")
    assert code == UNHEALTHY and out == ""
    assert err == "error (Refused): Refusing to reset the offsets of connector `wms-oracle-cdc`: it is RUNNING.\n"


def test_unknown_connector_and_unreachable_connect_are_readable_errors():
    missing = {"ok": False, "error": {"type": "ConnectorNotFound", "message": "Connector `wms-oracle-cdc` does "
                                      "not exist on this Connect cluster.", "fields": {}}}
    code, _, err = Lambda().answers({"action": "offsets", "name": NAME, "stage": "main"}, missing).run(
        "--stage", "main", "offsets"
    )
    assert code == UNHEALTHY and err.startswith("error (ConnectorNotFound): Connector `wms-oracle-cdc` does not")
    down = {"ok": False, "error": {"type": "ConnectUnreachable", "message": "Kafka Connect at https://connect "
                                   "did not answer GET /", "fields": {}}}
    code, _, err = Lambda().answers(STATUS, down).run("--stage", "main", "status")
    assert code == UNHEALTHY and err.startswith("error (ConnectUnreachable): Kafka Connect at")


def test_a_crashed_lambda_is_a_readable_error():
    crash = {"errorType": "Runtime.ImportModuleError", "errorMessage": "No module named 'kafka'",
             "stackTrace": ["  File ..."]}
    code, _, err = Lambda().answers(STATUS, crash, function_error="Unhandled").run("--stage", "main", "status")
    assert code == UNHEALTHY
    assert "LambdaFunctionError" in err and "No module named 'kafka'" in err and "File ..." not in err


def test_a_bad_request_answer_is_a_usage_error():
    bad = {"ok": False, "error": {"type": "BadRequest", "message": "SCN 0 is not allowed", "fields": {}}}
    request = _held({"action": "alter_offsets", "name": NAME, "scn": 5, "stage": "main", "dry_run": False,
                     "accept_unknown_open_transactions": False}, "ops offsets set")
    code, _, err = Lambda().answers(request, bad).run("--stage", "main", "offsets", "set", "--scn", "5", "--yes")
    assert code == USAGE and "SCN 0 is not allowed" in err


# -- rendering -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "healthy", "starts"),
    [
        (None, False, "MISSING"),
        (_status("RUNNING", "RUNNING", "RUNNING"), True, "OK: connector and 2 task(s)"),
        (_status("FAILED"), False, "UNHEALTHY: the connector FAILED"),
        (_status("RUNNING", "RUNNING", "FAILED"), False, "UNHEALTHY: task 1 FAILED"),
        (_status("STOPPED"), False, "NOT CAPTURING: the connector is STOPPED"),
        (_status("RUNNING"), False, "NOT RUNNING: connector RUNNING, no tasks"),
        (_status("RUNNING", "UNASSIGNED"), False, "NOT RUNNING: connector RUNNING, task 0 UNASSIGNED"),
    ],
)
def test_verdicts(status, healthy, starts):
    ok, line = verdict(status, NAME)
    assert ok is healthy and line.startswith(starts)


def test_short_trace_keeps_the_exception_and_its_root_cause_within_width():
    shown = short_trace("x" * 500 + "\n\tat a.b\nCaused by: y", width=50)
    assert shown.startswith("x" * 47 + "...") and "Caused by: y" in shown
    assert short_trace(None) is None


def test_lag_lines_say_what_was_not_reported():
    lines = render_lag({"exporter": "http://10.0.1.5:9404/metrics", "state": "running", "connected": True,
                        "lag_ms": 1520.0, "ms_since_last_event": None, "snapshot_running": True,
                        "snapshot_tables_remaining": 2.0})
    assert "Connected                   : yes" in lines
    assert "MilliSecondsBehindSource    : 1,520 ms" in lines
    assert "MilliSecondsSinceLastEvent  : not reported" in lines
    assert "snapshot                    : running, 2 table(s) remaining" in lines


@pytest.mark.parametrize(
    ("lag", "healthy", "starts"),
    [
        ({"error": "could not scrape the JMX exporter: ConnectTimeoutError"}, False, "UNKNOWN: could not scrape"),
        ({"debezium_metrics_seen": False, "state": "running"}, False, "NOT CAPTURING: the worker exports no"),
        ({"debezium_metrics_seen": True, "connected": False}, False, "NOT CONNECTED"),
        ({"debezium_metrics_seen": True, "connected": True, "lag_ms": 250.0}, True, "OK: connected, 250 ms behind"),
    ],
)
def test_lag_verdicts(lag, healthy, starts):
    ok, line = lag_verdict(lag)
    assert ok is healthy and line.startswith(starts)


def test_offsets_lines():
    assert render_offsets({"offsets": []})[0].startswith("no source offsets")
    lines = render_offsets({"offsets": [{"partition": {"server": "aws.wms.cdc"}, "offset": {"scn": "9"}}]})
    assert lines == ["partition server=aws.wms.cdc", "  scn = 9"]


# -- the exit-code and JSON contract, every command over every outcome -------------------------------------------

RUNNING, FAILED, PAUSED, STOPPED = (_status("RUNNING", "RUNNING"), _status("RUNNING", "FAILED"),
                                    _status("PAUSED", "PAUSED"), _status("STOPPED"))
POSITION = {"partition": {"server": "wms.cdc"}, "offset": {"scn": "41", "commit_scn": "42:1:"}, "dryRun": False,
            "position": {"scn": 42, "known": True, "oldestOpen": None, "openTransactions": 0}, "warnings": []}
SIGNAL = {"id": "s1", "key": "wms.cdc", "topic": "wms-connector.main.signal", "partition": 0, "offset": 3}
LAG = {"state": "running", "tasks": {"0": "RUNNING"}, "exporter": "http://w:9404/metrics", "lag_ms": 5.0,
       "connected": True, "ms_since_last_event": 9.0, "snapshot_running": False, "debezium_metrics_seen": True}
HOLD = {"holder": "a@b", "reason": "r", "command": "ops pause --hold", "until": "2026-12-07T22:00:00Z",
        "minutesLeft": 60}


def _answers(**by_action):
    """An admin whose answer to each action is given (a result, or an AdminCallFailed to raise)."""
    def invoke(transport, request, client):
        answer = by_action[request["action"]]
        if isinstance(answer, Exception):
            raise answer
        return answer
    return invoke


def _status_result(status):
    return {"state": status["state"].lower(), "status": status}


CASES = [
    (["status"], {"status": _status_result(RUNNING)}),
    (["status"], {"status": _status_result(FAILED)}),
    (["status"], {"status": {"state": "absent", "status": None}}),
    (["lag"], {"lag": LAG}),
    (["lag"], {"lag": {**LAG, "tasks": {"0": "FAILED"}}}),
    (["lag"], {"lag": {**LAG, "debezium_metrics_seen": False}}),
    (["restart"], {"restart": {"restarting": [0], "since": None}, "settled_status": _status_result(RUNNING)}),
    (["restart"], {"restart": {"restarting": [0], "since": None}, "settled_status": _status_result(FAILED)}),
    (["pause"], {"set_state": _status_result(PAUSED)}),
    (["pause", "--hold", "1h", "--reason", "r"], {"set_state": {**_status_result(PAUSED), "hold": HOLD}}),
    (["stop"], {"set_state": _status_result(STOPPED)}),
    (["resume"], {"set_state": _status_result(RUNNING), "settled_status": _status_result(FAILED)}),
    (["release"], {"release": {"released": None}}),
    (["release"], {"release": {"released": HOLD}}),
    (["offsets"], {"offsets": {"offsets": []}}),
    (["offsets", "reset", "--yes"], {"reset_offsets": {}}),
    (["offsets", "set", "--scn", "42", "--yes"], {"alter_offsets": POSITION}),
    (["offsets", "set", "--scn", "42", "--dry-run"], {"alter_offsets": {**POSITION, "dryRun": True}}),
    (["start-from", "--scn", "42", "--yes"], {"start_from": POSITION, "settled_status": _status_result(RUNNING)}),
    (["snapshot"], {"signal_snapshot": {**SIGNAL, "state": "running"}}),
    (["snapshot"], {"signal_snapshot": {**SIGNAL, "state": "stopped"}}),
    (["status"], {"status": AdminCallFailed("ConnectUnreachable", "no answer")}),
    (["offsets", "set", "--scn", "42", "--yes"], {"alter_offsets": AdminCallFailed("Refused", "held by a@b")}),
    (["offsets", "reset"], {}),  # refused for want of --yes
    (["--local", "status"], {}),  # not running (no local stack here)
    (["offsets", "set"], {}),  # usage
]


@pytest.mark.parametrize(("argv", "answers"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_commands_exit_code_is_its_verdicts_and_json_is_always_one_object(monkeypatch, argv, answers, tmp_path):
    monkeypatch.setattr(ops, "_invoke", _answers(**answers))
    environ = {"WMS_LOCAL_DATA_DIR": str(tmp_path)}
    stage = ["--stage", "local"] if argv[0] == "--local" else ["--stage", "main"]
    out, err = io.StringIO(), io.StringIO()
    code = main([*stage, *argv], environ=environ, out=out, err=err)
    lines = out.getvalue().splitlines()
    # The verdict printed last starts with OK exactly when the exit code is 0.
    assert (code == OK) == bool(lines and lines[-1].startswith("OK")), (code, lines, err.getvalue())
    # With --json (before or after the command), stdout is one JSON object whose `ok` is the exit code's.
    out, err = io.StringIO(), io.StringIO()
    assert main([*stage, *argv, "--json"], environ=environ, out=out, err=err) == code
    answer = json.loads(out.getvalue())
    assert isinstance(answer, dict) and answer["ok"] == (code == OK), out.getvalue()


def test_global_flags_go_before_or_after_the_command(monkeypatch):
    seen = []
    monkeypatch.setattr(ops, "_invoke", lambda transport, request, client: seen.append(request) or
                        _status_result(RUNNING))
    for argv in (["--stage", "main", "--timeout", "30", "status"], ["status", "--stage", "main", "--timeout", "30"],
                 ["--stage", "main", "status", "--timeout", "30"]):
        args, _ = parse(argv)
        assert (args.stage, args.timeout, args.command) == ("main", 30, "status")
    args, _ = parse(["--stage", "main", "--timeout", "30", "status"])
    assert args.timeout == 30  # a flag before the command is not reset by the command's own defaults
    with pytest.raises(ops.UsageError, match="not allowed with argument --local"):
        parse(["--stage", "local", "--local", "status", "--connect-url", "http://x:8083"])


@pytest.mark.parametrize(("stage", "meant"), [("prod", "production"), ("prd", "production"), ("mian", "main"),
                                              ("val1", "val"), ("feat-x", None), ("production-test", None)])
def test_a_stage_one_slip_from_a_named_one_gets_a_hint_before_any_call(monkeypatch, stage, meant):
    calls = []
    monkeypatch.setattr(ops, "_invoke", lambda *a: calls.append(a) or _status_result(RUNNING))
    err = io.StringIO()
    main(["--stage", stage, "status"], environ={}, out=io.StringIO(), err=err)
    first = err.getvalue().splitlines()[0] if err.getvalue() else ""
    assert (f"did you mean `--stage {meant}`?" in first) if meant else first == "", err.getvalue()


def test_wms_ops_is_a_command_of_the_projects_own_environment(tmp_path):
    """Installed by `make setup`: it runs whatever Python is first on PATH and wherever it is started."""
    import subprocess
    import sys
    from pathlib import Path

    command = Path(sys.executable).parent / "wms-ops"
    assert command.is_file()
    result = subprocess.run([str(command), "--stage", "feat-x", "offsets", "set"], cwd=tmp_path, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60, check=False)
    assert result.returncode == USAGE and "needs --scn N" in result.stderr, result.stderr


def test_ops_local_status_needs_no_database_settings(tmp_path):
    """A malformed local.env stands in the way of the preflight only, which reads it."""
    env_file = tmp_path / "local.env"
    env_file.write_text("DB_HOST\n")
    environ = {"WMS_LOCAL_DATA_DIR": str(tmp_path / "data"), "WMS_LOCAL_ENV_FILE": str(env_file)}
    err = io.StringIO()
    assert main(["--stage", "local", "--local", "status"], environ=environ, out=io.StringIO(), err=err) == UNHEALTHY
    assert "not running" in err.getvalue() and "local.env" not in err.getvalue()
    err = io.StringIO()
    assert main(["--stage", "local", "--local", "preflight"], environ=environ, out=io.StringIO(), err=err) == USAGE
    assert "local.env:1: expected KEY=VALUE" in err.getvalue()

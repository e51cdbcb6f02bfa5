"""The admin Lambda transport's request/response handling.

Lambda functions cannot execute here (moto needs Docker to run them), so the Lambda API's answers are given by
botocore's Stubber — success, admin errors, FunctionError (crash, timeout), API errors — and a client-side read
timeout comes from a real slow HTTP server standing in as the Lambda endpoint.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tests.unit.lambda_stubs import fake_credentials, lambda_payload  # noqa: F401 (autouse fixture)
from wms_connector.admin.protocol import AdminCallFailed
from wms_connector.providers import debezium_connector, topic_cleanup
from wms_connector.providers.debezium_connector import ConnectorProviderError, DebeziumConnectorProvider
from wms_connector.providers.topic_cleanup import StageTopicCleanupProvider, TopicCleanupError
from wms_connector.providers.transport import (
    LambdaTransport,
    TransportSpecError,
    lambda_spec,
    transport_from_spec,
    transport_problems,
)

FUNCTION = "wms-connector-feat-x-admin"


def _stubbed(*answers: dict) -> tuple[object, Stubber]:
    client = boto3.client("lambda", region_name="us-east-1")
    stubber = Stubber(client)
    for answer in answers:
        if "error" in answer:
            stubber.add_client_error("invoke", **answer["error"])
        else:
            stubber.add_response(
                "invoke", answer, {"FunctionName": FUNCTION, "InvocationType": "RequestResponse", "Payload": ANY}
            )
    stubber.activate()
    return client, stubber


TRANSPORT = LambdaTransport(FUNCTION, "us-east-1")


def test_success_returns_the_result_and_sends_the_request():
    answer = {"StatusCode": 200, "Payload": lambda_payload({"ok": True, "result": {"state": "running"}})}
    client, stubber = _stubbed(answer)
    assert TRANSPORT.invoke({"action": "status", "name": "c"}, client=client) == {"state": "running"}
    stubber.assert_no_pending_responses()


def test_admin_error_payload_becomes_a_readable_failure_with_fields():
    error = {
        "type": "ConfigInvalid",
        "message": "Connector `c` config is invalid (1 error(s))",
        "fields": {"log.mining.strategy": ["Invalid value bogus"]},
    }
    client, _ = _stubbed({"StatusCode": 200, "Payload": lambda_payload({"ok": False, "error": error})})
    with pytest.raises(AdminCallFailed) as caught:
        TRANSPORT.invoke({"action": "apply"}, client=client)
    assert caught.value.kind == "ConfigInvalid"
    assert caught.value.fields == {"log.mining.strategy": ["Invalid value bogus"]}


def test_unhandled_function_error_shows_type_and_message_not_the_stack_trace():
    crash = {
        "errorMessage": "No module named 'kafka'",
        "errorType": "Runtime.ImportModuleError",
        "stackTrace": ['  File "/var/task/functions/connector_admin.py", line 9, in <module>\n'],
    }
    client, _ = _stubbed({"StatusCode": 200, "FunctionError": "Unhandled", "Payload": lambda_payload(crash)})
    with pytest.raises(AdminCallFailed) as caught:
        TRANSPORT.invoke({"action": "status"}, client=client)
    message = str(caught.value)
    assert caught.value.kind == "LambdaFunctionError"
    assert "Runtime.ImportModuleError" in message and "No module named 'kafka'" in message
    assert "/var/task" not in message and "line 9" not in message


def test_function_timeout_is_reported_as_a_timeout():
    timed_out = {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: 1 Error: Task timed out after 900.00 seconds",
    }
    client, _ = _stubbed({"StatusCode": 200, "FunctionError": "Unhandled", "Payload": lambda_payload(timed_out)})
    with pytest.raises(AdminCallFailed) as caught:
        TRANSPORT.invoke({"action": "ensure"}, client=client)
    assert caught.value.kind == "LambdaTimeout" and "timed out after 900.00 seconds" in str(caught.value)


def test_missing_function_is_a_readable_api_error():
    client, _ = _stubbed(
        {
            "error": {
                "service_error_code": "ResourceNotFoundException",
                "service_message": f"Function not found: {FUNCTION}",
                "http_status_code": 404,
            }
        }
    )
    with pytest.raises(AdminCallFailed) as caught:
        TRANSPORT.invoke({"action": "status"}, client=client)
    assert caught.value.kind == "LambdaResourceNotFoundException"
    assert f"Function not found: {FUNCTION}" in str(caught.value)


def test_non_protocol_payload_is_reported():
    client, _ = _stubbed({"StatusCode": 200, "Payload": lambda_payload(["unexpected"])})
    with pytest.raises(AdminCallFailed, match="unexpected"):
        TRANSPORT.invoke({"action": "status"}, client=client)


class _SlowLambdaEndpoint:
    """Accepts the Invoke call and answers too late."""

    def __init__(self, delay: float):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b'{"ok": true, "result": null}')
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_client_side_read_timeout_is_reported_as_a_timeout():
    with _SlowLambdaEndpoint(delay=2.0) as endpoint:
        transport = LambdaTransport(FUNCTION, "us-east-1", timeout_seconds=0.5, endpoint_url=endpoint.url)
        with pytest.raises(AdminCallFailed) as caught:
            transport.invoke({"action": "ensure"})
    assert caught.value.kind == "LambdaTimeout"
    assert FUNCTION in str(caught.value) and "'ensure'" in str(caught.value)


# -- the providers over the Lambda transport ---------------------------------------------------------------------


def _provider_props() -> dict:
    return {
        "name": "wms-oracle-cdc",
        "stage": "feat-x",
        "config": {"name": "wms-oracle-cdc", "connector.class": "io.debezium.connector.oracle.OracleConnector"},
        "state": "running",
        "allowUnreachableDatabase": False,
        "timeoutSeconds": 120,
        "transport": lambda_spec(FUNCTION, "us-east-1"),
    }


def test_provider_create_shows_lambda_field_errors_readably(monkeypatch):
    error = {
        "type": "ConfigInvalid",
        "message": "Connector `wms-oracle-cdc` config is invalid (1 error(s)):\n"
        "  database.hostname: Unable to connect: IO Error",
        "fields": {"database.hostname": ["Unable to connect"]},
    }
    client, _ = _stubbed({"StatusCode": 200, "Payload": lambda_payload({"ok": False, "error": error})})
    monkeypatch.setattr(LambdaTransport, "_client", lambda self: client)
    with pytest.raises(ConnectorProviderError) as caught:
        DebeziumConnectorProvider().create(_provider_props())
    message = str(caught.value)
    assert message.startswith("Connector `wms-oracle-cdc`: ensure failed (ConfigInvalid)")
    assert "database.hostname: Unable to connect" in message


def test_provider_uses_the_state_timeout_plus_margin_for_the_lambda_call(monkeypatch):
    seen = {}

    def fake_client(self):
        seen["timeout"] = self.timeout_seconds
        client, _ = _stubbed({"StatusCode": 200, "Payload": lambda_payload({"ok": True, "result": {"deleted": False}})})
        return client

    monkeypatch.setattr(LambdaTransport, "_client", fake_client)
    DebeziumConnectorProvider().delete("wms-oracle-cdc", _provider_props())
    assert seen["timeout"] == 120 + 60


def test_topic_cleanup_reports_partial_failure(monkeypatch, capsys):
    report = {
        "stage": "feat-x",
        "deleted": ["feat-x.aws.wms.cdc"],
        "already_absent": [],
        "failed": {"feat-x.mgmt.connect.wms-connector-feat-x.offsets": "TOPIC_AUTHORIZATION_FAILED"},
    }
    client, _ = _stubbed({"StatusCode": 200, "Payload": lambda_payload({"ok": True, "result": report})})
    monkeypatch.setattr(LambdaTransport, "_client", lambda self: client)
    props = {"stage": "feat-x", "transport": lambda_spec(FUNCTION, "us-east-1")}
    with pytest.raises(TopicCleanupError, match="could not delete: feat-x.mgmt.connect.wms-connector-feat-x.offsets"):
        StageTopicCleanupProvider().delete("topic-cleanup-feat-x", props)


def test_topic_cleanup_reports_what_it_deleted(monkeypatch, capsys):
    report = {"stage": "feat-x", "deleted": ["feat-x.aws.wms.cdc"], "already_absent": [], "failed": {}}
    client, _ = _stubbed({"StatusCode": 200, "Payload": lambda_payload({"ok": True, "result": report})})
    monkeypatch.setattr(LambdaTransport, "_client", lambda self: client)
    StageTopicCleanupProvider().delete(
        "topic-cleanup-feat-x", {"stage": "feat-x", "transport": lambda_spec(FUNCTION, "us-east-1")}
    )
    # Outside the project's provider host the report goes to stderr (inside, to the engine, on the resource).
    assert capsys.readouterr().err.strip() == "Topic cleanup of stage `feat-x` deleted 1 topic(s): feat-x.aws.wms.cdc"


@pytest.mark.parametrize(
    ("spec", "prop"),
    [
        (None, "transport"),
        ({"kind": "ftp"}, "transport.kind"),
        ({"kind": "lambda", "functionName": "bad name", "region": "us-east-1"}, "transport.functionName"),
        ({"kind": "lambda", "functionName": FUNCTION, "region": "mars"}, "transport.region"),
        ({"kind": "direct", "connectUrl": "localhost:8083", "stage": "feat-x"}, "transport.connectUrl"),
        ({"kind": "direct", "connectUrl": "http://x", "stage": "Feat"}, "transport.stage"),
    ],
)
def test_bad_transport_specs_name_the_property(spec, prop):
    assert prop in [p for p, _ in transport_problems(spec)]
    with pytest.raises(TransportSpecError, match=prop.replace(".", r"\.")):
        transport_from_spec(spec)


def test_providers_capture_no_client():
    # Stateless providers: dill pickles them by reference, so nothing (no boto3 client) is frozen into state.
    assert vars(DebeziumConnectorProvider()) == {} and vars(StageTopicCleanupProvider()) == {}
    assert debezium_connector.DebeziumConnectorProvider.__module__ == "wms_connector.providers.debezium_connector"
    assert topic_cleanup.StageTopicCleanupProvider.__module__ == "wms_connector.providers.topic_cleanup"


@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        ({"config": {"name": "wms-oracle-cdc", "connector.class": "x", "heartbeat.interval.ms": "1"}}, []),
        ({"state": "paused"}, []),
        ({"allowUnreachableDatabase": True}, []),
        ({"transport": lambda_spec("another-function", "us-east-1")}, []),
        ({"name": "another-connector"}, ["name"]),
        ({"stage": "feat-y"}, ["stage"]),
    ],
)
def test_diff_updates_in_place_and_replaces_only_for_another_connector(change, replaces):
    olds = {**_provider_props(), "connectorState": "running", "tasks": [{"id": 0, "state": "RUNNING"}]}
    diff = DebeziumConnectorProvider().diff("wms-oracle-cdc", olds, {**_provider_props(), **change})
    assert diff.changes is True and diff.replaces == replaces
    # Two connectors with one topic.prefix must never run at once: the old one goes first.
    assert diff.delete_before_replace is True


def test_diff_sees_no_change_and_drift_after_a_refresh():
    olds = {**_provider_props(), "connectorState": "running", "tasks": []}
    assert DebeziumConnectorProvider().diff("wms-oracle-cdc", olds, _provider_props()).changes is False
    for live in ("paused", "failed", "stopped"):  # what `read` found on the live cluster
        diff = DebeziumConnectorProvider().diff("wms-oracle-cdc", {**olds, "connectorState": live}, _provider_props())
        assert diff.changes is True and diff.replaces == []

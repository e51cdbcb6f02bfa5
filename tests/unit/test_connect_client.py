"""The Connect REST client against a small real HTTP(S) server on 127.0.0.1 that answers from a script."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.unit.stepped_time import SteppedTime
from wms_connector import connect_client
from wms_connector.connect_client import ConnectClient, ConnectError, ConnectUnreachable, backoff_delay


class ScriptedServer:
    """Answers each request with the next scripted (status, body, delay); the last entry repeats."""

    def __init__(self, script: list[tuple[int, object, float]], tls: ssl.SSLContext | None = None):
        self.script = list(script)
        self.requests: list[tuple[str, str, object]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, json.loads(raw) if raw else None))
                status, body, delay = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                if delay:
                    time.sleep(delay)
                data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _answer

            def log_message(self, *args: object) -> None:
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that time out on purpose hang up mid-answer

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def fast_client(url: str, **kwargs: object) -> ConnectClient:
    options = {"request_timeout": 2.0, "deadline": 5.0, "backoff_initial": 0.01, "backoff_max": 0.05}
    options.update(kwargs)
    return ConnectClient(url, **options)


# Connect 4.3.2's answer to a restart of the connector and its tasks: 202 with the status, the parts it restarts
# marked RESTARTING (ConnectorsResource.restartConnector).
RESTART_ANSWER = {
    "name": "a/b", "connector": {"state": "RESTARTING", "worker_id": "w:8083"},
    "tasks": [{"id": 0, "state": "RESTARTING", "worker_id": "w:8083"}], "type": "source",
}


def test_retries_409_rebalance_until_success():
    script = [(409, {"error_code": 409, "message": "rebalance"}, 0)] * 2 + [(200, {"version": "3.9.1"}, 0)]
    with ScriptedServer(script) as server:
        assert fast_client(server.url).server_info() == {"version": "3.9.1"}
    assert len(server.requests) == 3


def test_retries_5xx_until_success():
    with ScriptedServer([(500, {"message": "boom"}, 0), (503, None, 0), (200, ["a", "b"], 0)]) as server:
        assert fast_client(server.url).list_connectors() == ["a", "b"]
    assert len(server.requests) == 3


def test_client_error_fails_at_once_with_connect_message():
    body = {"error_code": 400, "message": "Connector configuration is invalid"}
    with ScriptedServer([(400, body, 0), (200, {}, 0)]) as server, pytest.raises(ConnectError) as caught:
        fast_client(server.url).put_config("c", {"a": "b"})
    assert caught.value.status == 400
    assert "Connector configuration is invalid" in str(caught.value)
    assert len(server.requests) == 1


def test_persistent_rebalance_gives_up_at_deadline_with_last_error(monkeypatch):
    clock = SteppedTime()
    monkeypatch.setattr(connect_client, "time", clock)
    # A fixed 0.25 s backoff against a 1 s deadline: asks at 0, 0.25, 0.5 and 0.75 s; a fifth ask would start at
    # the deadline, so the call gives up after four.
    monkeypatch.setattr(connect_client, "backoff_delay", lambda attempt, initial, maximum: 0.25)
    with ScriptedServer([(409, {"message": "still rebalancing"}, 0)]) as server:
        client = fast_client(server.url, deadline=1.0)
        with pytest.raises(ConnectError) as caught:
            client.server_info()
    assert not isinstance(caught.value, ConnectUnreachable)
    assert caught.value.status == 409
    assert "still rebalancing" in str(caught.value) and "gave up after 4 attempt(s)" in str(caught.value)
    assert len(server.requests) == 4
    assert clock.slept == [0.25, 0.25, 0.25]


def _free_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_connection_is_unreachable_naming_url_and_duration():
    url = f"http://127.0.0.1:{_free_closed_port()}"
    with pytest.raises(ConnectUnreachable) as caught:
        fast_client(url, deadline=0.5).server_info()
    message = str(caught.value)
    assert url in message and "gave up after" in message and "s" in message.split("over")[-1]
    assert caught.value.status is None


def test_slow_answer_times_out_as_unreachable():
    with ScriptedServer([(200, {}, 1.5)]) as server, pytest.raises(ConnectUnreachable) as caught:
        fast_client(server.url, request_timeout=0.2, deadline=0.5).server_info()
    assert "Timeout" in str(caught.value) or "timed out" in str(caught.value)


def test_absent_connector_is_none_or_false():
    with ScriptedServer([(404, {"error_code": 404, "message": "Connector x not found"}, 0)]) as server:
        client = fast_client(server.url)
        assert client.get_config("x") is None
        assert client.status("x") is None
        assert client.delete("x") is False
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("include_tasks", "only_failed", "answer", "accepted"),
    [
        (True, True, (202, RESTART_ANSWER, 0), True),
        (True, True, (200, None, 0), False),  # no status: not Connect's answer to this restart
        (True, True, (204, None, 0), False),
        (False, True, (202, RESTART_ANSWER, 0), True),
        (False, True, (204, None, 0), False),
        (False, False, (204, None, 0), True),  # the connector alone: 204, no body
    ],
)
def test_a_restart_is_taken_only_with_connects_answer_to_it(include_tasks, only_failed, answer, accepted):
    with ScriptedServer([answer]) as server:
        client = fast_client(server.url)
        if accepted:
            client.restart("c", include_tasks=include_tasks, only_failed=only_failed)
        else:
            with pytest.raises(ConnectError, match="restart answered no body; expected a status"):
                client.restart("c", include_tasks=include_tasks, only_failed=only_failed)


def test_delete_existing_connector_is_true():
    with ScriptedServer([(204, None, 0)]) as server:
        assert fast_client(server.url).delete("x") is True
    assert server.requests == [("DELETE", "/connectors/x", None)]


def test_paths_query_and_bodies():
    with ScriptedServer([(202, RESTART_ANSWER, 0), (202, None, 0)]) as server:
        client = fast_client(server.url)
        assert client.restart("a/b", include_tasks=True, only_failed=False) == RESTART_ANSWER
        client.pause("c")
        client.resume("c")
        client.stop("c")
        client.alter_offsets("c", [{"partition": {"p": 1}, "offset": {"o": 2}}])
        client.reset_offsets("c")
    assert server.requests == [
        ("POST", "/connectors/a%2Fb/restart?includeTasks=true&onlyFailed=false", None),
        ("PUT", "/connectors/c/pause", None),
        ("PUT", "/connectors/c/resume", None),
        ("PUT", "/connectors/c/stop", None),
        ("PATCH", "/connectors/c/offsets", {"offsets": [{"partition": {"p": 1}, "offset": {"o": 2}}]}),
        ("DELETE", "/connectors/c/offsets", None),
    ]


def test_status_parses_connector_and_tasks():
    body = {
        "name": "c",
        "connector": {"state": "RUNNING", "worker_id": "w:8083"},
        "tasks": [{"id": 0, "state": "FAILED", "worker_id": "w:8083", "trace": "java.lang.X: no db\n\tat y"}],
        "type": "source",
    }
    with ScriptedServer([(200, body, 0)]) as server:
        status = fast_client(server.url).status("c")
    assert status.state == "RUNNING" and status.worker_id == "w:8083"
    assert status.tasks[0].id == 0 and status.tasks[0].state == "FAILED"
    assert "task 0: FAILED" in status.describe() and "no db" in status.describe()


def test_validate_keeps_field_errors_and_drops_values():
    body = {
        "name": "io.debezium.connector.oracle.OracleConnector",
        "error_count": 2,
        "configs": [
            {"value": {"name": "database.hostname", "value": "resolved-host", "errors": ["Unable to connect"]}},
            {"value": {"name": "topic.prefix", "value": "aws.wms.cdc", "errors": []}},
            {"value": {"name": "database.user", "value": "resolved-user", "errors": ["Required", "Bad", "Required"]}},
        ],
    }
    with ScriptedServer([(200, body, 0)]) as server:
        result = fast_client(server.url).validate("io.debezium.connector.oracle.OracleConnector", {"x": "1"})
    assert result.error_count == 2 and not result.ok
    assert result.errors == {"database.hostname": ["Unable to connect"], "database.user": ["Required", "Bad"]}
    assert "resolved" not in repr(result)
    method, path, sent = server.requests[0]
    assert (method, path) == ("PUT", "/connector-plugins/io.debezium.connector.oracle.OracleConnector/config/validate")
    assert sent == {"connector.class": "io.debezium.connector.oracle.OracleConnector", "x": "1"}


def test_empty_success_body_where_an_object_is_due_and_non_json_are_clear_errors():
    with ScriptedServer([(200, None, 0), (200, b"<html>proxy page</html>", 0)]) as server:
        client = fast_client(server.url)
        with pytest.raises(ConnectError, match=r"GET / answered no body; expected a JSON object"):
            client.server_info()
        with pytest.raises(ConnectError, match="not JSON"):
            client.server_info()


@pytest.mark.parametrize("url", ["", "connect:8083", "ftp://x"])
def test_bad_base_url_is_rejected(url):
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        ConnectClient(url)


def test_backoff_grows_exponentially_and_is_capped():
    assert backoff_delay(0, 0.5, 8, rand=lambda: 1.0) == 0.5
    assert backoff_delay(3, 0.5, 8, rand=lambda: 1.0) == 4.0
    assert backoff_delay(10, 0.5, 8, rand=lambda: 1.0) == 8.0
    assert backoff_delay(1000, 0.5, 8, rand=lambda: 1.0) == 8.0
    assert backoff_delay(3, 0.5, 8, rand=lambda: 0.25) == 1.0


# -- TLS with the private CA ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test private CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM).decode()
    (folder / "ca.pem").write_text(ca_pem)
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    yield ca_pem, str(folder / "ca.pem"), str(folder)


def _tls_context(folder: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(f"{folder}/server.pem", f"{folder}/server.key")
    return context


def test_https_with_private_ca_as_pem_string_and_as_path(private_ca):
    ca_pem, ca_path, folder = private_ca
    with ScriptedServer([(200, {"version": "x"}, 0)], tls=_tls_context(folder)) as server:
        assert server.url.startswith("https://")
        assert fast_client(server.url, ca=ca_pem).server_info() == {"version": "x"}
        assert fast_client(server.url, ca=ca_path).server_info() == {"version": "x"}


def test_https_without_the_private_ca_is_refused(private_ca):
    _, _, folder = private_ca
    server = ScriptedServer([(200, {"version": "x"}, 0)], tls=_tls_context(folder))
    with server, pytest.raises(ConnectUnreachable, match="(?i)certificate"):
        fast_client(server.url, deadline=0.3).server_info()


def test_create_posts_the_config_with_its_initial_state():
    info = {"name": "c", "config": {"name": "c", "a": "1"}, "tasks": [], "type": "source"}
    with ScriptedServer([(201, info, 0)]) as server:
        assert fast_client(server.url).create("c", {"name": "c", "a": "1"}, "STOPPED") == info
    assert server.requests == [
        ("POST", "/connectors", {"name": "c", "config": {"name": "c", "a": "1"}, "initial_state": "STOPPED"})
    ]
    with pytest.raises(ValueError, match="initial_state 'SLEEPING' is not RUNNING, PAUSED or STOPPED"):
        fast_client("http://127.0.0.1:9").create("c", {}, "SLEEPING")

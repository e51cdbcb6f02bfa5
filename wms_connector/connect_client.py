"""A Kafka Connect REST client: TLS with the endpoint's private CA, one deadline over each whole call, retries that
never repeat what may already have happened, and answers checked against the shape each endpoint returns.

Built on the standard library's http.client, so the Lambdas need nothing beyond their runtime and the client
owns the socket: a watchdog closes it when the deadline passes, whatever the call is waiting for (connecting,
sending, the status line, a body that arrives a byte at a time). Redirects are not followed and are never success.

What is retried, with exponential backoff and full jitter until the deadline:
- HTTP 409: Connect refuses requests while its group rebalances and does nothing with them.
- A connection that could not be opened: the request never left.
- HTTP 5xx, a connection that failed after the request was sent, and an answer cut off: only for the methods
  whose repetition changes nothing (`IDEMPOTENT`): GET reads; PUT writes the same config or target state again;
  DELETE of a deleted connector answers 404, which the caller already treats as "absent"; PATCH of the offsets
  writes the same offsets. POST (restart) is not: a second restart would restart a connector that may already
  be running again, so a POST whose request may have reached Connect fails at once and says so.
Other 4xx fail at once. Every message the client raises passes through the redaction rule (no credential from a
URL, no salt from a field name).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from wms_connector.connect_status import SHAPES, ConnectorStatus, FieldErrors, described
from wms_connector.redaction import redact

_PEM_MARKER = "-----BEGIN"
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "PATCH"})
# An answer larger than this is not Connect's (its largest, a validation result, is tens of KiB).
MAX_ANSWER_BYTES = 16 * 1024 * 1024

# What `request(..., absent_ok=True)` returns for a 404, so callers can tell "absent" from an empty body.
ABSENT = object()


class ConnectError(Exception):
    """Connect answered with an error (or kept answering with a retriable one until the deadline), or with
    something that is not an answer of the endpoint's shape."""

    def __init__(self, message: str, status: int | None = None, url: str | None = None):
        message = redact(message)
        super().__init__(message)
        self.status = status
        self.message = message
        self.url = redact(url) if url else url


class ConnectUnreachable(ConnectError):
    """No answer from Connect before the deadline: refused connections, timeouts, TLS failures, cut answers."""


class _Failure(Exception):
    """One attempt that got no usable answer; `sent` tells whether the request may have reached Connect."""

    def __init__(self, reason: str, *, sent: bool):
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


# -- helpers -----------------------------------------------------------------------------------------------------


def backoff_delay(attempt: int, initial: float, maximum: float, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(maximum, initial * 2**attempt)]."""
    ceiling = min(maximum, initial * (2 ** min(attempt, 32)))
    return ceiling * rand()


def private_ca_pem(acm_pca: Any, ca_arn: str) -> str:
    """The ACM private CA's certificate (and chain) as PEM: what the internal endpoint's certificate is issued
    from, so the client trusts exactly it. `acm_pca` is a boto3 ACM PCA client."""
    answer = acm_pca.get_certificate_authority_certificate(CertificateAuthorityArn=ca_arn)
    return "\n".join(part.strip() for part in (answer["Certificate"], answer.get("CertificateChain")) if part) + "\n"


def _tls_context(ca: str | None) -> ssl.SSLContext:
    """`ca` is a PEM string or a path to a PEM file; None means the system's trust store."""
    if not ca:
        return ssl.create_default_context()
    if _PEM_MARKER in ca:
        return ssl.create_default_context(cadata=ca)
    return ssl.create_default_context(cafile=ca)


def _error_message(body: bytes, status: int) -> str:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if isinstance(payload, dict) and payload.get("message"):
        return str(payload["message"])[:1000]
    text = body.decode("utf-8", errors="replace").strip()
    return text[:500] if text else f"HTTP {status}"


def _is_retriable_status(status: int, method: str) -> bool:
    return status == 409 or (status >= 500 and method in IDEMPOTENT)


class ConnectClient:
    """One Connect cluster's REST API. Every call is bounded by `deadline` seconds, retries included."""

    def __init__(
        self,
        base_url: str,
        *,
        ca: str | None = None,
        request_timeout: float = 10.0,
        deadline: float = 60.0,
        backoff_initial: float = 0.25,
        backoff_max: float = 5.0,
    ):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"Connect URL must start with http:// or https://, got {redact(str(base_url))!r}.")
        if request_timeout <= 0 or deadline <= 0:
            raise ValueError("Connect client request_timeout and deadline must be positive seconds.")
        parts = urlsplit(base_url.rstrip("/"))
        if not parts.hostname:
            raise ValueError(f"Connect URL {redact(base_url)!r} names no host.")
        self.base_url = redact(base_url.rstrip("/"))  # what messages show
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._path_prefix = parts.path
        self.request_timeout = request_timeout
        self.deadline = deadline
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.trusted_ca = ca  # the PEM text or file the TLS context trusts (None: the system's store)
        self._tls = _tls_context(ca) if parts.scheme == "https" else None

    # -- transport -------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        absent_ok: bool = False,
        shape: str = "object-or-nothing",
    ) -> Any:
        """Send one logical request; returns the decoded JSON body (ABSENT for a 404 when `absent_ok`).
        Raises ConnectError / ConnectUnreachable, whose messages name the method, the path and what went wrong."""
        target = self._path_prefix + path + (f"?{urlencode(query)}" if query else "")
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Accept": "application/json", "Connection": "close"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        attempt = 0
        error: ConnectError | None = None
        while True:
            remaining = self.deadline - (time.monotonic() - started)
            if remaining <= 0 and error is not None:
                # The backoff ran into the deadline: report what the last attempt met, not the clock.
                raise _gave_up(error, attempt, time.monotonic() - started)
            try:
                status, data = self._exchange(method, target, payload, headers, remaining)
            except _Failure as failure:
                error = ConnectUnreachable(
                    f"Kafka Connect at {self.base_url} did not answer {method} {path} ({failure.reason})",
                    url=self.base_url + target,
                )
                if failure.sent and method not in IDEMPOTENT:
                    raise ConnectUnreachable(
                        error.message + "; the request may have reached Connect, and a "
                        f"{method} is not repeated: check the connector's state before asking again",
                        url=error.url,
                    ) from None
            else:
                if 200 <= status < 300:
                    return self._decoded(data, method, path, shape)
                if status == 404 and absent_ok:
                    return ABSENT
                error = ConnectError(
                    f"Kafka Connect {method} {path} failed with HTTP {status}: {_error_message(data, status)}"
                    if status >= 400
                    else f"Kafka Connect {method} {path} answered HTTP {status} (a redirect), which is not an "
                    "answer: this client follows no redirect, so nothing was done",
                    status=status,
                    url=self.base_url + target,
                )
                if not _is_retriable_status(status, method):
                    raise error
            elapsed = time.monotonic() - started
            delay = backoff_delay(attempt, self.backoff_initial, self.backoff_max)
            if elapsed + delay >= self.deadline:
                raise _gave_up(error, attempt + 1, elapsed)
            time.sleep(delay)
            attempt += 1

    def _exchange(
        self, method: str, target: str, payload: bytes | None, headers: Mapping[str, str], remaining: float
    ) -> tuple[int, bytes]:
        """One attempt, whole (connect, send, status line, every byte of the body) within `request_timeout` and
        the `remaining` deadline: (status, body), or _Failure."""
        if remaining <= 0:
            raise _Failure("the deadline passed before it could be sent", sent=False)
        timeout = max(0.05, min(self.request_timeout, remaining))
        if self._tls is not None:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=self._tls
            )
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        expired = threading.Event()
        # The socket is kept here: http.client lets go of it (connection.sock = None) once an answer that closes
        # the connection has begun, while the body is still being read from it.
        opened: list[socket.socket] = []

        def cut() -> None:
            expired.set()
            for sock in opened:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(timeout, cut)
        watchdog.daemon = True
        watchdog.start()
        sent = False
        try:
            connection.connect()
            opened.append(connection.sock)
            if expired.is_set():  # the deadline passed while connecting
                cut()
            sent = True  # from here on, some or all of the request may reach Connect
            connection.request(method, target, body=payload, headers=dict(headers))
            response = connection.getresponse()
            if response.length is not None and response.length > MAX_ANSWER_BYTES:
                raise _Failure(f"an answer larger than {MAX_ANSWER_BYTES} bytes", sent=True)
            data = response.read(MAX_ANSWER_BYTES + 1)
            if expired.is_set():
                raise _Failure(f"timed out: no complete answer within {timeout:.1f}s", sent=True)
            if response.length:  # bytes the answer announced and never sent: it was cut off
                raise _Failure("the answer was cut off before its announced length", sent=True)
            if len(data) > MAX_ANSWER_BYTES:
                raise _Failure(f"an answer larger than {MAX_ANSWER_BYTES} bytes", sent=True)
            return response.status, data
        except _Failure:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set():
                raise _Failure(f"timed out: no complete answer within {timeout:.1f}s", sent=sent) from None
            reason = getattr(exc, "reason", None) or exc
            raise _Failure(f"{type(exc).__name__}: {reason}", sent=sent) from None
        finally:
            watchdog.cancel()
            connection.close()

    @staticmethod
    def _decoded(data: bytes, method: str, path: str, shape: str) -> Any:
        if data.strip():
            try:
                value = json.loads(data)
            except ValueError as exc:
                raise ConnectError(
                    f"Kafka Connect {method} {path} answered with a body that is not JSON: {exc}"
                ) from None
        else:
            value = None
        check, expected = SHAPES[shape]
        if not check(value):
            raise ConnectError(f"Kafka Connect {method} {path} answered {described(value)}; expected {expected}.")
        return value

    # -- cluster ---------------------------------------------------------------------------------------------

    def server_info(self) -> dict[str, Any]:
        return self.request("GET", "/", shape="object")

    def plugins(self) -> list[dict[str, Any]]:
        return self.request("GET", "/connector-plugins", shape="plugins")

    def list_connectors(self) -> list[str]:
        return list(self.request("GET", "/connectors", shape="names"))

    def validate(self, connector_class: str, config: Mapping[str, str]) -> FieldErrors:
        body = {"connector.class": connector_class, **config}
        path = f"/connector-plugins/{quote(connector_class, safe='')}/config/validate"
        result = self.request("PUT", path, body, shape="validation")
        errors: dict[str, list[str]] = {}
        for entry in result.get("configs") or []:
            value = entry.get("value") or {}
            if isinstance(value, dict) and value.get("errors"):
                # Connect can report the same message twice (config def and connector validation). A field's name
                # can carry the hash salt: it is redacted like every other text.
                messages = [redact(str(message)) for message in value["errors"]]
                errors[redact(str(value.get("name")))] = list(dict.fromkeys(messages))
        return FieldErrors(error_count=int(result["error_count"]), errors=errors)

    # -- one connector ---------------------------------------------------------------------------------------

    def _path(self, name: str, suffix: str = "") -> str:
        if not name:
            raise ValueError("Connector name must not be empty.")
        return f"/connectors/{quote(name, safe='')}{suffix}"

    def get_config(self, name: str) -> dict[str, str] | None:
        body = self.request("GET", self._path(name, "/config"), absent_ok=True, shape="config")
        return None if body is ABSENT else body

    def put_config(self, name: str, config: Mapping[str, str]) -> dict[str, Any]:
        return self.request("PUT", self._path(name, "/config"), dict(config), shape="object")

    def create(self, name: str, config: Mapping[str, str], initial_state: str) -> dict[str, Any]:
        """Create a connector that starts in `initial_state` (RUNNING, PAUSED or STOPPED; KIP-980, Connect 3.9):
        a connector declared stopped never runs, not even for a moment. A POST: never repeated when it may have
        reached Connect."""
        if initial_state not in ("RUNNING", "PAUSED", "STOPPED"):
            raise ValueError(f"initial_state {initial_state!r} is not RUNNING, PAUSED or STOPPED.")
        body = {"name": name, "config": dict(config), "initial_state": initial_state}
        return self.request("POST", "/connectors", body, shape="object")

    def status(self, name: str) -> ConnectorStatus | None:
        body = self.request("GET", self._path(name, "/status"), absent_ok=True, shape="status")
        return None if body is ABSENT else ConnectorStatus.from_json(body)

    def restart(self, name: str, *, include_tasks: bool = True, only_failed: bool = True) -> Any:
        query = {"includeTasks": str(include_tasks).lower(), "onlyFailed": str(only_failed).lower()}
        # ConnectorsResource.restartConnector (4.3.2): the connector alone (both flags false) is restarted the old
        # way and answered 204 without a body; any other restart is answered 202 with the connector's status, its
        # restarting parts marked RESTARTING. No status there is not Connect's answer.
        shape = "status" if include_tasks or only_failed else "nothing"
        return self.request("POST", self._path(name, "/restart"), query=query, shape=shape)

    def pause(self, name: str) -> None:
        self.request("PUT", self._path(name, "/pause"), shape="nothing")

    def resume(self, name: str) -> None:
        self.request("PUT", self._path(name, "/resume"), shape="nothing")

    def stop(self, name: str) -> None:
        self.request("PUT", self._path(name, "/stop"), shape="nothing")

    def delete(self, name: str) -> bool:
        """True when deleted, False when there was nothing to delete."""
        return self.request("DELETE", self._path(name), absent_ok=True, shape="nothing") is not ABSENT

    def get_offsets(self, name: str) -> dict[str, Any]:
        return self.request("GET", self._path(name, "/offsets"), shape="offsets")

    def alter_offsets(self, name: str, offsets: list[dict[str, Any]]) -> dict[str, Any]:
        return self.request("PATCH", self._path(name, "/offsets"), {"offsets": offsets}, shape="object-or-nothing")

    def reset_offsets(self, name: str) -> dict[str, Any]:
        return self.request("DELETE", self._path(name, "/offsets"), shape="object-or-nothing")


def _gave_up(failure: ConnectError, attempts: int, elapsed: float) -> ConnectError:
    suffix = f" — gave up after {attempts} attempt(s) over {elapsed:.1f}s"
    return type(failure)(failure.message + suffix, status=failure.status, url=failure.url)

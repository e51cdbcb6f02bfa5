"""A Kafka Connect REST client on urllib3, with TLS, timeouts and retries under an overall deadline.

urllib3 rather than requests: the Lambda runtime already ships it inside botocore, so the Lambdas that use this
client need nothing extra. Retried: HTTP 409 (the group is rebalancing, normal in Connect), 5xx and
connection errors, with exponential backoff and full jitter until the deadline; other 4xx fail at once.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

from wms_connector.connect_status import ConnectorStatus, FieldErrors

_PEM_MARKER = "-----BEGIN"

# What `request(..., absent_ok=True)` returns for a 404, so callers can tell "absent" from an empty body.
ABSENT = object()


class ConnectError(Exception):
    """Connect answered with an error (or kept answering with a retriable one until the deadline)."""

    def __init__(self, message: str, status: int | None = None, url: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.url = url


class ConnectUnreachable(ConnectError):
    """No answer from Connect before the deadline: refused connections, timeouts, TLS failures."""


def backoff_delay(attempt: int, initial: float, maximum: float, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(maximum, initial * 2**attempt)]."""
    ceiling = min(maximum, initial * (2 ** min(attempt, 32)))
    return ceiling * rand()


def private_ca_pem(acm_pca: Any, ca_arn: str) -> str:
    """The ACM private CA's certificate (and chain) as PEM: what the internal endpoint's certificate is issued
    from, so the client trusts exactly it. `acm_pca` is a boto3 ACM PCA client."""
    answer = acm_pca.get_certificate_authority_certificate(CertificateAuthorityArn=ca_arn)
    return "\n".join(part.strip() for part in (answer["Certificate"], answer.get("CertificateChain")) if part) + "\n"


def _tls_options(ca: str | None) -> dict[str, Any]:
    """`ca` is a PEM string or a path to a PEM file; None means the system's trust store."""
    if not ca:
        return {"cert_reqs": "CERT_REQUIRED"}
    if _PEM_MARKER in ca:
        return {"cert_reqs": "CERT_REQUIRED", "ca_cert_data": ca}
    return {"cert_reqs": "CERT_REQUIRED", "ca_certs": ca}


def _error_message(body: bytes, status: int) -> str:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if isinstance(payload, dict) and payload.get("message"):
        return str(payload["message"])
    text = body.decode("utf-8", errors="replace").strip()
    return text[:500] if text else f"HTTP {status}"


def _is_retriable(status: int) -> bool:
    return status == 409 or status >= 500


class ConnectClient:
    """One Connect cluster's REST API. Every call retries retriable failures until `deadline` seconds pass."""

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
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"Connect URL must start with http:// or https://, got {base_url!r}.")
        if request_timeout <= 0 or deadline <= 0:
            raise ValueError("Connect client request_timeout and deadline must be positive seconds.")
        self.base_url = base_url.rstrip("/")
        self.request_timeout = request_timeout
        self.deadline = deadline
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        tls = _tls_options(ca) if self.base_url.startswith("https://") else {}
        self._http = urllib3.PoolManager(num_pools=2, retries=False, **tls)

    # -- transport -------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        absent_ok: bool = False,
    ) -> Any:
        """Send one logical request; returns the decoded JSON body (None for an empty body, ABSENT for a 404
        when `absent_ok`). Raises ConnectError / ConnectUnreachable."""
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        attempt = 0
        while True:
            remaining = self.deadline - (time.monotonic() - started)
            timeout = max(0.05, min(self.request_timeout, remaining))
            try:
                response = self._http.request(
                    method, url, body=payload, headers=headers, timeout=timeout, redirect=False
                )
            except urllib3.exceptions.HTTPError as exc:
                failure: ConnectError = ConnectUnreachable(
                    f"Kafka Connect at {self.base_url} did not answer {method} {path} "
                    f"({type(exc).__name__}: {_reason(exc)})",
                    url=url,
                )
            else:
                status = response.status
                if status < 400:
                    return _decode(response.data, method, path)
                if status == 404 and absent_ok:
                    return ABSENT
                failure = ConnectError(
                    f"Kafka Connect {method} {path} failed with HTTP {status}: {_error_message(response.data, status)}",
                    status=status,
                    url=url,
                )
                if not _is_retriable(status):
                    raise failure
            elapsed = time.monotonic() - started
            delay = backoff_delay(attempt, self.backoff_initial, self.backoff_max)
            if elapsed + delay >= self.deadline:
                raise _gave_up(failure, attempt + 1, elapsed)
            time.sleep(delay)
            attempt += 1

    # -- cluster ---------------------------------------------------------------------------------------------

    def server_info(self) -> dict[str, Any]:
        return self.request("GET", "/")

    def plugins(self) -> list[dict[str, Any]]:
        return self.request("GET", "/connector-plugins")

    def list_connectors(self) -> list[str]:
        return list(self.request("GET", "/connectors"))

    def validate(self, connector_class: str, config: Mapping[str, str]) -> FieldErrors:
        body = {"connector.class": connector_class, **config}
        result = self.request("PUT", f"/connector-plugins/{quote(connector_class, safe='')}/config/validate", body)
        errors: dict[str, list[str]] = {}
        for entry in result.get("configs") or []:
            value = entry.get("value") or {}
            if value.get("errors"):
                # Connect can report the same message twice (config def and connector validation).
                errors[str(value.get("name"))] = list(dict.fromkeys(str(message) for message in value["errors"]))
        return FieldErrors(error_count=int(result.get("error_count", 0)), errors=errors)

    # -- one connector ---------------------------------------------------------------------------------------

    def _path(self, name: str, suffix: str = "") -> str:
        if not name:
            raise ValueError("Connector name must not be empty.")
        return f"/connectors/{quote(name, safe='')}{suffix}"

    def get_config(self, name: str) -> dict[str, str] | None:
        body = self.request("GET", self._path(name, "/config"), absent_ok=True)
        return None if body is ABSENT else body

    def put_config(self, name: str, config: Mapping[str, str]) -> dict[str, Any]:
        return self.request("PUT", self._path(name, "/config"), dict(config))

    def status(self, name: str) -> ConnectorStatus | None:
        body = self.request("GET", self._path(name, "/status"), absent_ok=True)
        return None if body is ABSENT else ConnectorStatus.from_json(body)

    def restart(self, name: str, *, include_tasks: bool = True, only_failed: bool = True) -> Any:
        query = {"includeTasks": str(include_tasks).lower(), "onlyFailed": str(only_failed).lower()}
        return self.request("POST", self._path(name, "/restart"), query=query)

    def pause(self, name: str) -> None:
        self.request("PUT", self._path(name, "/pause"))

    def resume(self, name: str) -> None:
        self.request("PUT", self._path(name, "/resume"))

    def stop(self, name: str) -> None:
        self.request("PUT", self._path(name, "/stop"))

    def delete(self, name: str) -> bool:
        """True when deleted, False when there was nothing to delete."""
        return self.request("DELETE", self._path(name), absent_ok=True) is not ABSENT

    def get_offsets(self, name: str) -> dict[str, Any]:
        return self.request("GET", self._path(name, "/offsets"))

    def alter_offsets(self, name: str, offsets: list[dict[str, Any]]) -> dict[str, Any]:
        return self.request("PATCH", self._path(name, "/offsets"), {"offsets": offsets})

    def reset_offsets(self, name: str) -> dict[str, Any]:
        return self.request("DELETE", self._path(name, "/offsets"))


def _decode(data: bytes, method: str, path: str) -> Any:
    if not data.strip():
        return None
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ConnectError(f"Kafka Connect {method} {path} answered with a body that is not JSON: {exc}") from exc


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc)


def _gave_up(failure: ConnectError, attempts: int, elapsed: float) -> ConnectError:
    suffix = f" — gave up after {attempts} attempt(s) over {elapsed:.1f}s"
    return type(failure)(failure.message + suffix, status=failure.status, url=failure.url)

"""Connecting as the CDC user with python-oracledb in thin mode (pure Python: no Oracle client on the machine),
from the `dbInfo` keys (wms_connector/db_info.py). A failure names where it tried and as whom, with Oracle's
error code; never the password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wms_connector.db_info import endpoint_from_db_info
from wms_connector.redaction import redact

CONNECT_TIMEOUT_SECONDS = 10
_JDBC_PREFIX = "jdbc:oracle:thin:@"


class PreflightConnectError(Exception):
    """The CDC user could not connect; the message says where and why, never the password."""


def connect(db_info: Mapping[str, Any], timeout_seconds: float = CONNECT_TIMEOUT_SECONDS) -> Any:
    """`timeout_seconds` bounds the connection and, once connected, every round trip (python-oracledb's
    call_timeout)."""
    import oracledb  # only where the preflight runs

    user, password = str(db_info.get("user") or ""), str(db_info.get("password") or "")
    if not user or not password:
        raise PreflightConnectError("dbInfo has no 'user' or 'password': the preflight connects as the CDC user.")
    service = str(db_info.get("db") or "")
    if db_info.get("url"):
        dsn = str(db_info["url"]).removeprefix(_JDBC_PREFIX).removeprefix("//")
        where = "dbInfo's url"
    else:
        endpoint = endpoint_from_db_info(dict(db_info))
        dsn = oracledb.makedsn(endpoint.host, endpoint.port, service_name=service)
        where = f"{endpoint.host}:{endpoint.port}/{service}"
    try:
        connection = oracledb.connect(user=user, password=password, dsn=dsn, tcp_connect_timeout=timeout_seconds)
        connection.call_timeout = int(timeout_seconds * 1000)
        return connection
    except (oracledb.Error, OSError) as error:  # OSError: a host that does not resolve (socket.gaierror)
        reason = redact(str(error).splitlines()[0] if str(error) else type(error).__name__).replace(
            password, "<redacted>")
        raise PreflightConnectError(f"Could not connect to {where} as {user}: {reason}") from None

"""Can the VPC open a TCP connection to the Oracle listener named in the `dbInfo` secret.

The secret is read at run time (so a rotated host is picked up) and its values never leave this module: errors
name the keys that are missing or wrong, never what they hold, and a failed probe reports only the error class.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_TIMEOUT_SECONDS = 3.0

# `jdbc:oracle:thin:@//host:port/service`, `@host:port:sid`, `@host:port/service`, or a TNS descriptor.
_URL_HOST_PORT = re.compile(r"@(?://)?(?P<host>[^:/()\s]+):(?P<port>\d+)")
_TNS_HOST = re.compile(r"\(\s*HOST\s*=\s*(?P<host>[^)\s]+)\s*\)", re.IGNORECASE)
_TNS_PORT = re.compile(r"\(\s*PORT\s*=\s*(?P<port>\d+)\s*\)", re.IGNORECASE)


class DbInfoError(ValueError):
    """The dbInfo secret cannot give a host and port; the message names keys, never values."""


@dataclass(frozen=True)
class DbEndpoint:
    host: str
    port: int

    def __repr__(self) -> str:  # keeps the endpoint out of any accidental log of this object
        return "DbEndpoint(<redacted>)"


@dataclass(frozen=True)
class DbFindings:
    reachable: bool | None  # None: the check could not run (secret unreadable)
    error: str | None = None


def _port(value: Any) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        raise DbInfoError("dbInfo key 'port' is not a whole number.") from None
    if not 1 <= port <= 65535:
        raise DbInfoError("dbInfo key 'port' is outside 1-65535.")
    return port


def _from_url(url: str) -> DbEndpoint | None:
    match = _URL_HOST_PORT.search(url)
    if match:
        return DbEndpoint(match["host"], _port(match["port"]))
    host, port = _TNS_HOST.search(url), _TNS_PORT.search(url)
    if host and port:
        return DbEndpoint(host["host"], _port(port["port"]))
    return None


def endpoint_from_db_info(info: Any) -> DbEndpoint:
    """Host from `ip` or `host` (else from `url`), port from `port` (else from `url`)."""
    if not isinstance(info, dict):
        raise DbInfoError("dbInfo secret is not a JSON object.")
    host = str(info.get("ip") or info.get("host") or "").strip()
    url_endpoint = _from_url(str(info["url"])) if info.get("url") else None
    if not host and url_endpoint:
        host = url_endpoint.host
    if not host:
        raise DbInfoError("dbInfo secret has no 'ip' or 'host' key (nor a 'url' with a host:port).")
    if info.get("port") not in (None, ""):
        return DbEndpoint(host, _port(info["port"]))
    if url_endpoint:
        return DbEndpoint(host, url_endpoint.port)
    raise DbInfoError("dbInfo secret has no 'port' key (nor a 'url' with a host:port).")


def read_db_endpoint(secrets: Any, secret_arn: str) -> DbEndpoint:
    answer = secrets.get_secret_value(SecretId=secret_arn)
    try:
        info = json.loads(answer.get("SecretString") or "")
    except ValueError:
        raise DbInfoError("dbInfo secret value is not JSON.") from None
    return endpoint_from_db_info(info)


def probe_tcp(endpoint: DbEndpoint, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> str | None:
    """None when a connection opened, else the error class (never the address)."""
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout):
            return None
    except OSError as exc:
        return type(exc).__name__


Probe = Callable[[DbEndpoint], str | None]


def check_database(secrets: Any, secret_arn: str, probe: Probe = probe_tcp) -> DbFindings:
    try:
        endpoint = read_db_endpoint(secrets, secret_arn)
    except DbInfoError as exc:
        return DbFindings(reachable=None, error=str(exc))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        return DbFindings(reachable=None, error=f"could not read the dbInfo secret: {code}")
    except BotoCoreError as exc:
        return DbFindings(reachable=None, error=f"could not read the dbInfo secret: {type(exc).__name__}")
    failure = probe(endpoint)
    if failure:
        return DbFindings(reachable=False, error=f"TCP connection to the database listener failed ({failure})")
    return DbFindings(reachable=True)

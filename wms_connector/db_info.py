"""The `dbInfo` secret's format: `{"host"|"ip", "port", "db", "user", "password", optional "pdb", "url"}`.

The Pulumi program never reads it (it passes the secret's ARN on); the code that runs next to the database reads
it here: the health check's TCP probe and the local stack. The worker's entrypoint (connect-image/, which cannot
import this package) unpacks the same keys, and a test holds the two together. Errors name keys, never values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector import worker_env

# The keys, as the entrypoint unpacks them into the worker's DB_* variables.
KEYS = ("host", "ip", "port", "db", "user", "password", "pdb", "url")

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


def db_info_from_variables(env: Mapping[str, str]) -> dict[str, Any]:
    """The dbInfo keys from the worker's database variables: `DB_INFO` (the whole secret), else the `DB_*` ones
    (the local stack's env file)."""
    if env.get(worker_env.DB_INFO):
        return load_db_info(env[worker_env.DB_INFO])
    keys = {
        worker_env.DB_HOST: "host", worker_env.DB_PORT: "port", worker_env.DB_NAME: "db", worker_env.DB_PDB: "pdb",
        worker_env.DB_URL: "url", worker_env.DB_USER: "user", worker_env.DB_PASSWORD: "password",
    }
    return {key: env[variable] for variable, key in keys.items() if env.get(variable)}


def load_db_info(text: str | None) -> dict[str, Any]:
    """The secret's JSON object, or DbInfoError (which never shows the text)."""
    try:
        info = json.loads(text or "")
    except ValueError:
        raise DbInfoError("dbInfo secret value is not JSON.") from None
    if not isinstance(info, Mapping):
        raise DbInfoError("dbInfo secret is not a JSON object.")
    return dict(info)

"""Can the VPC open a TCP connection to the Oracle listener named in the `dbInfo` secret.

The secret is read at run time (so a rotated host is picked up) and its values never leave this module: errors
name the keys that are missing or wrong, never what they hold, and a failed probe reports only the error class.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from wms_connector.db_info import DbEndpoint, DbInfoError, endpoint_from_db_info, load_db_info

DEFAULT_TIMEOUT_SECONDS = 3.0

@dataclass(frozen=True)
class DbFindings:
    reachable: bool | None  # None: the check could not run (secret unreadable)
    error: str | None = None


def read_db_endpoint(secrets: Any, secret_arn: str) -> DbEndpoint:
    answer = secrets.get_secret_value(SecretId=secret_arn)
    return endpoint_from_db_info(load_db_info(answer.get("SecretString")))


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

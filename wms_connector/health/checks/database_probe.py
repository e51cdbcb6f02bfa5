"""The health run's database probe (wms_connector/preflight/probe.py): it reads the dbInfo secret, connects as the
CDC user with the preflight's driver, bounded in time (PROBE_TIMEOUT_SECONDS for the connection and each round
trip), probes and closes. Anything that fails is an "unknown" probe with its reason, never an exception: the
rest of the run goes on, and no restart is decided on it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from wms_connector.db_info import load_db_info
from wms_connector.preflight.probe import ProbeFindings, run_probe
from wms_connector.redaction import redact
from wms_connector.topics import CAPTURED_TABLE_NAMES

PROBE_TIMEOUT_SECONDS = 5.0

DatabaseConnect = Callable[[Mapping[str, Any], float], Any]


def probe_database(
    secrets: Any, secret_arn: str, connect: DatabaseConnect, *, use_pdb: bool,
    archive_destination_name: tuple[str, ...], restart_scn: float | None,
) -> ProbeFindings:
    started = time.monotonic()
    password = ""
    try:
        info = load_db_info(secrets.get_secret_value(SecretId=secret_arn).get("SecretString"))
        password = str(info.get("password") or "")
        pdb = str(info.get("pdb") or "") if use_pdb else None
        connection = connect(info, PROBE_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - an unreadable secret or a refused login: the probe is unknown
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if password:
            reason = reason.replace(password, "<redacted>")
        return ProbeFindings(seconds=time.monotonic() - started, error=redact(reason))
    try:
        found = run_probe(connection, tables=CAPTURED_TABLE_NAMES, pdb=pdb or None,
                          archive_destination_name=archive_destination_name, restart_scn=restart_scn)
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection says nothing more
            connection.close()
    return found

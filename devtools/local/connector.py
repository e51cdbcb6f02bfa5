"""`make local`'s last step: register the connector on the local stack through the same admin code the stack's
Lambda runs (direct transport), with the database shape taken from the local env file.

With database settings that do not reach Oracle, Connect refuses the config; the step then prints Connect's
validation errors and leaves the local Kafka + Connect running, so the worker and its REST API can still be used.
With no database settings at all, the worker has a stand-in database nothing listens on and the connector is
registered without Connect's database check: the developer sees it, and why its task fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from wms_connector import worker_env
from wms_connector.admin.protocol import AdminCallFailed
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.db_info import DbInfoError, load_db_info
from wms_connector.providers.transport import DirectTransport

if TYPE_CHECKING:
    from devtools.local.stack import LocalStack

LOCAL_STATE_TIMEOUT_SECONDS = 60


# A PDB needs the heartbeat table (as a stack's `heartbeatTable`): name it for the local stack here.
HEARTBEAT_TABLE_ENV = "WMS_LOCAL_HEARTBEAT_TABLE"


def options_for(database_env: Mapping[str, str], heartbeat_table: str | None = None) -> ConnectorOptions:
    """PDB and JDBC URL are used when the local database settings have them (as `dbInfo` may in AWS); checked
    like a stack's options (a PDB without a heartbeat table is refused, naming what to set)."""
    has_pdb = bool(database_env.get(worker_env.DB_PDB))
    has_url = bool(database_env.get(worker_env.DB_URL))
    if database_env.get(worker_env.DB_INFO):
        try:
            info = load_db_info(database_env[worker_env.DB_INFO])
        except DbInfoError:
            info = {}  # the worker's entrypoint reports a malformed DB_INFO
        has_pdb = has_pdb or bool(info.get("pdb"))
        has_url = has_url or bool(info.get("url"))
    options = ConnectorOptions(use_pdb=has_pdb, use_jdbc_url=has_url, heartbeat_table=heartbeat_table)
    try:
        options.check()
    except ConnectorOptionsError as error:
        raise ConnectorOptionsError(f"{error} Locally, set {HEARTBEAT_TABLE_ENV}=SCHEMA.TABLE.") from None
    return options


def register_connector(stack: LocalStack, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> bool:
    """Validate, register and start the connector; on failure print why and return False (the stack stays up)."""
    database_env = stack.settings.database_env
    try:
        options = options_for(database_env, os.environ.get(HEARTBEAT_TABLE_ENV) or None)
    except ConnectorOptionsError as error:
        print(f"Connector not registered: {error}", file=err)
        return False
    config = stack.connector_config(options)
    name = config["name"]
    transport = DirectTransport(
        connect_url=stack.connect_url, stage=stack.stage.name, bootstrap_servers=stack.bootstrap_servers
    )
    # Without database settings the worker has a stand-in database nothing listens on: the connector is registered
    # without Connect's database check (the stack's own opt-in), so the developer sees it and why its task fails.
    unconfigured = not database_env
    try:
        live = transport.invoke({"action": "status", "name": name}).get("state")
    except AdminCallFailed:
        live = None
    # A connector someone paused or stopped stays so: `make local` again is not a resume (`ops --local resume` is).
    kept = live if live in ("paused", "stopped") else None
    request = {
        "action": "ensure",
        "name": name,
        "config": config,
        "state": kept or "running",
        "timeout_seconds": LOCAL_STATE_TIMEOUT_SECONDS,
        "allow_unreachable_database": unconfigured,
    }
    try:
        result = transport.invoke(request)
    except AdminCallFailed as error:
        print(f"{_what_failed(name, live)} ({error.kind}):\n{error.message}\n{_hint(stack, database_env)}\n"
              "The local Kafka + Connect keep running; run `make local-down` to stop them.", file=err)
        return False
    if kept:
        print(f"Connector {name} kept {result['state']}, as it was left; `.venv/bin/wms-ops --local resume` "
              "resumes it.", file=out)
    else:
        print(f"Connector {name} registered and {result['state']}.", file=out)
    if unconfigured:
        print(
            "No database is configured (copy local.env.example to local.env and fill it in): the connector was "
            "registered without Connect's database check and its task fails to connect. "
            "`.venv/bin/wms-ops --local status` shows why.",
            file=out,
        )
    return True


def _what_failed(name: str, live: str | None) -> str:
    if live in (None, "absent"):
        return f"Connector {name} was not registered"
    return f"Connector {name} exists ({live.upper()}) but could not be given the declared config and state"


def _hint(stack: LocalStack, database_env: Mapping[str, str]) -> str:
    if not database_env:
        return "No database settings were given: copy local.env.example to local.env and fill it in."
    if getattr(stack, "reused", False):
        return ("The worker was already running and keeps the database settings it started with: if local.env "
                "changed since, `make local-down` then `make local`; otherwise check that the database is reachable.")
    return "Check the database settings in local.env and that the database is reachable from here."

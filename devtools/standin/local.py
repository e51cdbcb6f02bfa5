"""`make local STANDIN=1`: the local Kafka + Connect capturing the stand-in PostgreSQL database instead of the
database in local.env, so a person working on the project can write rows and watch their change events arrive.

The server's files live in the local stack's data directory (`standin/`), its log beside the worker's. Its two
passwords (the superuser's and the CDC user's) are made once and kept in `standin/credentials.json`, readable by
this user only; they reach the worker as its DB_* variables, as local.env's would, and are never printed.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from devtools.local.processes import check_ports_free
from devtools.local.settings import BIND_ADDRESS, LocalSettings, LocalStackError, Port, read_remembered
from devtools.standin.database import CDC_USER, DATABASE, new_password, table_identifier
from devtools.standin.pipeline import StandinPipeline
from devtools.standin.server import SUPERUSER, StandinServer

STANDIN_PORT = Port("PostgreSQL stand-in", "WMS_LOCAL_STANDIN_PORT", "--standin-port", 5433)
CREDENTIALS_FILE = "credentials.json"
EXAMPLE_TABLE = "WMS.PLAN_BASE_WVR_TBL"


def standin_dir(settings: LocalSettings) -> Path:
    return settings.data_dir / "standin"


def standin_port(env: Mapping[str, str], flag: int | None) -> int:
    """The flag, else WMS_LOCAL_STANDIN_PORT, else 5433 (beside a PostgreSQL a developer may run on 5432)."""
    if flag is not None:
        raw, source = str(flag), STANDIN_PORT.flag
    elif env.get(STANDIN_PORT.env_var):
        raw, source = env[STANDIN_PORT.env_var], STANDIN_PORT.env_var
    else:
        return STANDIN_PORT.default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise LocalStackError(f"{source} = {raw!r} is not a port: give a number from 1 to 65535.")
    return int(raw)


def kept_credentials(directory: Path) -> dict[str, str]:
    """The stand-in's passwords, made on first use and kept (mode 0600): a second `up` finds the same cluster."""
    path = directory / CREDENTIALS_FILE
    try:
        kept = json.loads(path.read_text())
        if isinstance(kept, dict) and all(isinstance(kept.get(k), str) and kept[k] for k in (SUPERUSER, CDC_USER)):
            return kept
    except FileNotFoundError:
        pass
    except ValueError:
        raise LocalStackError(
            f"{path} is not the stand-in's credentials file; remove {directory} to start the stand-in afresh."
        ) from None
    if (directory / "pgdata").exists():
        raise LocalStackError(
            f"The stand-in's data in {directory} has no credentials file; remove {directory} to start it afresh."
        )
    directory.mkdir(parents=True, exist_ok=True)
    kept = {SUPERUSER: new_password(), CDC_USER: new_password()}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(kept, file)
    return kept


def local_pipeline(settings: LocalSettings, port: int) -> StandinPipeline:
    directory = standin_dir(settings)
    credentials = kept_credentials(directory)
    server = StandinServer(directory, port, settings.log_dir / "postgres.log", credentials[SUPERUSER])
    return StandinPipeline(replace(settings, standin_port=port), server, credentials[CDC_USER])


def check_same_database(settings: LocalSettings, standin: bool) -> None:
    """A running stack keeps the database its worker was started with: say so rather than register a connector
    for the other one."""
    remembered = read_remembered(settings.data_dir)
    if not remembered:
        return
    runs_standin = remembered.get("standin_port") is not None
    if runs_standin != standin:
        started, asked = ("the stand-in", "local.env's") if runs_standin else ("local.env's", "the stand-in")
        raise LocalStackError(
            f"The local stack is running with {started} database; to use {asked}, run `make local-down` first."
        )


def up_standin(settings: LocalSettings, port: int, out: TextIO) -> StandinPipeline:
    """Start (or find running) the stand-in server, then the broker and worker, then register the stand-in
    connector through the admin code and print how to make and watch changes."""
    pipeline = local_pipeline(settings, port)
    stack = pipeline.stack
    if not pipeline.server.process.running():
        check_ports_free({"standin": port}, {"standin": STANDIN_PORT})
    if stack.broker.running() and stack.worker.running():
        check_same_database(settings, standin=True)
        pipeline.start_database()
        print("The local stack is already running.", file=out, flush=True)
    else:
        pipeline.start()
    print(stack.summary(), file=out)
    print(f"Stand-in database : postgresql://{BIND_ADDRESS}:{port}/{DATABASE} (log {pipeline.server.log_file})",
          file=out, flush=True)
    result = pipeline.register()
    print(
        f"Connector {stack.topics.connector_name} (Debezium's PostgreSQL connector with the stage's config) "
        f"registered and {result['state']}.\n"
        "Watch a table's change events:  .venv/bin/python -m devtools.local watch --from-beginning\n"
        "Write a row (again: an update): .venv/bin/python -m devtools.local insert --id 1\n"
        "What on-call sees:              .venv/bin/python -m devtools.ops --local status",
        file=out,
    )
    return pipeline


def _server_of(settings: LocalSettings, port: int = STANDIN_PORT.default) -> StandinServer:
    """The data directory's server as its PID file knows it (enough to see and stop it; no password needed)."""
    return StandinServer(standin_dir(settings), port, settings.log_dir / "postgres.log", secrets.token_hex(8))


def standin_status(settings: LocalSettings, port: int) -> dict[str, object]:
    server = _server_of(settings, port)
    return {"running": server.process.running(), "pid": server.process.pid,
            "address": f"{BIND_ADDRESS}:{port}", "log": str(server.log_file)}


def stop_standin(settings: LocalSettings) -> bool:
    """Stop the stand-in server of this data directory if it runs; True when it did."""
    server = _server_of(settings)
    if not server.process.running():
        return False
    server.stop()
    return True


def insert_row(settings: LocalSettings, row_id: int, port: int, table: str = EXAMPLE_TABLE) -> None:
    """One row into a captured table of the running stand-in (a change to watch arrive)."""
    pipeline = local_pipeline(settings, port)
    if not pipeline.server.process.running():
        raise LocalStackError("The stand-in database is not running: start it with `make local STANDIN=1`.")
    with pipeline.database.connect() as db:
        db.execute(
            f"INSERT INTO {table_identifier(table).as_string(db)} "  # noqa: S608 - a fixed table name
            '("WVR_ID", "PLAN_ID", "STATUS", "CREATED_BY", "APPROVER_EMAIL", "QTY") VALUES (%s, %s, %s, %s, %s, %s) '
            'ON CONFLICT ("WVR_ID") DO UPDATE SET "QTY" = EXCLUDED."QTY" + 1, "UPDATED_AT" = now()',
            (row_id, f"P{row_id}", "NEW", f"user-{row_id}", f"approver-{row_id}@example.com", row_id),
        )

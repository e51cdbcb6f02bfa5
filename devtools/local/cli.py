"""`make local` / `make local-down` / status: the local stack's command line.

    python -m devtools.local up|down|status [--broker-port N] [--data-dir DIR] ... [--standin [--standin-port N]]
    python -m devtools.local insert --id N [--table SCHEMA.TABLE]      (a row into the running stand-in database)
    python -m devtools.local watch [--table SCHEMA.TABLE] [--from-beginning]   (change events as they arrive)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from devtools.local.connector import register_connector
from devtools.local.settings import (
    DATA_DIR_ENV,
    ENV_FILE_ENV,
    LOG_DIR_ENV,
    PORTS,
    LocalSettings,
    LocalStackError,
    read_remembered,
)
from devtools.local.stack import LocalStack
from devtools.local.watch import watch
from devtools.standin.local import (
    EXAMPLE_TABLE,
    STANDIN_PORT,
    check_same_database,
    insert_row,
    standin_port,
    standin_status,
    stop_standin,
    up_standin,
)
from wms_connector.topics import CAPTURED_TABLE_NAMES

AfterReadyStep = Callable[[LocalStack], object]


def default_after_ready_steps() -> tuple[AfterReadyStep, ...]:
    """What `make local` does once the worker is ready: register the connector through the admin code."""
    return (register_connector,)


def up(settings: LocalSettings, after_ready: Iterable[AfterReadyStep] = ()) -> tuple[LocalStack, bool]:
    """Start the stack (or find it already up), print where everything is, then run the after-ready steps; returns
    the stack and whether every step succeeded (a step answers False when it failed and said why).

    Running `make local` twice is fine: a stack whose broker and worker both run is reused, on the ports it runs on
    (asking for others is refused at once). A worker that died beside its running broker is started again; a worker
    running without its broker is stopped and the whole stack started."""
    stack = LocalStack(settings)
    broker, worker = stack.broker.running(), stack.worker.running()
    if broker and worker:
        _check_same_ports(settings)
        check_same_database(settings, standin=False)
        stack.reused = True
        print(
            "The local stack is already running; its worker keeps the local.env it started with (a changed "
            "local.env needs `make local-down` first).", flush=True
        )
    elif broker:
        _check_same_ports(settings)
        print("The local broker runs but its Connect worker had stopped: starting the worker again.", flush=True)
        stack.start_worker()
    else:
        if worker:
            print("A Connect worker runs without its broker: stopping it, then starting the whole stack.", flush=True)
            stack.worker.stop()
        stack.start()
    print(stack.summary(), flush=True)
    results = [step(stack) for step in after_ready]
    return stack, all(result is not False for result in results)


def _check_same_ports(settings: LocalSettings) -> None:
    """A running stack keeps its ports: a different one asked for is refused before anything waits on it."""
    running = read_remembered(settings.data_dir).get("ports") or {}
    changed = {name: (running[name], port) for name, port in settings.ports.items()
               if name in running and int(running[name]) != port}
    if changed:
        which = ", ".join(f"{PORTS[name].role} {old} (asked {new})" for name, (old, new) in sorted(changed.items()))
        raise LocalStackError(
            f"The local stack already runs on other ports: {which}. Use the running stack as it is (drop the port "
            "variable or flag), or `make local-down` first to start it on new ports."
        )


def down(settings: LocalSettings) -> bool:
    """Stop the stack; False when nothing of it was running."""
    stack = LocalStack(settings, jars_dir=Path("/nonexistent"))  # stopping needs no jars
    was_running = stack.broker.running() or stack.worker.running()
    stack.stop()
    return was_running


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devtools.local", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status", "insert", "watch"))
    for name, port in PORTS.items():
        parser.add_argument(
            port.flag, dest=name, type=int, help=f"{port.role} port (env {port.env_var}, default {port.default})"
        )
    parser.add_argument("--data-dir", help=f"broker data, worker config, PID files (env {DATA_DIR_ENV}, .local/data)")
    parser.add_argument("--log-dir", help=f"broker.log and worker.log (env {LOG_DIR_ENV}, default .local/logs)")
    parser.add_argument("--env-file", help=f"database variables for the worker (env {ENV_FILE_ENV}, default local.env)")
    parser.add_argument("--standin", action="store_true",
                        help="up: capture a stand-in PostgreSQL database started here instead of local.env's")
    parser.add_argument("--standin-port", type=int, dest="standin_port",
                        help=f"{STANDIN_PORT.role} port (env {STANDIN_PORT.env_var}, default {STANDIN_PORT.default})")
    parser.add_argument("--table", default=EXAMPLE_TABLE, choices=CAPTURED_TABLE_NAMES,
                        help=f"insert/watch: the captured table (default {EXAMPLE_TABLE})")
    parser.add_argument("--id", type=int, dest="row_id", help="insert: the row's WVR_ID (an existing one is updated)")
    parser.add_argument("--from-beginning", action="store_true", help="watch: every event so far, then new ones")
    parser.add_argument("--count", type=int, help="watch: stop after this many events")
    parser.add_argument("--timeout", type=float, help="watch: stop after this many seconds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {name: getattr(args, name) for name in PORTS}
    overrides.update(data_dir=args.data_dir, log_dir=args.log_dir, env_file=args.env_file)
    try:
        # Stopping, status and watching need no database settings (a malformed local.env must not block them).
        with_database = args.command in ("up", "insert")
        settings = LocalSettings.from_environment(os.environ, overrides, with_database=with_database)
        remembered_standin = read_remembered(settings.data_dir).get("standin_port")
        port = standin_port(os.environ, args.standin_port if args.standin_port is not None else remembered_standin)
        if args.command == "up" and args.standin:
            up_standin(settings, port, sys.stdout)
            print("Stop it with: make local-down")
        elif args.command == "up":
            _, registered = up(settings, after_ready=default_after_ready_steps())
            print("Stop it with: make local-down")
            if not registered:
                return 1  # the stack runs, but not the connector as declared: said above, and the exit code says it
        elif args.command == "down":
            stack_stopped, standin_stopped = down(settings), stop_standin(settings)
            if stack_stopped:
                print("Local Kafka broker and Connect worker stopped."
                      + (" The stand-in database too." if standin_stopped else ""))
            elif standin_stopped:
                print("The stand-in database stopped.")
            else:
                print("Nothing of the local stack was running.")
        elif args.command == "insert":
            if args.row_id is None:
                raise LocalStackError("insert needs --id N (the row's WVR_ID).")
            insert_row(settings, args.row_id, port, args.table)
            print(f"Row {args.row_id} written to {args.table} in the stand-in database.")
        elif args.command == "watch":
            stack = LocalStack(settings, jars_dir=Path("/nonexistent"))
            topic = f"{stack.topics.topic_prefix}.{args.table}"
            watch(stack.bootstrap_servers, topic, sys.stdout, from_beginning=args.from_beginning, count=args.count,
                  timeout_s=args.timeout)
        else:
            status = LocalStack(settings, jars_dir=Path("/nonexistent")).status()
            print(json.dumps({**status, "standin": standin_status(settings, port)}, indent=2))
    except LocalStackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0

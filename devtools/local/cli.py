"""`make local` / `make local-down` / status: the local stack's command line.

    python -m devtools.local up|down|status [--broker-port N] [--data-dir DIR] ...
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from devtools.local.connector import register_connector
from devtools.local.settings import DATA_DIR_ENV, ENV_FILE_ENV, LOG_DIR_ENV, PORTS, LocalSettings, LocalStackError
from devtools.local.stack import LocalStack

AfterReadyStep = Callable[[LocalStack], object]


def default_after_ready_steps() -> tuple[AfterReadyStep, ...]:
    """What `make local` does once the worker is ready: register the connector through the admin code."""
    return (register_connector,)


def up(settings: LocalSettings, after_ready: Iterable[AfterReadyStep] = ()) -> LocalStack:
    """Start the stack (or find it already up), print where everything is, then run the after-ready steps.

    Running `make local` twice is fine: a stack whose broker and worker both run is reused. One half running
    alone is an error (start refuses it), since its other half's state is unknown."""
    stack = LocalStack(settings)
    if stack.broker.running() and stack.worker.running():
        print(
            "The local stack is already running (a changed local.env needs `make local-down` first).", flush=True
        )
    else:
        stack.start()
    print(stack.summary(), flush=True)
    for step in after_ready:
        step(stack)
    return stack


def down(settings: LocalSettings) -> LocalStack:
    stack = LocalStack(settings, jars_dir=Path("/nonexistent"))  # stopping needs no jars
    stack.stop()
    return stack


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devtools.local", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status"))
    for name, port in PORTS.items():
        parser.add_argument(
            port.flag, dest=name, type=int, help=f"{port.role} port (env {port.env_var}, default {port.default})"
        )
    parser.add_argument("--data-dir", help=f"broker data, worker config, PID files (env {DATA_DIR_ENV}, .local/data)")
    parser.add_argument("--log-dir", help=f"broker.log and worker.log (env {LOG_DIR_ENV}, default .local/logs)")
    parser.add_argument("--env-file", help=f"database variables for the worker (env {ENV_FILE_ENV}, default local.env)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {name: getattr(args, name) for name in PORTS}
    overrides.update(data_dir=args.data_dir, log_dir=args.log_dir, env_file=args.env_file)
    try:
        settings = LocalSettings.from_environment(os.environ, overrides)
        if args.command == "up":
            up(settings, after_ready=default_after_ready_steps())
            print("Stop it with: make local-down")
        elif args.command == "down":
            down(settings)
            print("Local Kafka broker and Connect worker stopped.")
        else:
            print(json.dumps(LocalStack(settings, jars_dir=Path("/nonexistent")).status(), indent=2))
    except LocalStackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0

"""On-call commands: see and steer a stage's connector through the same admin code the stack runs.

    wms-ops --stage <stage> [--local | --connect-url URL | --region R] [--json] <command>

(`.venv/bin/wms-ops`, which `make setup` installs; `python -m devtools.ops` with the project's .venv is the same.)
Flags may come before or after the command.

Commands: status, lag, restart [--all], pause [--hold D --reason R], resume, stop [--hold D --reason R], release,
offsets [show | reset --yes | set --scn N --yes|--dry-run], start-from --scn N --yes|--dry-run,
snapshot [--table SCHEMA.TABLE ...] [--type blocking|incremental], preflight [--heartbeat-table SCHEMA.TABLE]
[--use-pdb] [--signal-table D.S.T] [--archive-destination LOG_ARCHIVE_DEST_N ...] [--rac-node HOST[:PORT] ...].

By default the request goes to the stage's admin Lambda (inside the VPC, next to Connect REST and MSK), found by
the name the stack gives it; `--local` talks to `make local`'s Kafka + Connect, `--connect-url` to any Connect
REST URL directly. Output is for people unless `--json`. Exit codes: 0 ok, 1 the connector is unhealthy or the
command was refused or failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from devtools.ops_output import OK, UNHEALTHY, USAGE, render
from devtools.stage_hint import stage_hint
from wms_connector.admin.protocol import AdminCallFailed, error_response
from wms_connector.aws_names import admin_function_name, admin_read_function_name
from wms_connector.connect_rules import MAX_STATE_TIMEOUT
from wms_connector.connector.options import MAX_SCN
from wms_connector.db_info import db_info_from_variables
from wms_connector.holds import MAX_HOLD_SECONDS
from wms_connector.providers.transport import LAMBDA_MARGIN_SECONDS, DirectTransport, LambdaTransport
from wms_connector.redaction import redact
from wms_connector.settings import DEFAULT_REGION
from wms_connector.snapshot_signal import SNAPSHOT_TYPES
from wms_connector.stages import InvalidStageError, Stage
from wms_connector.topics import CAPTURED_TABLE_NAMES, StageTopics

DEFAULT_STATE_TIMEOUT_SECONDS = 120
# How long one Connect call keeps retrying when talking to Connect directly: a person is waiting.
DIRECT_CONNECT_DEADLINE_SECONDS = 20.0
# Admin errors that mean the request itself was wrong, not the connector.
_USAGE_ERRORS = {"BadRequest", "TransportSpecError"}


class UsageError(Exception):
    """A command line that cannot run; the message says what is allowed."""


class NotRunning(Exception):
    """What the command talks to is not running; the message says how to start it."""


# -- command line ------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit code for usage errors is 2 as well
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _global_flags(parser: argparse.ArgumentParser, *, after_command: bool = False) -> None:
    """The flags that say where and how: accepted before the command, and after it too (`after_command`: then
    they default to nothing, so a flag given before is not overwritten)."""
    keep = {"default": argparse.SUPPRESS} if after_command else {}
    parser.add_argument(
        "--stage", help="the stack/stage name, e.g. main, val, production, feat-x (with --local: the local stack's)",
        **keep,
    )
    parser.add_argument("--local", action="store_true", help="the local stack of `make local`", **keep)
    parser.add_argument("--connect-url", help="a Connect REST URL to talk to directly (inside the VPC, tests)",
                        **keep)
    parser.add_argument("--region", help="region of the admin Lambda (default AWS_REGION, else us-east-1)", **keep)
    parser.add_argument("--bootstrap-servers", help="with --connect-url: Kafka brokers (for `snapshot`)", **keep)
    parser.add_argument("--jmx-url", help="with --connect-url: the worker's JMX exporter URL (for `lag`)", **keep)
    parser.add_argument(
        "--worker-log", help="with --connect-url: the worker's log file (a failed task's cause, for `status`)", **keep
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON (for scripts)", **keep)
    parser.add_argument(
        "--timeout", type=int, metavar="SECONDS",
        help=f"how long pause/resume/stop wait for the state (default {DEFAULT_STATE_TIMEOUT_SECONDS})",
        **(keep or {"default": DEFAULT_STATE_TIMEOUT_SECONDS}),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wms-ops", description=__doc__.splitlines()[0])
    _global_flags(parser)
    after = _Parser(add_help=False)
    _global_flags(after, after_command=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command", parser_class=_Parser)
    command_parser = commands.add_parser

    def add_command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return command_parser(name, parents=[after], **kwargs)

    commands.add_parser = add_command  # type: ignore[method-assign]
    commands.add_parser("status", help="connector and task states, a one-line verdict")
    commands.add_parser("lag", help="Debezium lag, source connection, time since last event, snapshot progress")
    restart = commands.add_parser("restart", help="restart the failed connector and tasks")
    restart.add_argument("--all", action="store_true", help="restart the connector and every task, failed or not")
    for command, help_text in (("pause", "pause capture (the connector keeps its tasks)"),
                               ("stop", "stop the connector and its tasks (needed before changing offsets)")):
        held = commands.add_parser(command, help=help_text)
        held.add_argument("--hold", metavar="DURATION", type=_duration,
                          help="keep it so until DURATION passes (30m, 2h, 1d; at most "
                               f"{MAX_HOLD_SECONDS // 3600} h) or `release`: no health run undoes it meanwhile")
        held.add_argument("--reason", help="with --hold: why, for whoever looks (status, the health run's log)")
    commands.add_parser("resume", help="resume a paused or stopped connector (ends your own hold)")
    commands.add_parser("release", help="end the hold on the connector, whoever took it")
    offsets = commands.add_parser("offsets", help="show, reset or set the source offsets")
    offsets.add_argument("action", nargs="?", choices=("show", "reset", "set"), default="show")
    offsets.add_argument("--scn", type=int, help="with `set`: the SCN to resume from")
    offsets.add_argument("--yes", action="store_true", help="confirm `reset` or `set`")
    start_from = commands.add_parser(
        "start-from", help="stop, set the offset for an SCN, start again: every commit from that SCN on is sent"
    )
    start_from.add_argument("--scn", type=int, required=True, help="the first commit SCN to send")
    start_from.add_argument("--yes", action="store_true", help="confirm")
    for positioned in (offsets, start_from):
        positioned.add_argument("--dry-run", action="store_true",
                                help="with an SCN: print the offset it would write, change nothing")
        positioned.add_argument("--accept-unknown-open-transactions", action="store_true",
                                help="go ahead when the database cannot tell which transactions were open at the SCN")
    snapshot = commands.add_parser("snapshot", help="send Debezium's execute-snapshot signal")
    snapshot.add_argument(
        "--table", action="append", choices=CAPTURED_TABLE_NAMES, metavar="SCHEMA.TABLE",
        help=f"a captured table (repeatable; default all): {', '.join(CAPTURED_TABLE_NAMES)}",
    )
    snapshot.add_argument("--type", choices=SNAPSHOT_TYPES, default="blocking", dest="snapshot_type")
    preflight = commands.add_parser(
        "preflight", help="check the database side as the CDC user; prints the SQL that fixes what fails"
    )
    preflight.add_argument("--heartbeat-table", metavar="SCHEMA.TABLE", help="the stage's heartbeatTable, if any")
    preflight.add_argument("--use-pdb", action="store_true", help="the stage sets usePdb (dbInfo's pdb is checked)")
    preflight.add_argument("--signal-table", metavar="DATABASE.SCHEMA.TABLE",
                           help="the stage's signal.data.collection, if incremental snapshots are set up")
    preflight.add_argument("--archive-destination", metavar="LOG_ARCHIVE_DEST_N", action="append",
                           help="the stage's archiveDestinationName (repeat for several, in priority order)")
    preflight.add_argument("--rac-node", metavar="HOST[:PORT]", action="append",
                           help="the stage's racNodes (repeat for each node)")
    return parser


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, Stage]:
    args = build_parser().parse_args(list(argv))
    if args.stage is None and not args.local:
        raise UsageError("--stage is required (except with --local, which talks to the local stack's stage).")
    if args.stage is None:
        from devtools.local.settings import LOCAL_STAGE  # the local stack's code only when it is asked for

        args.stage = LOCAL_STAGE
    try:
        stage = Stage.parse(args.stage)
    except InvalidStageError as exc:
        raise UsageError(f"--stage: {exc}") from None
    if args.local and args.connect_url:
        raise UsageError("argument --connect-url: not allowed with argument --local.")
    if args.region and (args.local or args.connect_url):
        raise UsageError("--region selects the admin Lambda; it cannot be combined with --local or --connect-url.")
    if (args.bootstrap_servers or args.jmx_url or args.worker_log) and not args.connect_url:
        raise UsageError("--bootstrap-servers, --jmx-url and --worker-log go with --connect-url only.")
    if args.connect_url and not args.connect_url.startswith(("http://", "https://")):
        raise UsageError(f"--connect-url must start with http:// or https://, got {args.connect_url!r}.")
    if not 1 <= args.timeout <= MAX_STATE_TIMEOUT:
        raise UsageError(f"--timeout must be seconds from 1 to {MAX_STATE_TIMEOUT:.0f}, got {args.timeout}.")
    if args.command == "start-from" and not 1 <= args.scn <= MAX_SCN:
        raise UsageError(f"`start-from` needs --scn N, a whole number from 1 to {MAX_SCN}.")
    if args.command == "offsets":
        if args.action == "set" and (args.scn is None or not 1 <= args.scn <= MAX_SCN):
            raise UsageError(f"`offsets set` needs --scn N, a whole number from 1 to {MAX_SCN}.")
        if args.action != "set" and (args.scn is not None or args.dry_run or args.accept_unknown_open_transactions):
            raise UsageError("--scn, --dry-run and --accept-unknown-open-transactions go with `offsets set` only.")
    if args.command in ("pause", "stop"):
        if args.hold is not None and not (args.reason or "").strip():
            raise UsageError(f"`{args.command} --hold` needs --reason: whoever finds it held must learn why.")
        if args.reason and args.hold is None:
            raise UsageError("--reason goes with --hold.")
    return args, stage


# -- where the admin runs ------------------------------------------------------------------------------------------


def transport_for(
    args: argparse.Namespace, stage: Stage, environ: Mapping[str, str]
) -> LambdaTransport | DirectTransport:
    if args.local:
        from devtools.local.settings import LocalSettings, LocalStackError
        from devtools.local.stack import LocalStack

        try:
            # Only the preflight talks to the database: a malformed local.env must not block `status` or `stop`.
            settings = LocalSettings.from_environment(environ, with_database=args.command == "preflight")
        except LocalStackError as exc:
            raise UsageError(f"--local: {exc}") from None
        local = LocalStack(settings, jars_dir=Path("/nonexistent"))  # only its addresses are used
        if stage != local.stage:
            raise UsageError(f"--local talks to the local stack, whose stage is `{local.stage}`; got --stage {stage}.")
        if args.command != "preflight" and not local.worker.running():  # the preflight needs only the database
            # Said at once: retrying a Connect that is not there only makes the person wait.
            raise NotRunning(
                f"The local stack is not running (no Connect worker from {settings.data_dir}); start it with "
                "`make local`."
            )
        database = db_info_from_variables(settings.database_env)
        return DirectTransport(
            connect_url=local.connect_url, stage=stage.name, bootstrap_servers=local.bootstrap_servers,
            jmx_url=local.jmx_url, connect_deadline=DIRECT_CONNECT_DEADLINE_SECONDS,
            database_info=(lambda: database) if database else None,
            worker_log=str(local.worker_log),
        )
    if args.connect_url:
        return DirectTransport(
            connect_url=args.connect_url, stage=stage.name, bootstrap_servers=args.bootstrap_servers,
            jmx_url=args.jmx_url, connect_deadline=DIRECT_CONNECT_DEADLINE_SECONDS, worker_log=args.worker_log,
        )
    region = args.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    return LambdaTransport(
        function_name=admin_function_name(stage), region=region, timeout_seconds=args.timeout + LAMBDA_MARGIN_SECONDS,
        read_function_name=admin_read_function_name(stage),  # reads need only invoke rights on the read-only one
    )


# -- requests --------------------------------------------------------------------------------------------------------

_STATES = {"pause": "paused", "resume": "running", "stop": "stopped"}
# What a restart answers that the settled status after it needs.
_RESTART_ANSWER = ("since", "restarting", "connector_restarting")
_DURATION = re.compile(r"(\d{1,4})([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> int:
    """`30m`, `2h`, `1d` as seconds, from 1 s to the longest hold."""
    match = _DURATION.fullmatch(text.strip())
    seconds = int(match.group(1)) * _SECONDS[match.group(2)] if match else 0
    if not 1 <= seconds <= MAX_HOLD_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration from 1s to {MAX_HOLD_SECONDS // 3600}h (a number and s, m, h or d: 30m, 2h)"
        )
    return seconds


def holder() -> str:
    """Who a hold names: the person at this machine."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (a container without one): the machine still says something
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _with_holder(request: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """A request that changes the connector is held in the caller's name for its duration (wms_connector/holds.py)."""
    command = f"ops {args.command}" + (f" {args.action}" if args.command == "offsets" else "")
    return {**request, "holder": holder(), "command": command}


def requests_for(args: argparse.Namespace, name: str) -> list[dict[str, Any]]:
    """The admin requests a command makes, in order; the last one's result is what the command shows."""
    if args.command in ("status", "lag"):
        return [{"action": args.command, "name": name}]
    # After a restart or a resume the verdict waits, bounded, until the state has settled: a task that fails
    # again is reported as failing, never as the moment it was RUNNING.
    settled = {"action": "settled_status", "name": name, "timeout_seconds": args.timeout}
    if args.command == "restart":
        restart = {"action": "restart", "name": name, "include_tasks": True, "only_failed": not args.all}
        return [_with_holder(restart, args), settled]
    if args.command == "release":
        return [{"action": "release"}]
    if args.command in _STATES:
        # Resume waits for the connector only; a task that fails again is what the settled status then shows.
        change = _with_holder({"action": "set_state", "name": name, "state": _STATES[args.command],
                               "timeout_seconds": args.timeout, "require_tasks": False}, args)
        if getattr(args, "hold", None):
            change["hold"] = {"seconds": args.hold, "reason": args.reason}
        return [change, settled] if args.command == "resume" else [change]
    if args.command == "offsets":
        if args.action == "show":
            return [{"action": "offsets", "name": name}]
        if args.action == "reset":
            return [_with_holder({"action": "reset_offsets", "name": name}, args)]
        return [_with_holder({"action": "alter_offsets", "name": name, "scn": args.scn, **_position_flags(args)},
                             args)]
    if args.command == "start-from":
        start = {"action": "start_from", "name": name, "scn": args.scn, "timeout_seconds": args.timeout,
                 **_position_flags(args)}
        return [_with_holder(start, args)] + ([] if args.dry_run else [settled])
    if args.command == "preflight":
        request = {"action": "preflight", "use_pdb": args.use_pdb}
        optional = {"heartbeat_table": args.heartbeat_table, "signal_table": args.signal_table,
                    "archive_destination_name": args.archive_destination,
                    "rac_nodes": args.rac_node}
        return [{**request, **{key: value for key, value in optional.items() if value}}]
    return [{"action": "signal_snapshot", "name": name, "tables": args.table, "snapshot_type": args.snapshot_type}]


def _position_flags(args: argparse.Namespace) -> dict[str, bool]:
    return {"dry_run": args.dry_run, "accept_unknown_open_transactions": args.accept_unknown_open_transactions}


def confirmation_missing(args: argparse.Namespace) -> str | None:
    if args.command == "start-from" and not args.yes and not args.dry_run:
        return (
            f"Refused: `start-from` would stop the connector, point it at SCN {args.scn} (every transaction that "
            f"commits at SCN {args.scn} or later is sent, whole, including ones sent before; none committed before "
            "it) and start it. `--dry-run` shows the offset; add --yes to do it."
        )
    if args.command == "offsets" and args.action == "set" and args.dry_run:
        return None
    if args.command == "offsets" and args.action in ("reset", "set") and not args.yes:
        what = (
            "forget the connector's source offsets: its next start snapshots every table again (consumers see "
            "every row again)"
            if args.action == "reset"
            else f"make the connector send every transaction that commits at SCN {args.scn} or later, whole"
        )
        return f"Refused: `offsets {args.action}` would {what}. The connector must be STOPPED. Add --yes to do it."
    return None


# -- running ---------------------------------------------------------------------------------------------------------


def _invoke(transport: LambdaTransport | DirectTransport, request: dict[str, Any], lambda_client: Any) -> Any:
    if isinstance(transport, LambdaTransport):
        return transport.invoke(request, client=lambda_client)
    return transport.invoke(request)


def _say(text: str, stream: TextIO) -> None:
    """Everything ops prints goes through the redaction rule (a URL's credentials, a salt)."""
    print(redact(text), file=stream)


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    lambda_client: Any = None,  # a Lambda client to use instead of a new one (tests)
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    environ = os.environ if environ is None else environ
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, stage = parse(argv)
        transport = transport_for(args, stage, environ)
    except (UsageError, NotRunning) as exc:
        kind, code = ("UsageError", USAGE) if isinstance(exc, UsageError) else ("NotRunning", UNHEALTHY)
        if "--json" in argv:  # asked for JSON: one object on stdout, even when the command line cannot run
            _say(json.dumps(error_response(kind, str(exc))), out)
        _say(f"error: {exc}", err)
        return code
    hint = stage_hint(stage)
    if hint:
        _say(f"warning: {hint}", err)
    refusal = confirmation_missing(args)
    if refusal:
        if args.json:
            _say(json.dumps(error_response("Refused", refusal)), out)
        _say(refusal, err)
        return UNHEALTHY
    name = StageTopics(stage).connector_name
    try:
        results = []
        for request in requests_for(args, name):
            if request["action"] == "settled_status" and results and isinstance(results[-1], Mapping):
                # After a restart, the settled status waits for the attempt the restart made (reconciler.settle).
                request = {**request, **{k: v for k, v in results[-1].items() if k in _RESTART_ANSWER}}
            results.append(_invoke(transport, {**request, "stage": stage.name}, lambda_client))
    except AdminCallFailed as exc:
        if args.json:
            _say(json.dumps(error_response(exc.kind, exc.message, exc.fields)), out)
        _say(f"error ({exc.kind}): {exc.message}", err)
        return USAGE if exc.kind in _USAGE_ERRORS else UNHEALTHY
    result = results[-1]
    code, lines = render(args, result, name, stage, results[:-1])
    if args.json:
        # The verdict is the last line printed for people; scripts get it as data, with the exit code's `ok`.
        _say(json.dumps({"ok": code == OK, "verdict": lines[-1], "result": result}, indent=2, sort_keys=True), out)
    else:
        _say("\n".join(lines), out)
    return code


if __name__ == "__main__":
    sys.exit(main())

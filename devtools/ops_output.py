"""What `ops` prints for people: the status and its one-line verdict, lag, offsets, and the exit code each command's
result earns (0 exactly when the verdict printed starts with OK)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from wms_connector.connect_status import ConnectorStatus, short_trace, status_lines
from wms_connector.preflight import render as render_preflight
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_TABLE_NAMES

OK, UNHEALTHY, USAGE = 0, 1, 2


def verdict(
    status: Mapping[str, Any] | None, name: str, not_started: list[str] | None = None, *, local: bool = False
) -> tuple[bool, str]:
    """(healthy, one line) for a connector status as the admin returns it (None: not registered); `not_started`
    lists the RUNNING tasks whose worker exports no Debezium metrics (their start is being retried); `local`: the
    connector is the local stack's (registered by `make local`, not by `pulumi up`)."""
    if status is None:
        again = "`make local` registers it again" if local else "`pulumi up` registers it again"
        return False, f"MISSING: connector {name} is not registered; {again}."
    state, tasks = status.get("state"), status.get("tasks") or []
    failed = [t for t in tasks if t.get("state") == "FAILED"]
    if state == "FAILED" or failed:
        which = "the connector" if state == "FAILED" else ", ".join(f"task {t['id']}" for t in failed)
        return False, f"UNHEALTHY: {which} FAILED; read the trace, fix the cause, then `restart`."
    if state in ("PAUSED", "STOPPED"):
        return False, f"NOT CAPTURING: the connector is {state} on purpose? `resume` when done."
    if state == "RUNNING" and tasks and all(t.get("state") == "RUNNING" for t in tasks):
        if not_started:
            which = ", ".join(f"task {task}" for task in not_started)
            return False, (
                f"NOT CAPTURING: {which} RUNNING, but Debezium has not started (no metrics): it retries a failed "
                "start on its own (the cause above is the newest from the worker log); fix it, it then starts alone."
            )
        return True, f"OK: connector and {len(tasks)} task(s) RUNNING."
    others = ", ".join(f"task {t['id']} {t.get('state')}" for t in tasks) or "no tasks"
    return False, f"NOT RUNNING: connector {state}, {others} (a rebalance or deploy settles within minutes)."


def render_status(
    status: Mapping[str, Any] | None, name: str, stage: Stage, causes: Mapping[str, list[str]] | None = None
) -> list[str]:
    if status is None:
        return [f"connector {name} (stage {stage}): absent"]
    title = f"connector {name} (stage {stage})"
    lines = status_lines(ConnectorStatus.from_dict(status), title=title, trace=short_trace)
    for task, cause in sorted((causes or {}).items()):
        # Debezium's trace is only a NullPointerException, or the task runs while Debezium retries its start; the
        # worker logged what really happened. It goes under the task's line and its trace line, if any.
        at = next(i for i, line in enumerate(lines) if line.startswith(f"  task {task}:")) + 1
        at += at < len(lines) and lines[at].startswith("    trace:")
        lines[at:at] = [f"    cause (worker log): {cause[0]}", *(f"      {line}" for line in cause[1:])]
    return lines


def _ms(value: float | None) -> str:
    return "not reported" if value is None else f"{value:,.0f} ms"


def lag_verdict(lag: Mapping[str, Any]) -> tuple[bool, str]:
    failed = sorted(task for task, state in (lag.get("tasks") or {}).items() if state == "FAILED")
    if failed:
        return False, f"UNHEALTHY: {', '.join(f'task {t}' for t in failed)} FAILED; see `status`."
    if lag.get("error"):
        return False, f"UNKNOWN: {lag['error']}"
    if not lag.get("debezium_metrics_seen"):
        return False, (
            f"NOT CAPTURING: the worker exports no Debezium metrics (connector {lag.get('state')}): its task is not "
            "streaming; see `status`."
        )
    if lag.get("connected") is False:
        return False, "NOT CONNECTED: Debezium has no database connection; see `status` and the worker log."
    return True, f"OK: connected, {_ms(lag.get('lag_ms'))} behind the source."


def render_lag(lag: Mapping[str, Any]) -> list[str]:
    connected = {True: "yes", False: "no", None: "not reported"}[lag.get("connected")]
    snapshot = lag.get("snapshot_running")
    if snapshot is None:
        progress = "not reported"
    elif snapshot:
        remaining = lag.get("snapshot_tables_remaining")
        progress = "running" + ("" if remaining is None else f", {remaining:.0f} table(s) remaining")
    else:
        progress = "not running"
    return [
        f"exporter                    : {lag.get('exporter')}",
        f"connector state             : {lag.get('state')}"
        + "".join(f", task {task} {state}" for task, state in sorted((lag.get("tasks") or {}).items())),
        f"Connected                   : {connected}",
        f"MilliSecondsBehindSource    : {_ms(lag.get('lag_ms'))}",
        f"MilliSecondsSinceLastEvent  : {_ms(lag.get('ms_since_last_event'))}",
        f"snapshot                    : {progress}",
    ]


def render_offsets(result: Mapping[str, Any]) -> list[str]:
    entries = result.get("offsets") or []
    if not entries:
        return ["no source offsets: the connector has committed none yet (its next start snapshots per snapshot.mode)"]
    lines = []
    for entry in entries:
        partition = ", ".join(f"{k}={v}" for k, v in sorted((entry.get("partition") or {}).items()))
        lines.append(f"partition {partition}")
        lines.extend(f"  {k} = {v}" for k, v in sorted((entry.get("offset") or {}).items()))
    return lines


def render_hold(hold: Mapping[str, Any] | None) -> list[str]:
    if not hold:
        return []
    return [
        f"held by {hold['holder']} ({hold['command']}) until {hold['until']} ({hold['minutesLeft']} min left): "
        f"{hold['reason']}",
        "  no health run restarts or repairs it meanwhile; `ops release` ends the hold.",
    ]


def render_position(result: Mapping[str, Any]) -> list[str]:
    """The offset a start position writes (or would), what it rests on, and its warnings."""
    position = result.get("position") or {}
    offset = ", ".join(f"{k}={v}" for k, v in sorted((result.get("offset") or {}).items()))
    lines = [f"offset {'to write' if result.get('dryRun') else 'written'}: {offset}"]
    oldest = position.get("oldestOpen")
    if oldest:
        lines.append(
            f"  {position.get('openTransactions')} transaction(s) open at SCN {position.get('scn')}; the oldest, "
            f"{oldest['xid']}, started at SCN {oldest['startScn']}: mining starts just before it."
        )
    elif position.get("known"):
        lines.append(f"  no transaction was open at SCN {position.get('scn')}.")
    if not position.get("known", True):
        lines.append(f"  UNCHECKED: {position.get('unknownReason')}")
    lines.extend(f"  WARNING: {warning}" for warning in result.get("warnings") or [])
    return lines


def render(
    args: argparse.Namespace, result: Any, name: str, stage: Stage, earlier: list[Any] | None = None
) -> tuple[int, list[str]]:
    """Exit code and lines for a command's last result (`earlier`: the results of the requests before it)."""
    if args.command == "release":
        released = result.get("released")
        if not released:
            return OK, ["OK: no hold was in force."]
        return OK, [f"OK: ended the hold of {released['holder']} ({released['command']}): {released['reason']}. The "
                    "health run restarts and repairs again from its next run."]
    if getattr(args, "dry_run", False):
        return OK, [*render_position(result), "OK: nothing changed (--dry-run); run it with --yes to write it."]
    if args.command == "lag":
        healthy, line = lag_verdict(result)
        return (OK if healthy else UNHEALTHY), [*render_lag(result), line]
    if args.command == "offsets":
        if args.action == "show":
            return OK, [*render_offsets(result), f"OK: the source offsets Connect holds for {name}."]
        if args.action == "reset":
            return OK, [f"OK: offsets of {name} reset: `resume` starts it, and it snapshots again per snapshot.mode."]
        return OK, [*render_position(result), f"OK: offset of {name} set; `resume` starts it from there."]
    if args.command == "preflight":
        return (OK if result.get("ok") else UNHEALTHY), render_preflight(result)
    if args.command == "snapshot":
        tables = ", ".join(args.table or CAPTURED_TABLE_NAMES)
        lines = [
            f"Sent execute-snapshot ({args.snapshot_type}) for {tables}",
            f"  to {result['topic']} partition {result['partition']} offset {result['offset']}, key {result['key']}, "
            f"id {result['id']}.",
        ]
        state = str(result.get("state", "unknown")).upper()
        if state != "RUNNING":
            return UNHEALTHY, [*lines, f"NOT CAPTURING: the connector is {state}: Debezium acts on the signal only "
                                       "once it runs again (`resume`); until then nothing is snapshotted."]
        return OK, [*lines, "OK: signal sent; follow it with `lag` (snapshot progress) and the worker log."]
    status = result.get("status")
    wanted = {"pause": "PAUSED", "stop": "STOPPED"}.get(args.command)
    hold = result.get("hold")
    if wanted:
        healthy, line = state_verdict(status, name, wanted, hold)
    else:
        healthy, line = verdict(status, name, result.get("not_started"), local=getattr(args, "local", False))
    position = render_position(earlier[0]) if args.command == "start-from" and earlier else []
    lines = [*position, *render_status(status, name, stage, result.get("causes")), *render_hold(hold)]
    # Locally (`--local`, `--connect-url`) no health run watches the connector: nothing to warn of.
    if wanted and not hold and not (getattr(args, "local", False) or getattr(args, "connect_url", None)):
        lines.append(undone_warning(wanted))
    # The exit code is the verdict's: 0 exactly when the line printed starts with OK.
    return (OK if healthy else UNHEALTHY), [*lines, line]


def state_verdict(
    status: Mapping[str, Any] | None, name: str, wanted: str, hold: Mapping[str, Any] | None = None
) -> tuple[bool, str]:
    """(healthy, one line) after `pause` or `stop`: the state asked for, with nothing FAILED, is what was wanted."""
    if status is None or status.get("state") != wanted:
        return verdict(status, name)
    failed = [t for t in status.get("tasks") or [] if t.get("state") == "FAILED"]
    if failed:
        which = ", ".join(f"task {t.get('id')}" for t in failed)
        return False, f"UNHEALTHY: {wanted}, but {which} FAILED."
    if hold:
        return True, f"OK: connector {wanted}, as asked, and held until {hold['until']}; `resume` when done."
    return True, f"OK: connector {wanted}, as asked; `resume` when done."


def undone_warning(wanted: str) -> str:
    """Said after every pause or stop without a hold where a health run watches, whatever the verdict: the
    health check's reconciliation puts the declared state back unless told otherwise. Now, not at 3 a.m."""
    return (
        f"note: unless the stack declares it {wanted.lower()} (or repairDrift is off), the next health run puts the "
        "declared state back: `--hold 2h --reason …` keeps it."
    )

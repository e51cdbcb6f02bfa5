"""The admin's JSON protocol: `{"action": …, …}` in, `{"ok": true, "result": …}` or `{"ok": false, "error":
{"type", "message", "fields"}}` out. The admin Lambda and the provider's direct transport speak it; errors come
back as data, never as tracebacks, so the caller can show them to a person as they are. `unwrap` is the other
side: a response's result, or `AdminCallFailed` carrying its error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from wms_connector.admin.access import READ_ACTIONS, is_read_action
from wms_connector.admin.checks import check_config, check_timeout
from wms_connector.admin.errors import AdminError, BadRequest, Refused
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.reconciler import connector_state
from wms_connector.connect_client import ConnectError, ConnectUnreachable
from wms_connector.connect_rules import DEFAULT_SETTLE_SECONDS, DEFAULT_STATE_TIMEOUT, MAX_SETTLE_SECONDS
from wms_connector.connect_status import ConnectorStatus, FieldErrors
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.redaction import redact, redact_data, shown
from wms_connector.topic_admin import TopicDeletionRefused


class AdminCallFailed(Exception):
    """An admin request failed; `kind` is the admin's error type, `fields` any per-field errors."""

    def __init__(self, kind: str, message: str, fields: Mapping[str, list[str]] | None = None):
        self.kind = kind
        self.message = message
        self.fields = dict(fields or {})
        super().__init__(f"{kind}: {message}")


def ok_response(result: Any) -> dict[str, Any]:
    """The result envelope; credentials in any value (a trace, a URL) are redacted, keys are kept."""
    return {"ok": True, "result": redact_data(result, keys=False)}


def error_response(kind: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The error envelope; its message and fields pass the redaction rule, whatever raised them."""
    return {
        "ok": False,
        "error": {"type": kind, "message": redact(message), "fields": redact_data(dict(fields or {}))},
    }


def unwrap(response: Any) -> Any:
    """The result of an admin response, or AdminCallFailed with its error."""
    if not isinstance(response, Mapping) or "ok" not in response:
        raise AdminCallFailed(
            "BadResponse", f"The connector admin answered with something unexpected: {shown(response, 300)}"
        )
    if response["ok"]:
        return response.get("result")
    error = response.get("error") or {}
    raise AdminCallFailed(
        str(error.get("type", "AdminError")), str(error.get("message", "no message")), error.get("fields")
    )


def handle(admin: ConnectorAdmin, request: Mapping[str, Any], *, read_only: bool = False) -> dict[str, Any]:
    """Run one request: `{"action": …, …}` → `{"ok": true, "result": …}` or `{"ok": false, "error": …}`. A
    `read_only` admin (the stage's read function) refuses every action that changes something (access.py)."""
    try:
        if not isinstance(request, Mapping):
            raise BadRequest(f"A request must be a JSON object, got {type(request).__name__}.")
        action = request.get("action")
        operation = _ACTIONS.get(action) if isinstance(action, str) else None
        if operation is None:
            raise BadRequest(f"Unknown action {shown(action, 60)}; allowed: {', '.join(sorted(_ACTIONS))}.")
        if read_only and not is_read_action(action):
            raise Refused(
                f"Action `{action}` changes the connector; this is the stage's read-only admin function, which "
                f"serves only {', '.join(sorted(READ_ACTIONS))}. Changes go through the stage's admin function."
            )
        requested_stage = request.get("stage")
        if requested_stage is not None and requested_stage != admin.stage.name:
            raise BadRequest(
                f"Request is for stage {requested_stage!r} but this admin serves stage `{admin.stage}`."
            )
        return ok_response(operation(admin, request))
    except AdminError as exc:
        return error_response(exc.type, exc.message, exc.fields)
    except TopicDeletionRefused as exc:
        return error_response("TopicDeletionRefused", str(exc))
    except ConnectUnreachable as exc:
        return error_response("ConnectUnreachable", str(exc))
    except ConnectError as exc:
        return error_response("ConnectError", str(exc))
    except Exception as exc:  # the protocol boundary: the caller gets a message, not a traceback
        return error_response(type(exc).__name__, str(exc) or repr(exc))


def _flag(request: Mapping[str, Any], key: str, default: bool) -> bool:
    value = request.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"Request field `{key}` must be true or false, got {value!r}.")
    return value


def _settle_seconds(request: Mapping[str, Any]) -> float:
    value = request.get("settle_seconds", DEFAULT_SETTLE_SECONDS)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SETTLE_SECONDS:
        raise BadRequest(
            f"Request field `settle_seconds` must be seconds from 0 to {MAX_SETTLE_SECONDS:.0f}, got {value!r}."
        )
    return float(value)


def _option(request: Mapping[str, Any], key: str, option: str) -> Any:
    """A request field that carries a connector option, checked as the stack config checks it."""
    value = request.get(key)
    if value is None:
        return None
    try:
        return getattr(ConnectorOptions.from_config({option: value}), _OPTION_FIELDS[option])
    except ConnectorOptionsError as exc:
        raise BadRequest(f"Request field `{key}`: {exc}") from None


_OPTION_FIELDS = {
    "heartbeatTable": "heartbeat_table", "archiveDestinationName": "archive_destination_name", "racNodes": "rac_nodes",
}


_SIGNAL_TABLE = re.compile(r"(?:[A-Za-z][A-Za-z0-9_$#]{0,127}\.)?([A-Z][A-Z0-9_$#]{0,127}\.[A-Z][A-Z0-9_$#]{0,127})")


def _signal_table(request: Mapping[str, Any]) -> str | None:
    """`signal.data.collection` as the stage sets it (`DATABASE.SCHEMA.TABLE`), as SCHEMA.TABLE."""
    value = request.get("signal_table")
    if value is None:
        return None
    match = _SIGNAL_TABLE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise BadRequest(
            f"Request field `signal_table` = {shown(value)}: allowed `DATABASE.SCHEMA.TABLE` or `SCHEMA.TABLE`, "
            "schema and table in upper case."
        )
    return match.group(1)


def _preflight(admin: ConnectorAdmin, request: Mapping[str, Any]) -> dict[str, Any]:
    return admin.preflight(
        _option(request, "heartbeat_table", "heartbeatTable"),
        _flag(request, "use_pdb", False),
        archive_destination_name=_option(request, "archive_destination_name", "archiveDestinationName") or (),
        rac_nodes=_option(request, "rac_nodes", "racNodes") or (),
        signal_table=_signal_table(request),
    )


def _after_restart(request: Mapping[str, Any]) -> dict[str, Any]:
    """What a `restart` answered, passed on to the settled status that follows it (reconciler.py's `settle`)."""
    since, restarting = request.get("since"), request.get("restarting", [])
    if since is not None and not (isinstance(since, Mapping) and all(
            isinstance(k, str) and k.isdigit() and isinstance(v, int) and not isinstance(v, bool)
            for k, v in since.items())):
        raise BadRequest("Request field `since` must be an object of partition numbers to offsets, as `restart` "
                         "answers it.")
    if not isinstance(restarting, list) or not all(isinstance(t, int) and not isinstance(t, bool)
                                                   for t in restarting):
        raise BadRequest("Request field `restarting` must be a list of task ids, as `restart` answers it.")
    return {"since": since, "restarting": restarting,
            "connector_restarting": _flag(request, "connector_restarting", False)}


def _timeout(request: Mapping[str, Any]) -> float:
    return check_timeout(request.get("timeout_seconds", DEFAULT_STATE_TIMEOUT))


def _status_result(admin: ConnectorAdmin, status: ConnectorStatus | None) -> dict[str, Any]:
    result = {"state": connector_state(status), "status": status.to_dict() if status else None}
    hold = admin.hold()
    if hold:
        result["hold"] = hold
    causes = admin.hidden_causes(status)
    retrying = admin.start_retries(status)
    if retrying is not None:
        result["not_started"] = sorted(retrying, key=int)
        causes = {**causes, **{task: lines for task, lines in retrying.items() if lines}}
    if causes:
        result["causes"] = {task: [redact(line) for line in lines] for task, lines in causes.items()}
    return result


def _set_state(admin: ConnectorAdmin, request: Mapping[str, Any]) -> dict[str, Any]:
    """A state change; with `hold` ({"seconds", "reason"}) a standing hold is taken first and kept (`ops pause
    --hold`), and a resume by the holder of a standing hold ends it."""
    name, state, holder = request.get("name"), request.get("state"), request.get("holder")
    timeout, require_tasks = _timeout(request), _flag(request, "require_tasks", True)
    standing = request.get("hold")
    if standing is not None:
        if not isinstance(standing, Mapping):
            raise BadRequest("Request field `hold` must be an object with `seconds` and `reason`.")
        command = f"{request.get('command') or 'set_state'} --hold"
        taken = admin.take_hold(holder, standing.get("reason"), standing.get("seconds"), command)
        try:
            status = admin.set_state(name, state, timeout=timeout, require_tasks=require_tasks)
        except BaseException:
            admin.control.holds.release(taken)
            raise
        return {**_status_result(admin, status), "hold": admin.hold()}
    with admin.holding(holder, _command(request), timeout, request.get("reason")) as hold:
        status = admin.set_state(name, state, timeout=timeout, require_tasks=require_tasks)
    if state == "running" and hold is not None and hold.standing:
        admin.control.holds.release(hold)  # resuming is the end of what the holder held it for
    return _status_result(admin, status)


def _command(request: Mapping[str, Any]) -> str:
    command = request.get("command")
    return command if isinstance(command, str) and command.isprintable() and len(command) <= 80 else str(
        request.get("action"))


Operation = Callable[[ConnectorAdmin, Mapping[str, Any]], Any]


def _held(operation: Operation) -> Operation:
    """An action that changes the connector, run under a hold (the caller's standing one, or one for its
    duration): refused while someone else holds the connector, and no health run acts while it runs."""
    def run(admin: ConnectorAdmin, request: Mapping[str, Any]) -> Any:
        with admin.holding(request.get("holder"), _command(request), _timeout(request), request.get("reason")):
            return operation(admin, request)

    return run


_ACTIONS: dict[str, Operation] = {
    "server_info": lambda admin, r: admin.connect.server_info(),
    "validate": lambda admin, r: _validation_result(admin.validate(check_config(r.get("config")))),
    "apply": _held(lambda admin, r: _validation_result(
        admin.apply(
            r.get("name"),
            check_config(r.get("config")),
            allow_unreachable_database=_flag(r, "allow_unreachable_database", False),
        )
    )),
    "ensure": _held(lambda admin, r: admin.ensure(
        r.get("name"),
        check_config(r.get("config")),
        r.get("state", "running"),
        timeout=_timeout(r),
        allow_unreachable_database=_flag(r, "allow_unreachable_database", False),
        start_scn=r.get("start_scn"),
        accept_unknown=_flag(r, "accept_unknown_open_transactions", False),
    )),
    "set_state": _set_state,
    "restart": _held(lambda admin, r: admin.restart(
        r.get("name"),
        include_tasks=_flag(r, "include_tasks", True),
        only_failed=_flag(r, "only_failed", True),
    )),
    # The status once a restart or resume has settled (reconciler.py's `settle`): what a verdict is taken on.
    "settled_status": lambda admin, r: _status_result(
        admin,
        admin.settle(r.get("name"), settle_seconds=_settle_seconds(r), timeout=_timeout(r), **_after_restart(r)),
    ),
    "status": lambda admin, r: _status_result(admin, admin.status(r.get("name"))),
    "read": lambda admin, r: admin.read(r.get("name")),
    "delete": _held(lambda admin, r: {"deleted": admin.delete(r.get("name"))}),
    "delete_stage_topics": lambda admin, r: admin.delete_stage_topics(),
    "offsets": lambda admin, r: admin.offsets(r.get("name")),
    "reset_offsets": _held(lambda admin, r: admin.reset_offsets(r.get("name"))),
    "alter_offsets": _held(lambda admin, r: admin.alter_offsets(
        r.get("name"), r.get("scn"), accept_unknown=_flag(r, "accept_unknown_open_transactions", False),
        dry_run=_flag(r, "dry_run", False),
    )),
    "start_from": _held(lambda admin, r: admin.start_from(
        r.get("name"), r.get("scn"), timeout=_timeout(r),
        accept_unknown=_flag(r, "accept_unknown_open_transactions", False), dry_run=_flag(r, "dry_run", False),
    )),
    "release": lambda admin, r: admin.release_hold(),
    "lag": lambda admin, r: admin.lag(r.get("name")),
    "preflight": _preflight,
    "signal_snapshot": lambda admin, r: admin.signal_snapshot(
        r.get("name"), r.get("tables"), r.get("snapshot_type", "blocking")
    ),
}


def _validation_result(result: FieldErrors) -> dict[str, Any]:
    return {"error_count": result.error_count, "errors": result.errors}

"""The admin function's log line for each request: who asked for what on which connector and how it ended, and for
a change, what changed: the config's keys and a hash of it, the state, the SCN, the tables; never a value (a
config may carry a hash salt in a key name, which is hidden like everywhere else). CloudTrail's Lambda data events
record which principal invoked the function (docs/security.md); this line records what the invocation did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from wms_connector.admin.access import is_read_action
from wms_connector.redaction import redact

# Request fields that say what a change was, logged as they are once they pass a shape check below.
_PLAIN_FIELDS = ("state", "holder", "command", "scn", "snapshot_type", "dry_run", "include_tasks", "only_failed")
_MAX_FIELD = 200


def config_digest(config: Mapping[str, Any]) -> str:
    """SHA-256 of the config as canonical JSON: two invocations with the same config log the same digest."""
    return hashlib.sha256(json.dumps(dict(config), sort_keys=True, default=str).encode()).hexdigest()


def audit_line(event: Any, response: Mapping[str, Any], *, stage: str, read_only: bool) -> dict[str, Any]:
    """What was asked and how it ended, as one JSON-able object."""
    request = event if isinstance(event, Mapping) else {}
    action = request.get("action")
    line: dict[str, Any] = {
        "audit": "wms-connector-admin",
        "stage": stage,
        "function": "read" if read_only else "write",
        "action": action if isinstance(action, str) and len(action) <= 40 else None,
        "connector": _short(request.get("name")),
        "ok": bool(response.get("ok")),
    }
    if not response.get("ok"):
        line["error"] = (response.get("error") or {}).get("type")
    if is_read_action(action):
        return line
    changed: dict[str, Any] = {k: _short(request[k]) for k in _PLAIN_FIELDS if k in request}
    config = request.get("config")
    if isinstance(config, Mapping):
        changed["configKeys"] = sorted(redact(str(k)) for k in config)
        changed["configSha256"] = config_digest(config)
    tables = request.get("tables")
    if isinstance(tables, list):
        changed["tables"] = [_short(t) for t in tables[:50]]
    if action == "delete_stage_topics" and response.get("ok"):
        changed["topicCleanup"] = response.get("result")
    line["changed"] = changed
    return line


def _short(value: Any) -> Any:
    """A request field as logged: numbers and booleans as they are, text redacted and bounded."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))[:_MAX_FIELD]

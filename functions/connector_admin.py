"""Lambda entry point of the connector admin: one JSON request in, one JSON response out (the protocol is
wms_connector/admin/protocol.py). Runs in the VPC, next to Connect REST and MSK."""

from __future__ import annotations

import json
import os
from typing import Any

from wms_connector.admin.environment import AdminEnvironment, build_admin
from wms_connector.admin.errors import AdminError
from wms_connector.admin.protocol import error_response, handle

_ADMIN = None  # reused while the Lambda stays warm (the CA certificate is fetched once)


def _admin():
    global _ADMIN
    if _ADMIN is None:
        environment = AdminEnvironment.from_env(os.environ)
        acm_pca = None
        if environment.connect_ca_arn and not environment.connect_ca:
            import boto3

            acm_pca = boto3.client("acm-pca")
        _ADMIN = build_admin(environment, acm_pca=acm_pca)
    return _ADMIN


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    try:
        admin = _admin()
    except AdminError as exc:
        return error_response(exc.type, exc.message, exc.fields)
    except Exception as exc:  # e.g. the CA certificate could not be fetched: report it, readably
        return error_response(type(exc).__name__, str(exc))
    response = handle(admin, event)
    print(json.dumps(_log_line(event, response), sort_keys=True))
    return response


def _log_line(event: Any, response: dict[str, Any]) -> dict[str, Any]:
    """What was asked and how it ended; never the connector config (it may hold a hash salt)."""
    line: dict[str, Any] = {"action": event.get("action") if isinstance(event, dict) else None, "ok": response["ok"]}
    if not response["ok"]:
        line["error"] = response["error"]["type"]
    elif line["action"] == "delete_stage_topics":
        line["topicCleanup"] = response["result"]
    return line

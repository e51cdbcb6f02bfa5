"""Lambda entry point of the connector admin: one JSON request in, one JSON response out (the protocol is
wms_connector/admin/protocol.py), one audit line logged (wms_connector/admin/audit.py). Runs in the VPC, next to
Connect REST and MSK; the stage's read-only function (ADMIN_ACCESS=read) runs the same code and serves only the
actions that change nothing."""

from __future__ import annotations

import json
import os
from typing import Any

from wms_connector.admin.audit import audit_line
from wms_connector.admin.environment import AdminEnvironment, build_admin
from wms_connector.admin.errors import AdminError
from wms_connector.admin.protocol import error_response, handle

_ADMIN = None  # reused while the Lambda stays warm (the CA certificate is fetched once)
_READ_ONLY = False


def _admin():
    global _ADMIN, _READ_ONLY
    if _ADMIN is None:
        environment = AdminEnvironment.from_env(os.environ)
        _READ_ONLY = environment.read_only
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
    response = handle(admin, event, read_only=_READ_ONLY)
    line = audit_line(event, response, stage=admin.stage.name, read_only=_READ_ONLY)
    print(json.dumps(line, sort_keys=True))
    return response

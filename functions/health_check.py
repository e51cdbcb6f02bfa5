"""Lambda entry point of the health check and of the credential-rotation redeploy (one function, two triggers:
the schedule, and EventBridge on changes of the dbInfo secret)."""

from __future__ import annotations

import json
import os
from typing import Any

from wms_connector.health.clients import build_clients, ecs_client
from wms_connector.health.config import HealthConfig
from wms_connector.health.log_guard import hold_wire_loggers_at_info
from wms_connector.health.rotation import handle_secret_change, is_secret_change_event
from wms_connector.health.runner import HealthRun


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    hold_wire_loggers_at_info()
    config = HealthConfig.from_env(os.environ)
    if is_secret_change_event(event):
        import boto3

        outcome = handle_secret_change(
            event, config.db_secret_arn, ecs_client(), config.ecs_cluster, config.ecs_service,
            boto3.client("secretsmanager"),
        )
        print(json.dumps(outcome.to_log(), sort_keys=True))
        return outcome.to_log()
    return HealthRun(config, build_clients(config)).run()

"""Replace the Connect service's tasks with fresh ones (same task definition), as ECS does on a deploy.

Used when the REST API is down (a restart through the API is impossible then) and after the database
credentials change (ECS resolves secrets only when a task starts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def force_new_deployment(ecs: Any, cluster: str, service: str) -> str:
    """Returns the id of the new deployment."""
    answer = ecs.update_service(cluster=cluster, service=service, forceNewDeployment=True)
    deployments = answer.get("service", {}).get("deployments", [])
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    return str((primary or deployments or [{}])[0].get("id", ""))


def primary_deployment(ecs: Any, cluster: str, service: str) -> tuple[str, datetime] | None:
    """Id and start time of the deployment whose tasks the service is moving to, if the service has one."""
    services = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    deployments = services[0].get("deployments", []) if services else []
    primary = [d for d in deployments if d.get("status") == "PRIMARY" and d.get("createdAt")]
    return (str(primary[0].get("id", "")), primary[0]["createdAt"]) if primary else None

"""Replace the Connect service's tasks with fresh ones (same task definition), as ECS does on a deploy.

Used when the REST API is down (a restart through the API is impossible then) and after the database
credentials change (ECS resolves secrets only when a task starts).
"""

from __future__ import annotations

from typing import Any


def force_new_deployment(ecs: Any, cluster: str, service: str) -> str:
    """Returns the id of the new deployment."""
    answer = ecs.update_service(cluster=cluster, service=service, forceNewDeployment=True)
    deployments = answer.get("service", {}).get("deployments", [])
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    return str((primary or deployments or [{}])[0].get("id", ""))

"""Desired versus running task count of the Connect service, and whether a deployment is rolling out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


@dataclass(frozen=True)
class EcsFindings:
    desired: int | None = None
    running: int | None = None
    pending: int | None = None
    deployment_in_progress: bool = False
    error: str | None = None
    # The ECS API itself failed (throttling, permissions): nothing is known about the service, good or bad.
    unknown: bool = False

    @property
    def healthy(self) -> bool:
        return self.error is None and self.desired is not None and (self.running or 0) >= self.desired


def check_ecs_service(ecs: Any, cluster: str, service: str) -> EcsFindings:
    try:
        answer = ecs.describe_services(cluster=cluster, services=[service])
    except ClientError as exc:
        gone = exc.response.get("Error", {}).get("Code") == "ClusterNotFoundException"
        return EcsFindings(error=f"DescribeServices failed: {exc}", unknown=not gone)
    except BotoCoreError as exc:
        return EcsFindings(error=f"DescribeServices failed: {exc}", unknown=True)
    found = [s for s in answer.get("services", []) if s.get("status") == "ACTIVE"]
    if not found:
        reasons = ", ".join(f.get("reason", "?") for f in answer.get("failures", [])) or "not ACTIVE"
        return EcsFindings(error=f"ECS service {service} in cluster {cluster}: {reasons}")
    svc = found[0]
    rolling = (
        any(d.get("status") == "PRIMARY" and d.get("rolloutState") == "IN_PROGRESS" for d in svc.get("deployments", []))
        or len([d for d in svc.get("deployments", []) if d.get("status") in ("PRIMARY", "ACTIVE")]) > 1
    )
    return EcsFindings(
        desired=int(svc.get("desiredCount", 0)),
        running=int(svc.get("runningCount", 0)),
        pending=int(svc.get("pendingCount", 0)),
        deployment_in_progress=rolling,
    )

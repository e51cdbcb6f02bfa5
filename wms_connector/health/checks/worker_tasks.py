"""Where the Connect workers run right now: the private IPs of the service's running tasks.

The JMX exporter listens on each worker, not behind the load balancer, and Fargate task IPs change with every
deployment, so the health check asks ECS for them on each run.
"""

from __future__ import annotations

from typing import Any

from wms_connector.worker_env import TASK_IP_PLACEHOLDER, exporter_url


def running_task_ips(ecs: Any, cluster: str, service: str) -> list[str]:
    arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="RUNNING").get("taskArns", [])
    if not arns:
        return []
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns).get("tasks", [])
    ips = []
    for task in tasks:
        if task.get("lastStatus") == "STOPPED":
            continue
        for attachment in task.get("attachments", []):
            for detail in attachment.get("details", []):
                if detail.get("name") == "privateIPv4Address" and detail.get("value"):
                    ips.append(detail["value"])
    return sorted(set(ips))


def exporter_urls(template: str, ecs: Any, cluster: str, service: str) -> list[str]:
    """`template` as is, or once per running task when it contains `{task_ip}`."""
    if TASK_IP_PLACEHOLDER not in template:
        return [template]
    return [exporter_url(template, ip) for ip in running_task_ips(ecs, cluster, service)]

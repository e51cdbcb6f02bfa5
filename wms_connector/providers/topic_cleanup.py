"""`StageTopicCleanup`: a dynamic resource that does nothing until it is deleted, and then deletes exactly its
ephemeral stage's topics through the connector admin, reporting what it deleted.

Created only on ephemeral stacks; its check refuses a named stage, and so does the guard where the deletion
happens (wms_connector/topic_admin.py). The stack orders it so its delete runs after the Connect workers are gone
(a live worker recreates its internal topics) and before the admin Lambda is.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, Resource, ResourceProvider, UpdateResult

from wms_connector.admin.protocol import AdminCallFailed
from wms_connector.providers.host import DetailedDiffResult, report
from wms_connector.providers.transport import transport_from_spec, transport_problems
from wms_connector.stages import Stage

# Deleting a thousand topics and waiting for the controller takes a while; this bounds the whole call.
CLEANUP_TIMEOUT_SECONDS = 600.0


class TopicCleanupError(Exception):
    """The cleanup could not delete the stage's topics; the message says which and why."""


def _stage_problem(value: Any) -> str | None:
    try:
        stage = Stage.parse(value)
    except ValueError as exc:
        return str(exc)
    if stage.is_named:
        return f"`{stage}` is a named stage: its topics are never deleted, so it has no topic cleanup"
    return None


class StageTopicCleanupProvider(ResourceProvider):
    # Pulumi's default, kept on purpose: the serialized provider is code the host runs on every operation, so the
    # state holds it encrypted, and whoever can write the state bucket cannot plant code for the next refresh.
    serialize_as_secret_always = True

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        problem = _stage_problem(news.get("stage"))
        if problem:
            failures.append(CheckFailure("stage", problem))
        failures.extend(CheckFailure(prop, reason) for prop, reason in transport_problems(news.get("transport")))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DetailedDiffResult:
        changes = {"stage": "update-replace"} if olds.get("stage") != news.get("stage") else {}
        if olds.get("transport") != news.get("transport"):
            changes["transport"] = "update"
        replaces = [path for path, kind in changes.items() if kind.endswith("-replace")]
        return DetailedDiffResult(
            detailed_diff=changes, changes=bool(changes), replaces=replaces, delete_before_replace=True
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"topic-cleanup-{props['stage']}", props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Shown by `pulumi destroy` on this resource; the admin Lambda logs the same report.
        report(cleanup_summary(props["stage"], delete_stage_topics(props)))


def cleanup_summary(stage: str, result: dict[str, Any]) -> str:
    deleted = sorted(result.get("deleted") or [])
    if not deleted:
        return f"Topic cleanup of stage `{stage}`: no topic of the stage was left to delete."
    return f"Topic cleanup of stage `{stage}` deleted {len(deleted)} topic(s): {', '.join(deleted)}"


def delete_stage_topics(props: dict[str, Any]) -> dict[str, Any]:
    """Ask the admin to delete the stage's topics; raise when any could not be deleted (destroy stops)."""
    problem = _stage_problem(props.get("stage"))
    if problem:
        raise TopicCleanupError(f"Topic cleanup refused: {problem}.")
    transport = transport_from_spec(props["transport"], timeout_seconds=CLEANUP_TIMEOUT_SECONDS)
    try:
        report = transport.invoke({"action": "delete_stage_topics", "stage": props["stage"]})
    except AdminCallFailed as error:
        raise TopicCleanupError(
            f"Topic cleanup of stage `{props['stage']}` failed ({error.kind}): {error.message}"
        ) from None
    if report.get("failed"):
        failed = ", ".join(f"{topic} ({why})" for topic, why in sorted(report["failed"].items()))
        raise TopicCleanupError(
            f"Topic cleanup of stage `{props['stage']}` deleted {len(report['deleted'])} topic(s) but could not "
            f"delete: {failed}. Run `pulumi destroy` again to retry."
        )
    return report


class StageTopicCleanup(Resource, module="wms", name="StageTopicCleanup"):
    """Deletes the ephemeral stage's topics when it is deleted. Refused for named stages."""

    def __init__(
        self,
        resource_name: str,
        *,
        stage: Stage,
        transport: pulumi.Input[dict[str, Any]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if stage.is_named:
            raise ValueError(f"StageTopicCleanup refused for named stage `{stage}`: its topics are never deleted.")
        super().__init__(
            StageTopicCleanupProvider(),
            resource_name,
            {"stage": stage.name, "transport": transport},
            opts,
        )

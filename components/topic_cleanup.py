"""Topic cleanup of an ephemeral stage: a resource whose deletion deletes the stage's topics.

Destroy order is what makes it safe: it depends on the admin function (and the network rules the function
needs), so it is deleted before them; the Connect cluster depends on it, so the workers are gone before it runs
(a live worker would recreate its internal topics). Named stages get none: `for_stage` returns None for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from wms_connector.providers.topic_cleanup import StageTopicCleanup
from wms_connector.providers.transport import lambda_spec
from wms_connector.stages import Stage


@dataclass(frozen=True)
class TopicCleanupArgs:
    stage: Stage
    region: str
    admin_function_name: pulumi.Input[str]
    # The admin function's component and the network: deleted only after the cleanup ran.
    depends_on: Sequence[pulumi.Resource]


class TopicCleanup(pulumi.ComponentResource):
    """Exposes `resource` (the StageTopicCleanup)."""

    def __init__(self, name: str, args: TopicCleanupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:topic_cleanup:TopicCleanup", name, None, opts)
        self.resource = StageTopicCleanup(
            f"{name}-topics",
            stage=args.stage,
            transport=lambda_spec(args.admin_function_name, args.region),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.register_outputs({"stage": args.stage.name})

    @classmethod
    def for_stage(
        cls, name: str, args: TopicCleanupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> TopicCleanup | None:
        """The cleanup for an ephemeral stage; None for a named stage, whose topics are never deleted."""
        return cls(name, args, opts) if args.stage.is_ephemeral else None

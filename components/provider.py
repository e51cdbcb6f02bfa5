"""The stack's AWS provider: the region from the stage settings and tags that say which stage owns what."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from wms_connector.settings import StageSettings


def stage_tags(settings: StageSettings) -> dict[str, str]:
    stage = settings.stage
    return {
        "Project": "wms-connector",
        "Stage": stage.name,
        "Service": stage.service_name,
        "Ephemeral": str(stage.is_ephemeral).lower(),
    }


def stage_provider(settings: StageSettings) -> aws.Provider:
    return aws.Provider(
        "aws",
        region=settings.region,
        default_tags={"tags": stage_tags(settings)},
    )


def stage_options(provider: aws.Provider) -> pulumi.ResourceOptions:
    """Options every top-level component takes, so all its children use the stage's provider."""
    return pulumi.ResourceOptions(providers=[provider])

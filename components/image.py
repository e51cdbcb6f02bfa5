"""The Kafka Connect worker image: built from connect-image/ and pushed to this stage's ECR repository during
`pulumi up`, or a prebuilt image named by the `image` config key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.iam import statement
from wms_connector.aws_names import aws_name
from wms_connector.stages import Stage

IMAGE_CONTEXT = Path(__file__).resolve().parent.parent / "connect-image"
PLATFORM = "linux/amd64"
KEEP_IMAGES = 10

PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")

_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repository>[^:@]+)"
)


def ecr_repository_arn(image: str, partition: str) -> str | None:
    """The ECR repository ARN of a prebuilt image, or None when the image is not in ECR."""
    match = _ECR_IMAGE.match(image)
    if not match:
        return None
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


def _ecr_pull_statements(repository_arn: pulumi.Input[str]) -> list[dict]:
    # GetAuthorizationToken cannot be scoped to a repository; the pull actions are.
    return [statement(["ecr:GetAuthorizationToken"], ["*"]), statement(PULL_ACTIONS, [repository_arn])]


@dataclass(frozen=True)
class ConnectImageArgs:
    stage: Stage
    partition: str
    prebuilt_image: str | None = None


class ConnectImage(pulumi.ComponentResource):
    """Exposes `image_uri` and `pull_statements` (what the task execution role needs to pull it)."""

    def __init__(self, name: str, args: ConnectImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:image:ConnectImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repository: aws.ecr.Repository | None = None

        if args.prebuilt_image:
            self.image_uri: pulumi.Output[str] = pulumi.Output.from_input(args.prebuilt_image)
            repository_arn = ecr_repository_arn(args.prebuilt_image, args.partition)
            # A public registry needs no grant; an ECR repository is granted exactly.
            self.pull_statements = _ecr_pull_statements(repository_arn) if repository_arn else []
        else:
            self.repository = aws.ecr.Repository(
                f"{name}-repository",
                name=aws_name(args.stage, "ecr-repository"),
                image_scanning_configuration={"scan_on_push": True},
                # Ephemeral stages must destroy cleanly; named stages keep their images.
                force_delete=args.stage.is_ephemeral,
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-lifecycle",
                repository=self.repository.name,
                policy=pulumi.Output.json_dumps(
                    {
                        "rules": [
                            {
                                "rulePriority": 1,
                                "description": f"Keep the last {KEEP_IMAGES} images",
                                "selection": {
                                    "tagStatus": "any",
                                    "countType": "imageCountMoreThan",
                                    "countNumber": KEEP_IMAGES,
                                },
                                "action": {"type": "expire"},
                            }
                        ]
                    }
                ),
                opts=child,
            )
            image = awsx.ecr.Image(
                f"{name}-image",
                repository_url=self.repository.repository_url,
                context=str(IMAGE_CONTEXT),
                platform=PLATFORM,
                opts=child,
            )
            # The URI carries the digest, so a changed image rolls the service.
            self.image_uri = image.image_uri
            self.pull_statements = _ecr_pull_statements(self.repository.arn)

        self.register_outputs({"imageUri": self.image_uri})

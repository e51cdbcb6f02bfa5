"""A Lambda in the VPC with its own log group and a role from the shared role factory: the one way this stack
makes its Lambdas (the connector admin, the health check).

Not a component of its own: the resources keep their names and their parent (the calling component), so the
stack's resource URNs stay the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import VPC_ACCESS_ACTIONS, RoleFactory, ServiceRole, log_stream_statement, statement
from components.network import Network

RUNTIME = "python3.11"
MEMORY_MB = 256
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"


@dataclass(frozen=True)
class VpcLambdaSpec:
    """What differs between the stack's Lambdas. `statements` are the function's own permissions; writing its
    log group and managing its network interfaces are added here."""

    function_name: str
    role_suffix: str
    description: str
    handler: str
    timeout_seconds: int
    subnet_ids: Sequence[str]
    environment: Mapping[str, pulumi.Input[str]]
    statements: Sequence[dict] = ()


@dataclass(frozen=True)
class VpcLambda:
    log_group: aws.cloudwatch.LogGroup
    role: ServiceRole
    function: aws.lambda_.Function


@dataclass(frozen=True)
class LambdaFactory:
    """What the stack's Lambdas share: the role factory, the network (their security group and subnets), one code
    archive and the stage's log retention."""

    roles: RoleFactory
    network: Network
    code: pulumi.Input[pulumi.Archive]
    retention_days: int

    def function(self, name: str, spec: VpcLambdaSpec, *, parent: pulumi.Resource) -> VpcLambda:
        """Registers `<name>-logs`, the role `<role_suffix>` and `<name>-function` under `parent`."""
        child = pulumi.ResourceOptions(parent=parent)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{spec.function_name}",
            retention_in_days=self.retention_days,
            opts=child,
        )
        statements = [*spec.statements, log_stream_statement(log_group.arn), statement(VPC_ACCESS_ACTIONS, ["*"])]
        role = self.roles.role(spec.role_suffix, LAMBDA_PRINCIPAL, statements, parent=parent)
        function = aws.lambda_.Function(
            f"{name}-function",
            name=spec.function_name,
            description=spec.description,
            runtime=RUNTIME,
            handler=spec.handler,
            code=self.code,
            role=role.arn,
            memory_size=MEMORY_MB,
            timeout=spec.timeout_seconds,
            vpc_config={
                "subnet_ids": list(spec.subnet_ids),
                "security_group_ids": [self.network.lambda_security_group.id],
            },
            environment={"variables": dict(spec.environment)},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            # The role's policy (network interfaces, log writes) must exist before Lambda creates the function's
            # network interfaces, or creation fails on a permission Lambda checks only then.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[log_group, role]),
        )
        return VpcLambda(log_group=log_group, role=role, function=function)

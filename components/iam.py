"""The one way to make an IAM role in this stack.

In this account every role must carry the IAM path and permissions boundary from the `iam/path` and
`iam/permissionsBoundary` secrets, and policies must name specific resources. `RoleFactory.role` enforces
both, so every component (ECS roles here, Lambda roles later) gets them by construction:

    role = roles.role("health", "lambda.amazonaws.com", [statement(["ecs:DescribeServices"], [service.arn])],
                      parent=self)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from wms_connector.aws_names import aws_name
from wms_connector.stages import Stage

# Network interface management for a Lambda in a VPC, as AWSLambdaENIManagementAccess grants it. AWS documents
# DescribeNetworkInterfaces as working only on "*", and Lambda checks the others against interfaces that do
# not exist yet when it creates the function; the interfaces are confined by the function's subnets and
# security group instead.
VPC_ACCESS_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

# Actions AWS does not allow to be scoped to a resource; only these may use Resource "*".
UNSCOPED_ACTIONS = frozenset(
    {
        "ecr:GetAuthorizationToken",
        # ECS Exec's channels: ssmmessages has no resource types.
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
        # No resource types; scoped by the cloudwatch:namespace condition instead.
        "cloudwatch:PutMetricData",
        *VPC_ACCESS_ACTIONS,
    }
)


def statement(
    actions: Sequence[str], resources: Sequence[pulumi.Input[str]], conditions: Mapping | None = None
) -> dict:
    """An Allow statement; `resources` are exact ARNs (Outputs are fine)."""
    result: dict = {"Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    if conditions:
        result["Condition"] = dict(conditions)
    return result


def log_stream_statement(log_group_arn: pulumi.Input[str]) -> dict:
    """Writing to one log group's streams (they are created at run time, hence the `log-stream:*`)."""
    return statement(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [pulumi.Output.from_input(log_group_arn).apply(lambda arn: f"{arn}:log-stream:*")],
    )


def check_statements(statements: Sequence[dict]) -> None:
    """Refuse a wildcard resource unless every action in the statement cannot be scoped."""
    for item in statements:
        actions = item.get("Action")
        resources = item.get("Resource")
        if not actions or not resources:
            raise ValueError(f"Policy statement {item!r} needs both Action and Resource.")
        if "*" in resources:
            scoped = sorted(a for a in actions if a not in UNSCOPED_ACTIONS)
            if scoped:
                raise ValueError(f"Actions {scoped} must name specific resource ARNs, not '*'.")
        if any(isinstance(a, str) and a.endswith(":*") for a in actions):
            raise ValueError(f"Policy statement {item!r} grants a whole service; list the actions it needs.")


@dataclass(frozen=True)
class RoleFactory:
    stage: Stage
    path: str
    permissions_boundary_arn: str

    def role(
        self,
        suffix: str,
        service_principal: str,
        statements: Sequence[dict],
        *,
        parent: pulumi.Resource,
        managed_policy_arns: Sequence[pulumi.Input[str]] = (),
    ) -> ServiceRole:
        check_statements(statements)
        return ServiceRole(
            suffix,
            name=aws_name(self.stage, "iam-role", suffix),
            path=self.path,
            permissions_boundary_arn=self.permissions_boundary_arn,
            service_principal=service_principal,
            statements=statements,
            managed_policy_arns=managed_policy_arns,
            opts=pulumi.ResourceOptions(parent=parent),
        )


class ServiceRole(pulumi.ComponentResource):
    """A role assumable by one AWS service, with one inline least-privilege policy."""

    def __init__(
        self,
        resource_name: str,
        *,
        name: str,
        path: str,
        permissions_boundary_arn: str,
        service_principal: str,
        statements: Sequence[dict],
        managed_policy_arns: Sequence[pulumi.Input[str]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("wms:iam:ServiceRole", resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        assume = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service_principal}, "Action": "sts:AssumeRole"}
            ],
        }
        self.role = aws.iam.Role(
            f"{resource_name}-role",
            name=name,
            path=path,
            permissions_boundary=permissions_boundary_arn,
            assume_role_policy=pulumi.Output.json_dumps(assume),
            opts=child,
        )
        # A role that may do nothing (the worker's, with ECS Exec off) has no policy: IAM refuses an empty one.
        self.policy = aws.iam.RolePolicy(
            f"{resource_name}-policy",
            role=self.role.id,
            name="least-privilege",
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)}),
            opts=child,
        ) if statements else None
        self.attachments = [
            aws.iam.RolePolicyAttachment(f"{resource_name}-managed-{i}", role=self.role.name, policy_arn=arn,
                                         opts=child)
            for i, arn in enumerate(managed_policy_arns)
        ]
        self.arn = self.role.arn
        self.name = self.role.name
        self.register_outputs({"arn": self.arn, "name": self.name})

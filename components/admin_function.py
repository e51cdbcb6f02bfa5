"""The connector admin Lambda: in the VPC's private subnets next to Connect REST and MSK, it validates, applies,
reports and deletes the connector and deletes an ephemeral stage's topics for the dynamic providers, which run
outside the VPC with `pulumi up`.

Its role comes from the shared role factory and may only write its own log group, read the one private CA's
certificate (to trust the Connect endpoint) and manage its network interfaces. Kafka (unauthenticated TLS) and
Connect REST need no AWS permission; the security group allows exactly them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.health import JMX_URL_TEMPLATE
from components.iam import RoleFactory, statement
from components.network import Network
from wms_connector import connector_admin as env
from wms_connector.aws_names import aws_name
from wms_connector.settings import StageSettings
from wms_connector.stages import Stage

HANDLER = "functions.connector_admin.handler"
RUNTIME = "python3.11"
MEMORY_MB = 256
# The longest call: a topic cleanup (up to 10 minutes) or waiting for a connector state (up to 14 minutes).
TIMEOUT_SECONDS = 900
CONNECT_DEADLINE_SECONDS = 60
KAFKA_SECURITY_PROTOCOL = "SSL"
# ENI management for a Lambda in a VPC; AWS does not allow these to be scoped to resources.
VPC_ACCESS_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]


@dataclass(frozen=True)
class AdminFunctionArgs:
    settings: StageSettings
    network: Network
    roles: RoleFactory
    code: pulumi.Input[pulumi.Archive]
    connect_url: pulumi.Input[str]
    private_ca_arn: str
    bootstrap_servers: str


def admin_function_name(stage: Stage) -> str:
    """The admin Lambda's name; the on-call commands (wms_connector/ops.py) find the function by it."""
    return aws_name(stage, "lambda", "admin")


def role_statements(private_ca_arn: str, log_group_arn: pulumi.Input[str]) -> list[dict]:
    return [
        statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [pulumi.Output.from_input(log_group_arn).apply(lambda arn: f"{arn}:log-stream:*")],
        ),
        statement(["acm-pca:GetCertificateAuthorityCertificate"], [private_ca_arn]),
        statement(VPC_ACCESS_ACTIONS, ["*"]),
    ]


def function_environment(args: AdminFunctionArgs) -> dict[str, pulumi.Input[str]]:
    """The admin's environment, as `AdminEnvironment.from_env` reads it."""
    return {
        env.ENV_STAGE: args.settings.stage.name,
        env.ENV_CONNECT_URL: args.connect_url,
        env.ENV_PRIVATE_CA_ARN: args.private_ca_arn,
        env.ENV_CONNECT_DEADLINE: str(CONNECT_DEADLINE_SECONDS),
        env.ENV_BOOTSTRAP_SERVERS: args.bootstrap_servers,
        env.ENV_SECURITY_PROTOCOL: KAFKA_SECURITY_PROTOCOL,
        # Lag: the exporter of the worker that runs the task (the network lets Lambdas reach it on its port).
        env.ENV_JMX_URL: JMX_URL_TEMPLATE,
    }


class AdminFunction(pulumi.ComponentResource):
    """Exposes `function`, `function_name`, `log_group`, `role`."""

    def __init__(self, name: str, args: AdminFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:admin_function:AdminFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings, stage = args.settings, args.settings.stage
        function_name = admin_function_name(stage)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=settings.logs.retention_days,
            opts=child,
        )
        self.role = args.roles.role(
            "admin", "lambda.amazonaws.com", role_statements(args.private_ca_arn, self.log_group.arn), parent=self
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description=f"Connector admin of {stage.service_name}: validate, apply, state, delete, topic cleanup",
            runtime=RUNTIME,
            handler=HANDLER,
            code=args.code,
            role=self.role.arn,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT_SECONDS,
            vpc_config={
                "subnet_ids": args.network.private_subnet_ids,
                "security_group_ids": [args.network.lambda_security_group.id],
            },
            environment={"variables": function_environment(args)},
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            # The role's policy must exist before the first invocation (it reads the CA certificate).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.role]),
        )
        self.function_name = self.function.name
        self.register_outputs({"functionName": self.function.name, "logGroupName": self.log_group.name})

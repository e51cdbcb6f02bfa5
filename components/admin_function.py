"""The connector admin Lambda: in the VPC's data subnets next to Connect REST, MSK and the database, it validates,
applies, reports and deletes the connector and deletes an ephemeral stage's topics for the dynamic providers, which
run outside the VPC with `pulumi up`, and runs the database preflight for `ops preflight`.

Its role comes from the shared role factory and may only write its own log group, read the one private CA's
certificate (to trust the Connect endpoint), read the dbInfo secret (the preflight connects as the CDC user; the
value is read when asked and never kept or returned), search the Connect workers' log group (a failed task's real
cause), read and write the hold and the declared connector in the health table, and manage its network
interfaces. Kafka (unauthenticated TLS)
and Connect REST need no AWS permission; the Lambdas' security group allows exactly them and the database port.

Its read-only twin (`…-admin-read`, ADMIN_ACCESS=read) runs the same code and serves only the actions that change
nothing (wms_connector/admin/access.py): status, lag, offsets, the live config. It cannot read the dbInfo secret
nor write the health table, so IAM can let on-call invoke it and nothing else (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.iam import statement
from components.vpc_lambda import LambdaFactory, VpcLambdaSpec
from wms_connector import lambda_env as env
from wms_connector.admin.access import ACCESS_VARIABLE, READ_ONLY
from wms_connector.admin.environment import DEFAULT_CONNECT_DEADLINE_SECONDS
from wms_connector.aws_names import admin_function_name, admin_read_function_name, worker_log_group_name
from wms_connector.kafka_settings import MSK_SECURITY_PROTOCOL
from wms_connector.settings import StageSettings
from wms_connector.worker_env import JMX_URL_TEMPLATE

HANDLER = "functions.connector_admin.handler"
# The longest call: a topic cleanup (up to 10 minutes) or waiting for a connector state (up to 14 minutes).
TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class AdminFunctionArgs:
    settings: StageSettings
    lambdas: LambdaFactory
    connect_url: pulumi.Input[str]
    private_ca_arn: str
    bootstrap_servers: str
    db_info_arn: str
    account_id: str
    partition: str
    # The stage's health table: the admin writes the hold and the declared connector there.
    health_table_name: pulumi.Input[str]
    health_table_arn: pulumi.Input[str]

    @property
    def worker_log_group_arn(self) -> str:
        name = worker_log_group_name(self.settings.stage)
        return f"arn:{self.partition}:logs:{self.settings.region}:{self.account_id}:log-group:{name}:*"


def function_environment(args: AdminFunctionArgs) -> dict[str, pulumi.Input[str]]:
    """The admin's environment, as `AdminEnvironment.from_env` reads it."""
    return {
        env.STAGE: args.settings.stage.name,
        env.CONNECT_URL: args.connect_url,
        env.CONNECT_CA_ARN: args.private_ca_arn,
        env.CONNECT_DEADLINE_SECONDS: str(DEFAULT_CONNECT_DEADLINE_SECONDS),
        env.BOOTSTRAP_SERVERS: args.bootstrap_servers,
        env.SECURITY_PROTOCOL: MSK_SECURITY_PROTOCOL,
        # Lag: the exporter of the worker that runs the task (the network lets Lambdas reach it on its port).
        env.JMX_URL: JMX_URL_TEMPLATE,
        # The preflight's connection as the CDC user.
        env.DB_SECRET_ARN: args.db_info_arn,
        # Where a failed task's real cause is read when Debezium's trace hides it.
        env.WORKER_LOG_GROUP: worker_log_group_name(args.settings.stage),
        # The hold around each change and the declared connector the health check reconciles towards.
        env.HEALTH_TABLE: args.health_table_name,
    }


def read_function_environment(args: AdminFunctionArgs) -> dict[str, pulumi.Input[str]]:
    """The read-only admin's environment: the full one without the dbInfo secret, marked read-only."""
    environment = {k: v for k, v in function_environment(args).items() if k != env.DB_SECRET_ARN}
    return {**environment, ACCESS_VARIABLE: READ_ONLY}


class AdminFunction(pulumi.ComponentResource):
    """Exposes `function`, `function_name`, `log_group`, `role`, and the read-only twin's `read_function`,
    `read_function_name`, `read_role`."""

    def __init__(self, name: str, args: AdminFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:admin_function:AdminFunction", name, None, opts)
        stage = args.settings.stage
        spec = VpcLambdaSpec(
            function_name=admin_function_name(stage),
            role_suffix="admin",
            description=f"Connector admin of {stage.service_name}: validate, apply, state, delete, topic cleanup, "
            "preflight",
            handler=HANDLER,
            timeout_seconds=TIMEOUT_SECONDS,
            # Data subnets: the route to the database (the preflight) runs through them, as the health check's.
            subnet_ids=args.lambdas.network.data_subnet_ids,
            environment=function_environment(args),
            statements=[
                # To trust the Connect endpoint's certificate.
                statement(["acm-pca:GetCertificateAuthorityCertificate"], [args.private_ca_arn]),
                # The preflight's dbInfo.
                statement(["secretsmanager:GetSecretValue"], [args.db_info_arn]),
                # The workers' startup failures (the causes Debezium's NullPointerException hides).
                statement(["logs:FilterLogEvents"], [args.worker_log_group_arn]),
                # The hold (conditional writes) and the declared connector, items of the health table.
                statement(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], [args.health_table_arn]),
            ],
        )
        made = args.lambdas.function(name, spec, parent=self)
        self.log_group, self.role, self.function = made.log_group, made.role, made.function
        self.function_name = self.function.name
        read_spec = VpcLambdaSpec(
            function_name=admin_read_function_name(stage),
            role_suffix="admin-read",
            description=f"Connector admin of {stage.service_name}, read-only: status, lag, offsets, live config",
            handler=HANDLER,
            timeout_seconds=TIMEOUT_SECONDS,
            subnet_ids=args.lambdas.network.data_subnet_ids,
            environment=read_function_environment(args),
            statements=[
                statement(["acm-pca:GetCertificateAuthorityCertificate"], [args.private_ca_arn]),
                statement(["logs:FilterLogEvents"], [args.worker_log_group_arn]),
                # The hold, shown with the status.
                statement(["dynamodb:GetItem"], [args.health_table_arn]),
            ],
        )
        read = args.lambdas.function(f"{name}-read", read_spec, parent=self)
        self.read_log_group, self.read_role, self.read_function = read.log_group, read.role, read.function
        self.read_function_name = self.read_function.name
        self.register_outputs({
            "functionName": self.function.name, "logGroupName": self.log_group.name,
            "readFunctionName": self.read_function.name,
        })

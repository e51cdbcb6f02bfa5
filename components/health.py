"""The health check: a Lambda in the VPC on a schedule, its DynamoDB state table, and the rule that redeploys
the Connect service when the dbInfo secret changes (the same function, switched by event type).

The function's role is made by the shared role factory and names exact resources: this service only, the one
table, the one secret, the one private CA, and PutMetricData only into this stage's health namespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.connect_cluster import ConnectCluster
from components.iam import statement
from components.vpc_lambda import LambdaFactory, VpcLambdaSpec
from wms_connector.aws_names import aws_name, health_function_name
from wms_connector.health import config as env
from wms_connector.health.metric_names import MetricScope
from wms_connector.health.rotation import change_event_pattern
from wms_connector.kafka_settings import MSK_SECURITY_PROTOCOL
from wms_connector.settings import StageSettings
from wms_connector.topics import StageTopics
from wms_connector.worker_env import JMX_URL_TEMPLATE

HANDLER = "functions.health_check.handler"
# Connect calls (2 x 20 s at worst), Kafka metadata (10 s), the TCP probe (3 s), scrapes and AWS calls.
TIMEOUT_SECONDS = 120


def schedule_expression(minutes: int) -> str:
    return "rate(1 minute)" if minutes == 1 else f"rate({minutes} minutes)"


@dataclass(frozen=True)
class HealthArgs:
    settings: StageSettings
    topics: StageTopics
    lambdas: LambdaFactory
    account_id: str
    partition: str
    connect: ConnectCluster  # the service it checks, restarts and redeploys
    connect_url: pulumi.Input[str]
    private_ca_arn: str
    db_info_arn: str
    bootstrap_servers: str
    # The stage's health table (components/health_table.py): state, holds, the declared connector.
    table: aws.dynamodb.Table
    kafka_security_protocol: str = MSK_SECURITY_PROTOCOL  # as the workers reach MSK
    # The schedule starts only after these exist (the connector): a new stack's first runs must not page
    # ConnectApiUnreachable/ConnectorMissing while Connect is still starting.
    start_after: Sequence[pulumi.Resource] = ()


def _ecs_arn(args: HealthArgs, kind: str) -> pulumi.Output[str]:
    region = args.settings.region
    return args.connect.cluster.name.apply(
        lambda cluster: f"arn:{args.partition}:ecs:{region}:{args.account_id}:{kind}/{cluster}/*"
    )


def role_statements(args: HealthArgs, table_arn: pulumi.Input[str]) -> list[dict]:
    """The function's own permissions (its log group and network interfaces are granted by `LambdaFactory`)."""
    namespace = MetricScope.for_stage(args.settings.stage, args.topics.connector_name).namespace
    on_this_cluster = {"ArnEquals": {"ecs:cluster": args.connect.cluster.arn}}
    return [
        # Desired vs running; forced redeploys (API down, rotated credentials).
        statement(["ecs:DescribeServices", "ecs:UpdateService"], [args.connect.service.arn]),
        # The workers' IPs, to scrape their JMX exporters.
        statement(["ecs:ListTasks"], [_ecs_arn(args, "container-instance")], on_this_cluster),
        statement(["ecs:DescribeTasks"], [_ecs_arn(args, "task")], on_this_cluster),
        statement(["cloudwatch:PutMetricData"], ["*"], {"StringEquals": {"cloudwatch:namespace": namespace}}),
        statement(["dynamodb:GetItem", "dynamodb:UpdateItem"], [table_arn]),
        # The probe's dbInfo, and when it last changed (a change event is only acted on when this says so).
        statement(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], [args.db_info_arn]),
        statement(["acm-pca:GetCertificateAuthorityCertificate"], [args.private_ca_arn]),
    ]


def function_environment(args: HealthArgs, table_name: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    health = args.settings.health
    heartbeat_table = args.settings.connector.options.heartbeat_table
    freshness = (
        {env.HEARTBEAT_TABLE_TOPIC: args.topics.heartbeat_table_topic(heartbeat_table)} if heartbeat_table else {}
    )
    options = args.settings.connector.options
    probe = (
        {
            env.DATABASE_PROBE: "true",
            **({env.DB_USE_PDB: "true"} if options.use_pdb else {}),
            **({env.ARCHIVE_DESTINATION_NAME: ",".join(options.archive_destination_name)}
               if options.archive_destination_name else {}),
        }
        if args.settings.capture.database_probe
        else {}
    )
    return freshness | probe | {
        env.STAGE: args.settings.stage.name,
        env.CONNECT_URL: args.connect_url,
        env.CONNECT_CA_ARN: args.private_ca_arn,
        env.ECS_CLUSTER: args.connect.cluster.name,
        env.ECS_SERVICE: args.connect.service.name,
        env.STATE_TABLE: table_name,
        env.DB_SECRET_ARN: args.db_info_arn,
        env.JMX_URL: JMX_URL_TEMPLATE,
        env.BOOTSTRAP_SERVERS: args.bootstrap_servers,
        env.SECURITY_PROTOCOL: args.kafka_security_protocol,
        env.RESTART_LIMIT: str(health.restart_limit),
        env.RESTART_WINDOW_MINUTES: str(health.restart_window_minutes),
        env.NOT_RUNNING_RUNS: str(health.not_running_runs),
        env.ARCHIVE_LOG_RETENTION_HOURS: str(args.settings.capture.archive_log_retention_hours),
        env.CONNECT_DEADLINE_SECONDS: str(env.DEFAULT_CONNECT_DEADLINE_SECONDS),
        env.REPAIR_DRIFT: str(health.repair_drift).lower(),
    }


class HealthCheck(pulumi.ComponentResource):
    """Exposes `function`, `table`, `log_group`, `schedule_rule`, `rotation_rule`, `role`."""

    def __init__(self, name: str, args: HealthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:health:HealthCheck", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings, stage = args.settings, args.settings.stage
        function_name = health_function_name(stage)

        self.table = args.table
        spec = VpcLambdaSpec(
            function_name=function_name,
            role_suffix="health",
            description=f"Health check, restarts and credential-rotation redeploys of {stage.service_name}",
            handler=HANDLER,
            timeout_seconds=TIMEOUT_SECONDS,
            # Data subnets: the route to the database (the TCP probe) runs through them.
            subnet_ids=args.lambdas.network.data_subnet_ids,
            environment=function_environment(args, self.table.name),
            statements=role_statements(args, self.table.arn),
        )
        # No reserved concurrency (it fails in accounts near their limit): overlapping runs, e.g. the schedule
        # and a rotation event, are safe because the restart budget is claimed with conditional writes.
        made = args.lambdas.function(name, spec, parent=self)
        self.log_group, self.role, self.function = made.log_group, made.role, made.function

        self.schedule_rule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            name=aws_name(stage, "event-rule", "health-schedule"),
            description=f"Runs the health check of {stage.service_name}",
            schedule_expression=schedule_expression(settings.health.schedule_minutes),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.start_after)),
        )
        self.rotation_rule = aws.cloudwatch.EventRule(
            f"{name}-db-secret-change",
            name=aws_name(stage, "event-rule", "db-secret-change"),
            description=f"Redeploys {stage.service_name} when its dbInfo secret changes",
            event_pattern=pulumi.Output.json_dumps(change_event_pattern(args.db_info_arn)),
            opts=child,
        )
        for suffix, rule in (("schedule", self.schedule_rule), ("db-secret-change", self.rotation_rule)):
            aws.cloudwatch.EventTarget(f"{name}-{suffix}-target", rule=rule.name, arn=self.function.arn, opts=child)
            aws.lambda_.Permission(
                f"{name}-{suffix}-invoke",
                action="lambda:InvokeFunction",
                function=self.function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child,
            )

        self.function_name = self.function.name
        self.register_outputs(
            {"functionName": self.function.name, "tableName": self.table.name, "logGroupName": self.log_group.name}
        )

"""The Kafka Connect cluster: ECS cluster, log group, task and execution roles, task definition and the
Fargate service in the data subnets behind the internal endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.endpoint import ConnectEndpoint
from components.iam import RoleFactory, log_stream_statement, statement
from components.image import ConnectImage
from components.network import Network
from wms_connector import worker_env
from wms_connector.aws_names import aws_name, worker_log_group_name
from wms_connector.kafka_settings import MSK_SECURITY_PROTOCOL
from wms_connector.settings import StageSettings
from wms_connector.task_cause import MULTILINE_PATTERN
from wms_connector.topics import StageTopics

CONTAINER_NAME = "kafka-connect"
LOG_STREAM_PREFIX = "connect"
# Seconds idle before the first probe, seconds between probes, probes before the connection is given up.
TCP_KEEPALIVE = {
    "net.ipv4.tcp_keepalive_time": "60",
    "net.ipv4.tcp_keepalive_intvl": "10",
    "net.ipv4.tcp_keepalive_probes": "6",
}
# Fargate platform 1.4.0+ is needed for ECS secrets by JSON key and for ECS Exec.
PLATFORM_VERSION = "1.4.0"


def worker_environment(settings: StageSettings, topics: StageTopics, bootstrap_servers: str) -> dict[str, str]:
    """The worker's plain environment (no secrets) on MSK, built as the local stack builds its own."""
    return worker_env.worker_environment(
        topics,
        bootstrap_servers=bootstrap_servers,
        security_protocol=MSK_SECURITY_PROTOCOL,
        replication_factor=settings.kafka.connect_replication_factor,
        container_memory_mib=settings.sizing.connect_memory,
        heap_percent=settings.sizing.heap_percent,
    )


def container_definitions(
    settings: StageSettings,
    topics: StageTopics,
    *,
    image: str,
    bootstrap_servers: str,
    db_info_arn: str,
    log_group: str,
) -> list[dict]:
    """The task's one container. Database settings arrive only as an ECS secret from the dbInfo ARN."""
    environment = worker_environment(settings, topics, bootstrap_servers)
    return [
        {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            "cpu": settings.sizing.connect_cpu,
            "memory": settings.sizing.connect_memory,
            "portMappings": [
                {"containerPort": worker_env.DEFAULT_REST_PORT, "protocol": "tcp", "name": "rest"},
                {"containerPort": worker_env.DEFAULT_JMX_EXPORTER_PORT, "protocol": "tcp", "name": "jmx-exporter"},
            ],
            "environment": [{"name": key, "value": value} for key, value in sorted(environment.items())],
            # The whole dbInfo JSON; the entrypoint unpacks it into the DB_* variables.
            "secrets": [{"name": worker_env.DB_INFO, "valueFrom": db_info_arn}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": settings.region,
                    "awslogs-stream-prefix": LOG_STREAM_PREFIX,
                    # One event per log record, its stack trace included (the admin reads causes from them).
                    "awslogs-multiline-pattern": MULTILINE_PATTERN,
                },
            },
            # A worker stopped by ECS gets time to leave the group cleanly before SIGKILL.
            "stopTimeout": 60,
            # Connections to Oracle dropped silently on AWS (idle NAT/firewall timeouts) hang capture; the
            # driver turns keepalive on for its socket (connector config), these make the kernel probe early.
            "systemControls": [{"namespace": name, "value": value} for name, value in TCP_KEEPALIVE.items()],
        }
    ]


EXEC_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def exec_statements(key: aws.kms.Key, log_group: aws.cloudwatch.LogGroup) -> list[dict]:
    """What the worker needs for ECS Exec: the session channels (no resource types), the session key, and the log
    group the sessions are written to."""
    return [
        statement(list(EXEC_CHANNEL_ACTIONS), ["*"]),
        statement(["kms:Decrypt"], [key.arn]),
        statement(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                  [log_group.arn.apply(lambda arn: f"{arn}:*")]),
        statement(["logs:DescribeLogGroups"], [log_group.arn.apply(lambda arn: f"{arn}:*")]),
    ]


@dataclass(frozen=True)
class ConnectClusterArgs:
    settings: StageSettings
    topics: StageTopics
    network: Network
    endpoint: ConnectEndpoint
    image: ConnectImage
    roles: RoleFactory
    bootstrap_servers: str
    db_info_arn: str


class ConnectCluster(pulumi.ComponentResource):
    """Exposes `cluster`, `service`, `log_group`, `task_definition`, `task_role`, `execution_role`."""

    def __init__(self, name: str, args: ConnectClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:connect_cluster:ConnectCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings, stage = args.settings, args.settings.stage

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=worker_log_group_name(stage),
            retention_in_days=settings.logs.retention_days,
            opts=child,
        )

        exec_on = settings.deployment.ecs_exec
        # ECS Exec, only where the stage turns it on: sessions encrypted with the stage's own key and logged to the
        # workers' log group, so a shell in a worker leaves a record of what was typed.
        self.exec_key = aws.kms.Key(
            f"{name}-exec-key",
            description=f"ECS Exec sessions into {stage.service_name}'s workers",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            opts=child,
        ) if exec_on else None
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=aws_name(stage, "ecs-cluster"),
            settings=[{"name": "containerInsights", "value": "enabled"}],
            configuration={"execute_command_configuration": {
                "kms_key_id": self.exec_key.arn,
                "logging": "OVERRIDE",
                "log_configuration": {"cloud_watch_log_group_name": self.log_group.name},
            }} if self.exec_key else None,
            opts=child,
        )

        self.execution_role = args.roles.role(
            "connect-execution",
            "ecs-tasks.amazonaws.com",
            [
                *args.image.pull_statements,
                log_stream_statement(self.log_group.arn),
                statement(["secretsmanager:GetSecretValue"], [args.db_info_arn]),
            ],
            parent=self,
        )
        # The worker itself calls no AWS API (MSK is unauthenticated TLS); only ECS Exec needs its channels, the
        # session key and the log group it writes the sessions to.
        self.task_role = args.roles.role(
            "connect-task", "ecs-tasks.amazonaws.com",
            exec_statements(self.exec_key, self.log_group) if self.exec_key else [],
            parent=self,
        )

        definitions = pulumi.Output.all(image=args.image.image_uri, log_group=self.log_group.name).apply(
            lambda resolved: container_definitions(
                settings,
                args.topics,
                image=resolved["image"],
                bootstrap_servers=args.bootstrap_servers,
                db_info_arn=args.db_info_arn,
                log_group=resolved["log_group"],
            )
        )
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=aws_name(stage, "task-family"),
            cpu=str(settings.sizing.task_cpu),
            memory=str(settings.sizing.task_memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=pulumi.Output.json_dumps(definitions),
            opts=child,
        )
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=aws_name(stage, "ecs-service"),
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=settings.sizing.desired_count,
            launch_type="FARGATE",
            platform_version=PLATFORM_VERSION,
            network_configuration={
                "subnets": args.network.data_subnet_ids,
                "security_groups": [args.network.tasks_security_group.id],
                "assign_public_ip": False,
            },
            load_balancers=[
                {
                    "target_group_arn": args.endpoint.target_group.arn,
                    "container_name": CONTAINER_NAME,
                    "container_port": worker_env.DEFAULT_REST_PORT,
                }
            ],
            health_check_grace_period_seconds=settings.deployment.health_check_grace_seconds,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            enable_execute_command=exec_on,
            propagate_tags="SERVICE",
            # A target group can only take targets once a listener attaches it to the load balancer.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.endpoint.listener]),
        )
        self.cluster_name = self.cluster.name
        self.service_name = self.service.name
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "serviceName": self.service.name,
                "logGroupName": self.log_group.name,
            }
        )

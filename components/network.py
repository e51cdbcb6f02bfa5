"""Security groups of the stack: Connect tasks, the internal load balancer, and the stack's Lambdas.

Who may talk to whom, and nothing else:
  Lambdas --443--> load balancer --8083--> tasks        (Connect REST, HTTPS inside the VPC)
  Lambdas --8083/9404--> tasks                          (REST directly, JMX exporter metrics)
  tasks <--8083--> tasks                                (workers forward REST calls to the group leader)
  tasks, Lambdas --oracle port--> database CIDRs; --broker ports--> Kafka CIDRs; --443--> AWS APIs
No rule accepts traffic from 0.0.0.0/0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from wms_connector.aws_names import aws_name
from wms_connector.secrets_lookup import Vpc
from wms_connector.stages import Stage
from wms_connector.worker_env import DEFAULT_JMX_EXPORTER_PORT, DEFAULT_REST_PORT

HTTPS_PORT = 443
# Egress only: ECR, Secrets Manager, CloudWatch, ECS and STS endpoints, through the VPC's NAT or endpoints.
AWS_APIS_CIDR = "0.0.0.0/0"


@dataclass(frozen=True)
class NetworkArgs:
    stage: Stage
    vpc: Vpc
    vpc_cidr: str
    oracle_cidrs: Sequence[str]
    oracle_port: int
    kafka_cidrs: Sequence[str]  # empty: the VPC's CIDR
    kafka_ports: Sequence[int]


class Network(pulumi.ComponentResource):
    """The three security groups and their rules; exposes the subnets the stack's workloads run in."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:network:Network", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        stage = args.stage
        kafka_cidrs = list(args.kafka_cidrs) or [args.vpc_cidr]

        self.vpc_id = args.vpc.id
        # Data subnets: the route to the on-premises database runs through them.
        self.data_subnet_ids = list(args.vpc.data_subnets)
        self.private_subnet_ids = list(args.vpc.private_subnets)

        self.tasks_security_group = self._group(stage, "tasks", "Kafka Connect workers")
        self.alb_security_group = self._group(stage, "alb", "Internal HTTPS endpoint of Kafka Connect REST")
        self.lambda_security_group = self._group(stage, "lambda", "This stack's Lambdas (admin, health)")
        tasks, alb, lambdas = self.tasks_security_group, self.alb_security_group, self.lambda_security_group

        self._ingress("tasks-rest-from-alb", tasks, DEFAULT_REST_PORT, source=alb, why="REST from the endpoint")
        self._ingress("tasks-rest-from-lambda", tasks, DEFAULT_REST_PORT, source=lambdas, why="REST from Lambdas")
        self._ingress("tasks-rest-from-tasks", tasks, DEFAULT_REST_PORT, source=tasks, why="worker forwarding")
        self._ingress("tasks-jmx-from-lambda", tasks, DEFAULT_JMX_EXPORTER_PORT, source=lambdas,
                      why="JMX exporter metrics for the health check")
        self._egress("tasks-rest-to-tasks", tasks, DEFAULT_REST_PORT, target=tasks, why="worker forwarding")
        self._egress_cidrs("tasks-oracle", tasks, args.oracle_port, args.oracle_cidrs, "Oracle")
        for port in args.kafka_ports:
            self._egress_cidrs(f"tasks-kafka-{port}", tasks, port, kafka_cidrs, "MSK brokers (TLS)")
        self._egress_cidrs("tasks-aws-apis", tasks, HTTPS_PORT, [AWS_APIS_CIDR], "AWS APIs")

        self._ingress("alb-https-from-lambda", alb, HTTPS_PORT, source=lambdas, why="HTTPS from Lambdas")
        self._egress("alb-rest-to-tasks", alb, DEFAULT_REST_PORT, target=tasks, why="forward to workers")

        self._egress("lambda-https-to-alb", lambdas, HTTPS_PORT, target=alb, why="Connect REST endpoint")
        self._egress("lambda-rest-to-tasks", lambdas, DEFAULT_REST_PORT, target=tasks, why="Connect REST")
        self._egress("lambda-jmx-to-tasks", lambdas, DEFAULT_JMX_EXPORTER_PORT, target=tasks, why="JMX metrics")
        self._egress_cidrs("lambda-oracle", lambdas, args.oracle_port, args.oracle_cidrs, "database probe")
        for port in args.kafka_ports:
            self._egress_cidrs(f"lambda-kafka-{port}", lambdas, port, kafka_cidrs, "Kafka admin")
        self._egress_cidrs("lambda-aws-apis", lambdas, HTTPS_PORT, [AWS_APIS_CIDR], "AWS APIs")

        self.register_outputs(
            {
                "tasksSecurityGroupId": tasks.id,
                "albSecurityGroupId": alb.id,
                "lambdaSecurityGroupId": lambdas.id,
            }
        )

    def _group(self, stage: Stage, suffix: str, description: str) -> aws.ec2.SecurityGroup:
        # No inline rules: the provider then removes AWS's default allow-all egress.
        return aws.ec2.SecurityGroup(
            f"{self._name}-{suffix}",
            name=aws_name(stage, "security-group", suffix),
            description=description,
            vpc_id=self.vpc_id,
            opts=self._child,
        )

    def _ingress(self, rule: str, group, port: int, *, source, why: str) -> None:
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-{rule}",
            security_group_id=group.id,
            referenced_security_group_id=source.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=why,
            opts=self._child,
        )

    def _egress(self, rule: str, group, port: int, *, target, why: str) -> None:
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-{rule}",
            security_group_id=group.id,
            referenced_security_group_id=target.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=why,
            opts=self._child,
        )

    def _egress_cidrs(self, rule: str, group, port: int, cidrs: Sequence[str], why: str) -> None:
        for cidr in cidrs:
            # Named by CIDR so reordering the list changes nothing.
            slug = cidr.replace(".", "-").replace("/", "-")
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-{rule}-{slug}",
                security_group_id=group.id,
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=why,
                opts=self._child,
            )

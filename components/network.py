"""Security groups of the stack: Connect tasks, the internal load balancer, and the stack's Lambdas.

Who may talk to whom, and nothing else:
  Lambdas --443--> load balancer --8083--> tasks        (Connect REST: only through the HTTPS endpoint)
  Lambdas --9404--> tasks                               (JMX exporter metrics of the worker running the task)
  tasks <--8083--> tasks                                (workers forward REST calls to the group leader)
  tasks, Lambdas --oracle port--> database CIDRs; --broker ports--> Kafka CIDRs; --443--> AWS APIs
No rule accepts traffic from 0.0.0.0/0. The AWS APIs are reached through the account's VPC endpoints when the stage
names them (their security group and the gateway endpoints' prefix lists), otherwise anywhere on 443.
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
    # The account's VPC endpoints: interface endpoints' security group, gateway endpoints' prefix lists (S3,
    # DynamoDB). Unset: the AWS APIs anywhere on 443.
    aws_endpoint_security_group: str | None = None
    aws_prefix_lists: Sequence[str] = ()


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

        # Between the stack's own groups: (rule, group, port, peer, why); ingress admits from the peer,
        # egress lets the group reach the peer.
        ingress = (
            ("tasks-rest-from-alb", tasks, DEFAULT_REST_PORT, alb, "REST from the endpoint"),
            ("tasks-rest-from-tasks", tasks, DEFAULT_REST_PORT, tasks, "worker forwarding"),
            ("tasks-jmx-from-lambda", tasks, DEFAULT_JMX_EXPORTER_PORT, lambdas,
             "JMX exporter metrics for the health check"),
            ("alb-https-from-lambda", alb, HTTPS_PORT, lambdas, "HTTPS from Lambdas"),
        )
        egress = (
            ("tasks-rest-to-tasks", tasks, DEFAULT_REST_PORT, tasks, "worker forwarding"),
            ("alb-rest-to-tasks", alb, DEFAULT_REST_PORT, tasks, "forward to workers"),
            ("lambda-https-to-alb", lambdas, HTTPS_PORT, alb, "Connect REST endpoint"),
            ("lambda-jmx-to-tasks", lambdas, DEFAULT_JMX_EXPORTER_PORT, tasks, "JMX metrics"),
        )
        for rule, group, port, peer, why in ingress:
            self._rule(aws.vpc.SecurityGroupIngressRule, rule, group, port, why, referenced_security_group_id=peer.id)
        for rule, group, port, peer, why in egress:
            self._rule(aws.vpc.SecurityGroupEgressRule, rule, group, port, why, referenced_security_group_id=peer.id)

        # Out of the VPC's groups: workers and Lambdas reach the database, the brokers and the AWS APIs.
        for prefix, group, database_why, kafka_why in (
            ("tasks", tasks, "Oracle", "MSK brokers (TLS)"),
            ("lambda", lambdas, "database probe", "Kafka admin"),
        ):
            self._egress_cidrs(f"{prefix}-oracle", group, args.oracle_port, args.oracle_cidrs, database_why)
            for port in args.kafka_ports:
                self._egress_cidrs(f"{prefix}-kafka-{port}", group, port, kafka_cidrs, kafka_why)
            if args.aws_endpoint_security_group:
                self._rule(aws.vpc.SecurityGroupEgressRule, f"{prefix}-aws-endpoints", group, HTTPS_PORT,
                           "AWS APIs through the VPC's interface endpoints",
                           referenced_security_group_id=args.aws_endpoint_security_group)
                for prefix_list in args.aws_prefix_lists:
                    self._rule(aws.vpc.SecurityGroupEgressRule, f"{prefix}-aws-{prefix_list}", group, HTTPS_PORT,
                               "AWS APIs through the VPC's gateway endpoints", prefix_list_id=prefix_list)
            else:
                self._egress_cidrs(f"{prefix}-aws-apis", group, HTTPS_PORT, [AWS_APIS_CIDR], "AWS APIs")

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

    def _rule(self, rule_type, rule: str, group, port: int, why: str, **peer) -> None:
        rule_type(
            f"{self._name}-{rule}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=why,
            opts=self._child,
            **peer,
        )

    def _egress_cidrs(self, rule: str, group, port: int, cidrs: Sequence[str], why: str) -> None:
        for cidr in cidrs:
            # Named by CIDR so reordering the list changes nothing.
            slug = cidr.replace(".", "-").replace("/", "-")
            self._rule(aws.vpc.SecurityGroupEgressRule, f"{rule}-{slug}", group, port, why, cidr_ipv4=cidr)

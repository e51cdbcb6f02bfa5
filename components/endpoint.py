"""Connect REST over HTTPS inside the VPC: an internal load balancer with a certificate from the private CA,
reachable as `connect.wms-connector-<stage>.internal` in a private hosted zone."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.network import HTTPS_PORT, Network
from wms_connector.aws_names import aws_name
from wms_connector.stages import Stage
from wms_connector.worker_env import DEFAULT_REST_PORT

RECORD_NAME = "connect"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Any answer below 500 means the worker's REST server is up (401/404 included).
HEALTH_MATCHER = "200-499"


def zone_name(stage: Stage) -> str:
    """`wms-connector-<stage>.internal`; the label is shortened with a hash for stages too long for DNS."""
    return f"{aws_name(stage, 'dns-label')}.internal"


@dataclass(frozen=True)
class ConnectEndpointArgs:
    stage: Stage
    network: Network
    private_ca_arn: str


class ConnectEndpoint(pulumi.ComponentResource):
    """Exposes `url`, `target_group` and `listener` (the service registers its tasks in the target group)."""

    def __init__(self, name: str, args: ConnectEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:endpoint:ConnectEndpoint", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stage, network = args.stage, args.network
        self.zone_name = zone_name(stage)
        self.host_name = f"{RECORD_NAME}.{self.zone_name}"

        self.zone = aws.route53.Zone(
            f"{name}-zone",
            name=self.zone_name,
            comment=f"Private names of {stage.service_name}",
            vpcs=[{"vpc_id": network.vpc_id}],
            # Ephemeral stacks must destroy cleanly even if someone added records by hand.
            force_destroy=stage.is_ephemeral,
            opts=child,
        )
        self.certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=self.host_name,
            certificate_authority_arn=args.private_ca_arn,
            opts=child,
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=aws_name(stage, "load-balancer"),
            internal=True,
            load_balancer_type="application",
            subnets=network.private_subnet_ids,
            security_groups=[network.alb_security_group.id],
            drop_invalid_header_fields=True,
            # Connector validation against Oracle can take longer than the 60 s default.
            idle_timeout=120,
            opts=child,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-rest",
            name=aws_name(stage, "target-group"),
            port=DEFAULT_REST_PORT,
            protocol="HTTP",
            target_type="ip",
            vpc_id=network.vpc_id,
            deregistration_delay=30,
            health_check={
                "path": "/",
                "port": str(DEFAULT_REST_PORT),
                "protocol": "HTTP",
                "matcher": HEALTH_MATCHER,
                "interval": 30,
                "healthy_threshold": 2,
                "unhealthy_threshold": 5,
            },
            opts=child,
        )
        self.listener = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTPS_PORT,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=self.certificate.arn,
            default_actions=[{"type": "forward", "target_group_arn": self.target_group.arn}],
            opts=child,
        )
        self.record = aws.route53.Record(
            f"{name}-record",
            zone_id=self.zone.zone_id,
            name=self.host_name,
            type="A",
            aliases=[
                {
                    "name": self.load_balancer.dns_name,
                    "zone_id": self.load_balancer.zone_id,
                    "evaluate_target_health": False,
                }
            ],
            opts=child,
        )
        self.url = f"https://{self.host_name}"
        self.register_outputs({"url": self.url, "loadBalancerArn": self.load_balancer.arn})

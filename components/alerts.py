"""Alerting: an encrypted SNS topic with the on-call emails, and EventBridge rules that turn this service's
ECS failures into readable messages on it. Alarms (components/alarms.py) publish to the same `topic`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.connect_cluster import ConnectCluster
from wms_connector.aws_names import aws_name
from wms_connector.stages import Stage

# The only services that may publish to the topic (and use its key).
PUBLISHERS = ("events.amazonaws.com", "cloudwatch.amazonaws.com")

# A task stopped by the scheduler during a deployment (old revision scaled in) is normal. The stopCode alone
# cannot tell it apart: failed ELB health checks are also `ServiceSchedulerInitiated`. The reason can.
DEPLOYMENT_SCALE_IN_REASON = "Scaling activity initiated by (deployment"


def task_stopped_pattern(cluster_arn: str, service_name: str) -> dict:
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [cluster_arn],
            "group": [f"service:{service_name}"],
            "lastStatus": ["STOPPED"],
            "stoppedReason": [{"anything-but": {"prefix": DEPLOYMENT_SCALE_IN_REASON}}],
        },
    }


def service_error_pattern(cluster_arn: str, service_arn: str) -> dict:
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Service Action"],
        "resources": [service_arn],
        "detail": {"clusterArn": [cluster_arn], "eventType": ["ERROR"]},
    }


def _message(stage: Stage, paths: dict[str, str], text: str) -> tuple[dict, str]:
    """An input transformer's paths and template: one readable line, `<name>` filled from `paths`. The template
    is a JSON string, so EventBridge escapes the values it puts in."""
    return paths, f'"[{stage.service_name}] {text}"'


def task_stopped_message(stage: Stage) -> tuple[dict, str]:
    return _message(
        stage,
        {"task": "$.detail.taskArn", "code": "$.detail.stopCode", "reason": "$.detail.stoppedReason",
         "time": "$.time"},
        "A Kafka Connect task stopped at <time>. Stop code: <code>. Reason: <reason>. Task: <task>. "
        "ECS starts a replacement; check the connector log group if it repeats.",
    )


def service_error_message(stage: Stage) -> tuple[dict, str]:
    return _message(
        stage,
        {"event": "$.detail.eventName", "service": "$.resources[0]", "time": "$.time"},
        "ECS reported <event> for service <service> at <time>. "
        "The service cannot run its Kafka Connect tasks; see the service events in the ECS console.",
    )


def topic_policy(topic_arn: str, account_id: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyEventBridgeAndCloudWatchPublish",
                "Effect": "Allow",
                "Principal": {"Service": list(PUBLISHERS)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


# What a publisher needs of the key to publish to the encrypted topic ("Resource": "*" is this key).
PUBLISHER_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]


def key_policy(account_id: str, partition: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": PUBLISHER_KEY_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                # No source condition: EventBridge's key requests for an encrypted SNS target do not carry
                # aws:SourceAccount/aws:SourceArn, so such a condition would drop every event silently (the SNS
                # developer guide, "Key management": adding them "is not supported for EventBridge-to-encrypted
                # topics"). The topic policy scopes EventBridge's publishing to this account's rules.
                "Sid": "EventBridgeEncrypts",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": PUBLISHER_KEY_ACTIONS,
                "Resource": "*",
            },
        ],
    }


@dataclass(frozen=True)
class AlertsArgs:
    stage: Stage
    account_id: str
    partition: str
    emails: Sequence[str]
    connect: ConnectCluster  # the service whose task stops and errors are reported


class Alerts(pulumi.ComponentResource):
    """Exposes `topic` (and `topic_arn`) for alarms to publish to."""

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:alerts:Alerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stage = args.stage

        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts the alert topic of {stage.service_name}",
            enable_key_rotation=True,
            deletion_window_in_days=7 if stage.is_ephemeral else 30,
            policy=pulumi.Output.json_dumps(key_policy(args.account_id, args.partition)),
            opts=child,
        )
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=aws_name(stage, "sns-topic", "alerts"),
            kms_master_key_id=self.key.arn,
            opts=child,
        )
        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(lambda arn: json.dumps(topic_policy(arn, args.account_id))),
            opts=child,
        )
        self.subscriptions = [
            aws.sns.TopicSubscription(
                f"{name}-email-{email}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
            for email in args.emails
        ]

        cluster, service = args.connect.cluster, args.connect.service
        stopped = pulumi.Output.all(cluster.arn, service.name).apply(lambda v: task_stopped_pattern(*v))
        errors = pulumi.Output.all(cluster.arn, service.arn).apply(lambda v: service_error_pattern(*v))
        self.task_stopped_rule = self._rule(
            stage, name, "task-stopped", "Kafka Connect task stopped (not a deployment scale-in)", stopped,
            task_stopped_message(stage), child,
        )
        self.service_error_rule = self._rule(
            stage, name, "service-error", "ECS service action ERROR for Kafka Connect", errors,
            service_error_message(stage), child,
        )

        self.topic_arn = self.topic.arn
        self.register_outputs({"topicArn": self.topic.arn})

    def _rule(self, stage, name, suffix, description, pattern, message, child) -> aws.cloudwatch.EventRule:
        stage_rule = aws.cloudwatch.EventRule(
            f"{name}-{suffix}",
            name=aws_name(stage, "event-rule", suffix),
            description=description,
            event_pattern=pulumi.Output.json_dumps(pattern),
            opts=child,
        )
        paths, template = message
        aws.cloudwatch.EventTarget(
            f"{name}-{suffix}-to-topic",
            rule=stage_rule.name,
            arn=self.topic.arn,
            input_transformer={"input_paths": paths, "input_template": template},
            opts=child,
        )
        return stage_rule

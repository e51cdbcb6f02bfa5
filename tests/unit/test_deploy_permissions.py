"""The deploy permissions (components/deploy_permissions.py): every resource type and lookup the program uses for
every kind of stage has an entry, nothing it no longer uses is listed, and the policy those entries make up (the
list docs/deploy.md gives) grants every call pulumi-aws makes to create, read, update and delete each resource type
the program declares."""

from __future__ import annotations

import fnmatch
import re

import pytest

from components.deploy_permissions import LOOKUP_ACTIONS, RESOURCE_ACTIONS, actions_by_service, needs_no_calls
from tests.unit.pulumi_harness import run_program

STAGES = ("main", "val", "production", "feat-x")


@pytest.fixture(scope="module")
def used() -> tuple[set[str], set[str]]:
    types: set[str] = set()
    lookups: set[str] = set()
    for stage in STAGES:
        run = run_program(stage)
        run.raise_error()
        types |= {resource.type for resource in run.resources}
        lookups |= {token for token, _ in run.calls}
    return types, lookups


def test_every_resource_type_the_program_registers_has_its_permissions(used):
    types, _ = used
    missing = sorted(t for t in types if not needs_no_calls(t) and t not in RESOURCE_ACTIONS)
    assert missing == []


def test_every_lookup_the_program_makes_has_its_permissions(used):
    _, lookups = used
    assert sorted(lookups - set(LOOKUP_ACTIONS)) == []


def test_no_permission_is_listed_for_what_the_program_no_longer_uses(used):
    types, lookups = used
    assert sorted(set(RESOURCE_ACTIONS) - types) == []
    assert sorted(set(LOOKUP_ACTIONS) - lookups) == []


def test_every_action_is_service_colon_name():
    for service, names in actions_by_service().items():
        assert re.fullmatch(r"[a-z0-9-]+", service), service
        assert all(name[0].isupper() and ":" not in name for name in names), (service, names)


# -- what pulumi-aws calls --------------------------------------------------------------------------------------

# What pulumi-aws (the Terraform AWS provider underneath) calls for each resource type the program declares, with
# the inputs the program gives it, written here from the AWS API and provider documentation (not read from
# components/deploy_permissions.py, the table under test). Every resource gets the provider's default tags, so
# creating one tags it and reading one lists its tags. "update" is what changing an input the program sets calls.
EXPECTED_CALLS: dict[str, dict[str, tuple[str, ...]]] = {
    "aws:acm/certificate:Certificate": {  # issued by the stage's private CA
        "create": ("acm:RequestCertificate", "acm:AddTagsToCertificate", "acm:DescribeCertificate"),
        "read": ("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
        "update": ("acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"),
        "delete": ("acm:DeleteCertificate",),
    },
    "aws:cloudwatch/dashboard:Dashboard": {
        "create": ("cloudwatch:PutDashboard",),
        "read": ("cloudwatch:GetDashboard",),
        "update": ("cloudwatch:PutDashboard",),
        "delete": ("cloudwatch:DeleteDashboards",),
    },
    "aws:cloudwatch/eventRule:EventRule": {
        "create": ("events:PutRule", "events:TagResource"),
        "read": ("events:DescribeRule", "events:ListTagsForResource"),
        "update": ("events:PutRule", "events:TagResource", "events:UntagResource"),
        "delete": ("events:DeleteRule",),
    },
    "aws:cloudwatch/eventTarget:EventTarget": {
        "create": ("events:PutTargets",),
        "read": ("events:ListTargetsByRule",),
        "update": ("events:PutTargets",),
        "delete": ("events:RemoveTargets",),
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        "create": ("logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy"),
        "read": ("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        "update": ("logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource"),
        "delete": ("logs:DeleteLogGroup",),
    },
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": {
        "create": ("logs:PutMetricFilter",),
        "read": ("logs:DescribeMetricFilters",),
        "update": ("logs:PutMetricFilter",),
        "delete": ("logs:DeleteMetricFilter",),
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        "create": ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
        "read": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        "update": ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
        "delete": ("cloudwatch:DeleteAlarms",),
    },
    "aws:dynamodb/table:Table": {  # point-in-time recovery on; deletion protection on named stages
        "create": ("dynamodb:CreateTable", "dynamodb:TagResource", "dynamodb:DescribeTable",
                   "dynamodb:UpdateContinuousBackups"),
        "read": ("dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive",
                 "dynamodb:ListTagsOfResource"),
        "update": ("dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups", "dynamodb:TagResource",
                   "dynamodb:UntagResource"),
        "delete": ("dynamodb:DeleteTable", "dynamodb:DescribeTable"),
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        # Created in a VPC with no inline rules: the provider revokes AWS's default allow-all egress rule.
        "create": ("ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:DescribeSecurityGroups",
                   "ec2:RevokeSecurityGroupEgress"),
        "read": ("ec2:DescribeSecurityGroups",),
        "update": ("ec2:CreateTags", "ec2:DeleteTags"),
        # Before deleting a group the provider lists the network interfaces still in it and deletes the ones a
        # Lambda left behind (the VPC Lambdas' group always has some for a while after they are deleted).
        "delete": ("ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:DeleteSecurityGroup"),
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        "create": ("ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"),
        "read": ("ec2:DescribeSecurityGroupRules",),
        "update": ("ec2:ModifySecurityGroupRules", "ec2:CreateTags", "ec2:DeleteTags"),
        "delete": ("ec2:RevokeSecurityGroupEgress",),
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        "create": ("ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags"),
        "read": ("ec2:DescribeSecurityGroupRules",),
        "update": ("ec2:ModifySecurityGroupRules", "ec2:CreateTags", "ec2:DeleteTags"),
        "delete": ("ec2:RevokeSecurityGroupIngress",),
    },
    "aws:ecr/repository:Repository": {
        "create": ("ecr:CreateRepository", "ecr:TagResource"),
        "read": ("ecr:DescribeRepositories", "ecr:ListTagsForResource"),
        "update": ("ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:TagResource",
                   "ecr:UntagResource"),
        "delete": ("ecr:DeleteRepository",),
    },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
        "create": ("ecr:PutLifecyclePolicy",),
        "read": ("ecr:GetLifecyclePolicy",),
        "update": ("ecr:PutLifecyclePolicy",),
        "delete": ("ecr:DeleteLifecyclePolicy",),
    },
    "awsx:ecr:Image": {  # a docker push to the repository; the image is never deleted by Pulumi
        "create": ("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
                   "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"),
        "read": (),
        "update": ("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
                   "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"),
        "delete": (),
    },
    "aws:ecs/cluster:Cluster": {
        "create": ("ecs:CreateCluster", "ecs:TagResource"),
        "read": ("ecs:DescribeClusters",),
        "update": ("ecs:UpdateCluster", "ecs:TagResource", "ecs:UntagResource"),
        "delete": ("ecs:DeleteCluster",),
    },
    "aws:ecs/service:Service": {
        "create": ("ecs:CreateService", "ecs:TagResource"),
        "read": ("ecs:DescribeServices",),
        "update": ("ecs:UpdateService", "ecs:TagResource", "ecs:UntagResource"),
        # The provider scales the service to 0, deletes it and waits until it is inactive.
        "delete": ("ecs:DescribeServices", "ecs:UpdateService", "ecs:DeleteService"),
    },
    "aws:ecs/taskDefinition:TaskDefinition": {  # with a task role and an execution role to pass
        "create": ("ecs:RegisterTaskDefinition", "ecs:TagResource", "iam:PassRole"),
        "read": ("ecs:DescribeTaskDefinition",),
        "update": ("ecs:RegisterTaskDefinition", "iam:PassRole"),  # a change is a new revision
        "delete": ("ecs:DeregisterTaskDefinition",),
    },
    "aws:iam/role:Role": {  # with the stage's path and permissions boundary
        "create": ("iam:CreateRole", "iam:TagRole", "iam:PutRolePermissionsBoundary", "iam:GetRole"),
        "read": ("iam:GetRole",),
        "update": ("iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:PutRolePermissionsBoundary", "iam:TagRole",
                   "iam:UntagRole"),
        # The provider removes the role from any instance profile before deleting it.
        "delete": ("iam:ListInstanceProfilesForRole", "iam:DeleteRole"),
    },
    "aws:iam/rolePolicy:RolePolicy": {
        "create": ("iam:PutRolePolicy",),
        "read": ("iam:GetRolePolicy",),
        "update": ("iam:PutRolePolicy",),
        "delete": ("iam:DeleteRolePolicy",),
    },
    "aws:kms/key:Key": {  # with a key policy, a description and rotation on
        "create": ("kms:CreateKey", "kms:TagResource", "kms:EnableKeyRotation"),
        "read": ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
        "update": ("kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource"),
        "delete": ("kms:ScheduleKeyDeletion",),
    },
    "aws:lambda/function:Function": {  # in the VPC, with an execution role to pass
        "create": ("lambda:CreateFunction", "lambda:TagResource", "iam:PassRole", "ec2:DescribeSubnets",
                   "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"),
        "read": ("lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig"),
        "update": ("lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:TagResource",
                   "lambda:UntagResource", "iam:PassRole"),
        "delete": ("lambda:DeleteFunction",),
    },
    "aws:lambda/permission:Permission": {
        "create": ("lambda:AddPermission",),
        "read": ("lambda:GetPolicy",),
        "update": ("lambda:RemovePermission", "lambda:AddPermission"),
        "delete": ("lambda:RemovePermission",),
    },
    "aws:lb/loadBalancer:LoadBalancer": {
        "create": ("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:AddTags",
                   "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:DescribeLoadBalancers"),
        "read": ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
                 "elasticloadbalancing:DescribeTags"),
        # Its security groups and subnets (the stage's network) can change in place.
        "update": ("elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetSecurityGroups",
                   "elasticloadbalancing:SetSubnets", "elasticloadbalancing:AddTags",
                   "elasticloadbalancing:RemoveTags"),
        "delete": ("elasticloadbalancing:DeleteLoadBalancer",),
    },
    "aws:lb/listener:Listener": {
        "create": ("elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags"),
        "read": ("elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTags"),
        "update": ("elasticloadbalancing:ModifyListener", "elasticloadbalancing:AddTags",
                   "elasticloadbalancing:RemoveTags"),
        "delete": ("elasticloadbalancing:DeleteListener",),
    },
    "aws:lb/targetGroup:TargetGroup": {
        "create": ("elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:AddTags",
                   "elasticloadbalancing:ModifyTargetGroupAttributes"),
        "read": ("elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
                 "elasticloadbalancing:DescribeTags"),
        "update": ("elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
                   "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"),
        "delete": ("elasticloadbalancing:DeleteTargetGroup",),
    },
    "aws:route53/zone:Zone": {  # private, tied to the stage's VPC, with a comment, force-destroyed
        "create": ("route53:CreateHostedZone", "ec2:DescribeVpcs", "route53:ChangeTagsForResource",
                   "route53:GetChange"),
        "read": ("route53:GetHostedZone", "route53:ListTagsForResource"),
        "update": ("route53:UpdateHostedZoneComment", "route53:AssociateVPCWithHostedZone",
                   "route53:DisassociateVPCFromHostedZone", "route53:ChangeTagsForResource"),
        "delete": ("route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets", "route53:DeleteHostedZone"),
    },
    "aws:route53/record:Record": {
        # The provider reads the zone first, for its name.
        "create": ("route53:GetHostedZone", "route53:ChangeResourceRecordSets", "route53:GetChange"),
        "read": ("route53:ListResourceRecordSets",),
        "update": ("route53:ChangeResourceRecordSets", "route53:GetChange"),
        "delete": ("route53:ChangeResourceRecordSets", "route53:GetChange"),
    },
    "aws:sns/topic:Topic": {
        "create": ("sns:CreateTopic", "sns:TagResource"),
        "read": ("sns:GetTopicAttributes", "sns:ListTagsForResource"),
        "update": ("sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"),
        "delete": ("sns:DeleteTopic",),
    },
    "aws:sns/topicPolicy:TopicPolicy": {
        "create": ("sns:SetTopicAttributes",),
        "read": ("sns:GetTopicAttributes",),
        "update": ("sns:SetTopicAttributes",),
        "delete": ("sns:SetTopicAttributes",),  # back to the topic's default policy
    },
    "aws:sns/topicSubscription:TopicSubscription": {
        "create": ("sns:Subscribe",),
        "read": ("sns:GetSubscriptionAttributes",),
        "update": ("sns:SetSubscriptionAttributes",),
        "delete": ("sns:Unsubscribe",),
    },
    # The dynamic resources act through the stage's admin Lambda.
    "pulumi-python:dynamic/wms:DebeziumConnector": {
        phase: ("lambda:InvokeFunction",) for phase in ("create", "read", "update", "delete")
    },
    "pulumi-python:dynamic/wms:StageTopicCleanup": {
        phase: ("lambda:InvokeFunction",) for phase in ("create", "read", "update", "delete")
    },
}

# Calls the policy is known not to grant, per resource type: each test case below stays an expected failure until
# components/deploy_permissions.py grants them, and then fails, so that this list is cut down with the fix.


def _policy() -> set[str]:
    """Every action the deploy policy lists (docs/deploy.md's table), as `service:Name`."""
    return {f"{service}:{name}" for service, names in actions_by_service().items() for name in names}


def _granted(action: str, policy: set[str]) -> bool:
    """IAM's matching: action names are case-insensitive, `*` and `?` are wildcards (`ecs:*`, `ecs:Describe*`)."""
    return any(fnmatch.fnmatchcase(action.lower(), grant.lower()) for grant in policy)


def test_granted_follows_iams_wildcards():
    assert _granted("ecs:DescribeServices", {"ecs:Describe*"}) and _granted("ecs:DeleteService", {"ecs:*"})
    assert _granted("ecs:describeservices", {"ecs:DescribeServices"})
    assert not _granted("ecs:DeleteService", {"ecs:Describe*", "ec2:*", "ecs:DeleteServices"})


def test_every_resource_type_the_program_declares_has_its_expected_calls_here(used):
    types, _ = used
    assert sorted(t for t in types if not needs_no_calls(t)) == sorted(EXPECTED_CALLS)
    assert all(set(calls) == {"create", "read", "update", "delete"} for calls in EXPECTED_CALLS.values())


@pytest.mark.parametrize("resource_type", sorted(EXPECTED_CALLS))
def test_the_deploy_policy_grants_what_pulumi_aws_calls_to_create_read_update_and_delete(resource_type):
    policy = _policy()
    missing = {
        phase: [action for action in actions if not _granted(action, policy)]
        for phase, actions in EXPECTED_CALLS[resource_type].items()
    }
    assert {phase: actions for phase, actions in missing.items() if actions} == {}

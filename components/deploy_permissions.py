"""The AWS permissions whoever runs `pulumi up`, `refresh` and `destroy` for a stage needs: per resource type the
program registers and per lookup it makes. A test runs the program under mocks for every kind of stage and fails
when a type or lookup has no entry here (or an entry is no longer used), and docs/deploy.md's list is generated
from this table, so the list a first deploy works from is complete.
"""

from __future__ import annotations

from collections.abc import Iterable

_TAGS = ("TagResource", "UntagResource", "ListTagsForResource")


def _crud(service: str, *actions: str, tags: Iterable[str] = _TAGS) -> tuple[str, ...]:
    return tuple(f"{service}:{action}" for action in (*actions, *tags))


# Resource type -> what creating, reading, updating and deleting it calls.
RESOURCE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:acm/certificate:Certificate": _crud(
        "acm", "RequestCertificate", "DescribeCertificate", "DeleteCertificate", "UpdateCertificateOptions",
        tags=("AddTagsToCertificate", "RemoveTagsFromCertificate", "ListTagsForCertificate"),
    ),
    "aws:cloudwatch/dashboard:Dashboard": _crud(
        "cloudwatch", "PutDashboard", "GetDashboard", "DeleteDashboards", tags=()
    ),
    "aws:cloudwatch/eventRule:EventRule": _crud(
        "events", "PutRule", "DescribeRule", "DeleteRule", "ListTargetsByRule"
    ),
    "aws:cloudwatch/eventTarget:EventTarget": _crud(
        "events", "PutTargets", "RemoveTargets", "ListTargetsByRule", tags=()
    ),
    "aws:cloudwatch/logGroup:LogGroup": _crud(
        "logs", "CreateLogGroup", "DeleteLogGroup", "DescribeLogGroups", "PutRetentionPolicy",
        tags=("TagResource", "UntagResource", "ListTagsForResource"),
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _crud(
        "logs", "PutMetricFilter", "DescribeMetricFilters", "DeleteMetricFilter", tags=()
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _crud("cloudwatch", "PutMetricAlarm", "DescribeAlarms", "DeleteAlarms"),
    "aws:dynamodb/table:Table": _crud(
        "dynamodb", "CreateTable", "DescribeTable", "UpdateTable", "DeleteTable", "DescribeContinuousBackups",
        "UpdateContinuousBackups", "DescribeTimeToLive",
        tags=("TagResource", "UntagResource", "ListTagsOfResource"),
    ),
    "aws:ec2/securityGroup:SecurityGroup": _crud(
        "ec2", "CreateSecurityGroup", "DescribeSecurityGroups", "DeleteSecurityGroup", "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupEgress", "DescribeSecurityGroupRules",
        # Deleting a group first removes the network interfaces a Lambda in it left behind.
        "DescribeNetworkInterfaces", "DeleteNetworkInterface",
        tags=("CreateTags", "DeleteTags"),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _crud(
        "ec2", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress", "DescribeSecurityGroupRules",
        "ModifySecurityGroupRules", tags=("CreateTags", "DeleteTags"),
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _crud(
        "ec2", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DescribeSecurityGroupRules",
        "ModifySecurityGroupRules", tags=("CreateTags", "DeleteTags"),
    ),
    "aws:ecr/repository:Repository": _crud(
        "ecr", "CreateRepository", "DescribeRepositories", "DeleteRepository", "PutImageScanningConfiguration",
        "PutImageTagMutability",
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _crud(
        "ecr", "PutLifecyclePolicy", "GetLifecyclePolicy", "DeleteLifecyclePolicy", tags=()
    ),
    # Built and pushed during `pulumi up` (Docker on the machine that runs it).
    "awsx:ecr:Image": _crud(
        "ecr", "GetAuthorizationToken", "BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart",
        "CompleteLayerUpload", "PutImage", "BatchGetImage", "DescribeImages", tags=(),
    ),
    "aws:ecs/cluster:Cluster": _crud("ecs", "CreateCluster", "DescribeClusters", "UpdateCluster", "DeleteCluster"),
    "aws:ecs/service:Service": _crud("ecs", "CreateService", "DescribeServices", "UpdateService", "DeleteService"),
    "aws:ecs/taskDefinition:TaskDefinition": _crud(
        "ecs", "RegisterTaskDefinition", "DescribeTaskDefinition", "DeregisterTaskDefinition"
    ),
    # Roles get the stage's path and permissions boundary; passing them to ECS and Lambda needs PassRole.
    "aws:iam/role:Role": _crud(
        "iam", "CreateRole", "GetRole", "UpdateRole", "DeleteRole", "PutRolePermissionsBoundary",
        "UpdateAssumeRolePolicy", "ListRolePolicies", "ListAttachedRolePolicies", "ListInstanceProfilesForRole",
        "PassRole", tags=("TagRole", "UntagRole", "ListRoleTags"),
    ),
    "aws:iam/rolePolicy:RolePolicy": _crud("iam", "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", tags=()),
    "aws:kms/key:Key": _crud(
        "kms", "CreateKey", "DescribeKey", "GetKeyPolicy", "PutKeyPolicy", "GetKeyRotationStatus", "EnableKeyRotation",
        "ScheduleKeyDeletion", "ListResourceTags", "UpdateKeyDescription",
    ),
    # A function in a VPC: Lambda checks the subnets and security groups it is given with the caller's EC2 rights.
    "aws:lambda/function:Function": _crud(
        "lambda", "CreateFunction", "GetFunction", "GetFunctionCodeSigningConfig", "UpdateFunctionCode",
        "UpdateFunctionConfiguration", "DeleteFunction", "ListVersionsByFunction",
        tags=("TagResource", "UntagResource", "ListTags"),
    )
    + ("ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"),
    "aws:lambda/permission:Permission": _crud("lambda", "AddPermission", "RemovePermission", "GetPolicy", tags=()),
    "aws:lb/loadBalancer:LoadBalancer": _crud(
        "elasticloadbalancing", "CreateLoadBalancer", "DescribeLoadBalancers", "DescribeLoadBalancerAttributes",
        "ModifyLoadBalancerAttributes", "DeleteLoadBalancer", "SetSecurityGroups", "SetSubnets",
        tags=("AddTags", "RemoveTags", "DescribeTags"),
    ),
    "aws:lb/listener:Listener": _crud(
        "elasticloadbalancing", "CreateListener", "DescribeListeners", "ModifyListener", "DeleteListener",
        "DescribeListenerAttributes", tags=("AddTags", "RemoveTags", "DescribeTags"),
    ),
    "aws:lb/targetGroup:TargetGroup": _crud(
        "elasticloadbalancing", "CreateTargetGroup", "DescribeTargetGroups", "DescribeTargetGroupAttributes",
        "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup",
        tags=("AddTags", "RemoveTags", "DescribeTags"),
    ),
    # A private zone is tied to the VPC, which Route 53 checks with EC2.
    "aws:route53/zone:Zone": _crud(
        "route53", "CreateHostedZone", "GetHostedZone", "DeleteHostedZone", "ListResourceRecordSets",
        "AssociateVPCWithHostedZone", "DisassociateVPCFromHostedZone", "UpdateHostedZoneComment", "GetChange",
        tags=("ChangeTagsForResource", "ListTagsForResource"),
    )
    + ("ec2:DescribeVpcs",),
    "aws:route53/record:Record": _crud(
        "route53", "ChangeResourceRecordSets", "ListResourceRecordSets", "GetChange", tags=()
    ),
    "aws:sns/topic:Topic": _crud(
        "sns", "CreateTopic", "GetTopicAttributes", "SetTopicAttributes", "DeleteTopic",
    ),
    "aws:sns/topicPolicy:TopicPolicy": _crud("sns", "SetTopicAttributes", "GetTopicAttributes", tags=()),
    "aws:sns/topicSubscription:TopicSubscription": _crud(
        "sns", "Subscribe", "Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes", tags=()
    ),
    # The dynamic resources ask the stage's admin Lambda (in the VPC) to act on Connect and Kafka.
    "pulumi-python:dynamic/wms:DebeziumConnector": ("lambda:InvokeFunction",),
    "pulumi-python:dynamic/wms:StageTopicCleanup": ("lambda:InvokeFunction",),
}

# Lookups (invokes) the program makes before it registers anything.
LOOKUP_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:secretsmanager/getSecretVersion:getSecretVersion": ("secretsmanager:GetSecretValue",),
    "aws:secretsmanager/getSecret:getSecret": ("secretsmanager:DescribeSecret",),
    "aws:ec2/getVpc:getVpc": ("ec2:DescribeVpcs",),
    "aws:index/getCallerIdentity:getCallerIdentity": ("sts:GetCallerIdentity",),
    "aws:index/getPartition:getPartition": (),
    "aws:acmpca/getCertificateAuthority:getCertificateAuthority": ("acm-pca:DescribeCertificateAuthority",),
}

# Types that are only grouping (component resources) or the provider itself: no AWS call of their own.
NO_CALLS_PREFIXES = ("wms:", "pulumi:providers:")


def needs_no_calls(resource_type: str) -> bool:
    return resource_type.startswith(NO_CALLS_PREFIXES)


# Resource types the program declared in earlier versions: the first `pulumi up` after an upgrade reads and deletes
# them (the declared connector's item, written by the admin since).
RETIRED_RESOURCE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:dynamodb/tableItem:TableItem": _crud("dynamodb", "GetItem", "DeleteItem", tags=()),
}


def actions_by_service() -> dict[str, list[str]]:
    """Every action, grouped by service, sorted: what docs/deploy.md lists."""
    grouped: dict[str, set[str]] = {}
    for actions in (*RESOURCE_ACTIONS.values(), *RETIRED_RESOURCE_ACTIONS.values(), *LOOKUP_ACTIONS.values()):
        for action in actions:
            service, _, name = action.partition(":")
            grouped.setdefault(service, set()).add(name)
    return {service: sorted(names) for service, names in sorted(grouped.items())}

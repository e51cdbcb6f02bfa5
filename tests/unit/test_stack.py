"""The whole program under mocks, per stage: names, sizing, network rules, IAM, secrets, service, endpoint,
alerts and outputs."""

from __future__ import annotations

import json
import re

import pytest

from components.iam import UNSCOPED_ACTIONS
from tests.unit.pulumi_harness import (
    ALERT_EMAILS,
    BOUNDARY_ARN,
    BROKERS,
    DATA_SUBNETS,
    DB_PASSWORD,
    DB_USER,
    IAM_PATH,
    PRIVATE_CA_ARN,
    PRIVATE_SUBNETS,
    TEST_ORACLE_CIDRS,
    VPC_CIDR,
    VPC_ID,
    ProgramRun,
    run_program,
    secret_arn,
)
from wms_connector import lambda_env, worker_env
from wms_connector.admin.access import ACCESS_VARIABLE
from wms_connector.aws_names import admin_read_function_name
from wms_connector.settings import DEFAULT_ORACLE_CIDRS
from wms_connector.stages import InvalidStageError, Stage
from wms_connector.topics import StageTopics

STAGES = ["main", "val", "production", "feature-login"]
SIZING = {  # task cpu, task memory, container cpu, container memory
    "main": (1024, 3072, 512, 2560),
    "val": (1024, 3072, 512, 2560),
    "production": (2048, 6144, 2048, 4096),
    "feature-login": (1024, 3072, 512, 2560),
}

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION_TYPE = "aws:lambda/function:Function"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"


@pytest.fixture(scope="module", params=STAGES)
def run(request) -> ProgramRun:
    result = run_program(request.param)
    result.raise_error()
    return result


def container(run: ProgramRun) -> dict:
    definitions = json.loads(run.one(TASK_DEFINITION, "connect-task").inputs["containerDefinitions"])
    assert len(definitions) == 1
    return definitions[0]


def environment(run: ProgramRun) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container(run)["environment"]}


def sg_id(group: str) -> str:
    return f"network-{group}-id"  # the mock id of security group `network-<group>`


def test_names_and_namespacing(run):
    stage = Stage.parse(run.stage)
    topics = StageTopics(stage)
    env = environment(run)
    assert env[worker_env.GROUP_ID] == topics.connect_group_id
    assert env[worker_env.CONFIG_TOPIC] == topics.config_topic
    assert env[worker_env.OFFSET_TOPIC] == topics.offsets_topic
    assert env[worker_env.STATUS_TOPIC] == topics.status_topic
    if stage.is_ephemeral:
        assert all(env[k].startswith(f"{run.stage}.") for k in (worker_env.GROUP_ID, worker_env.CONFIG_TOPIC))
    else:
        assert env[worker_env.GROUP_ID] == f"mgmt.connect.wms-connector-{run.stage}"
    assert env[worker_env.BOOTSTRAP_SERVERS] == BROKERS
    assert env[worker_env.SECURITY_PROTOCOL] == "SSL"
    assert env[worker_env.REPLICATION_FACTOR] == "3"
    assert env[worker_env.REST_PORT] == "8083" and env[worker_env.JMX_EXPORTER_PORT] == "9404"
    assert run.one("aws:ecs/cluster:Cluster", "connect-cluster").inputs["name"] == f"wms-connector-{run.stage}"
    assert run.one(SERVICE, "connect-service").inputs["name"] == f"wms-connector-{run.stage}"
    log_group = run.one("aws:cloudwatch/logGroup:LogGroup", "connect-logs").inputs
    assert log_group["name"] == f"/aws/fargate/wms-connector-{run.stage}-kafka-connect"


def test_sizing(run):
    task_cpu, task_memory, connect_cpu, connect_memory = SIZING[run.stage]
    task = run.one(TASK_DEFINITION, "connect-task").inputs
    assert (task["cpu"], task["memory"]) == (str(task_cpu), str(task_memory))
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    definition = container(run)
    assert (definition["cpu"], definition["memory"]) == (connect_cpu, connect_memory)
    env = environment(run)
    assert env[worker_env.CONTAINER_MEMORY_MIB] == str(connect_memory)
    assert env[worker_env.HEAP_PERCENT] == "55"
    ports = {mapping["containerPort"] for mapping in definition["portMappings"]}
    assert ports == {8083, 9404}


def test_no_ingress_from_anywhere_and_only_the_intended_paths(run):
    # Lambdas reach Connect REST only through the HTTPS endpoint, never the workers' port directly.
    ingress = run.of_type(INGRESS)
    assert all("cidrIpv4" not in r.inputs and "cidrIpv6" not in r.inputs for r in ingress)
    paths = {(r.inputs["securityGroupId"], int(r.inputs["fromPort"]), r.inputs["referencedSecurityGroupId"])
             for r in ingress}
    assert all(int(r.inputs["fromPort"]) == int(r.inputs["toPort"]) for r in ingress)
    assert paths == {
        (sg_id("tasks"), 8083, sg_id("alb")),
        (sg_id("tasks"), 8083, sg_id("tasks")),
        (sg_id("tasks"), 9404, sg_id("lambda")),
        (sg_id("alb"), 443, sg_id("lambda")),
    }


def test_egress_reaches_oracle_msk_and_aws_apis_only(run):
    egress = run.of_type(EGRESS)
    to_cidrs = {(r.inputs["securityGroupId"], int(r.inputs["fromPort"]), r.inputs["cidrIpv4"])
                for r in egress if "cidrIpv4" in r.inputs}
    for group in ("tasks", "lambda"):
        # A named stage reaches only the database network its stack config names; an ephemeral one private space.
        expected = set(TEST_ORACLE_CIDRS) if Stage.parse(run.stage).is_named else set(DEFAULT_ORACLE_CIDRS)
        assert {c for g, p, c in to_cidrs if g == sg_id(group) and p == 1521} == expected
        assert {c for g, p, c in to_cidrs if g == sg_id(group) and p == 9094} == {VPC_CIDR}
        assert {c for g, p, c in to_cidrs if g == sg_id(group) and p == 443} == {"0.0.0.0/0"}
    assert {p for g, p, c in to_cidrs} == {1521, 9094, 443}
    assert not any(g == sg_id("alb") for g, p, c in to_cidrs)
    to_groups = {(r.inputs["securityGroupId"], int(r.inputs["fromPort"]), r.inputs["referencedSecurityGroupId"])
                 for r in egress if "referencedSecurityGroupId" in r.inputs}
    assert to_groups == {
        (sg_id("tasks"), 8083, sg_id("tasks")),
        (sg_id("alb"), 8083, sg_id("tasks")),
        (sg_id("lambda"), 443, sg_id("alb")),
        (sg_id("lambda"), 9404, sg_id("tasks")),
    }
    groups = run.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert {g.name for g in groups} == {"network-tasks", "network-alb", "network-lambda"}
    assert all(g.inputs["vpcId"] == VPC_ID and "ingress" not in g.inputs and "egress" not in g.inputs for g in groups)


def test_every_role_has_path_and_permissions_boundary(run):
    roles = run.of_type(ROLE)
    principals = {
        "connect-execution-role": "ecs-tasks.amazonaws.com",
        "connect-task-role": "ecs-tasks.amazonaws.com",
        "admin-role": "lambda.amazonaws.com",
        "admin-read-role": "lambda.amazonaws.com",
        "health-role": "lambda.amazonaws.com",
    }
    assert {r.name for r in roles} == set(principals)
    for role in roles:
        assert role.inputs["path"] == IAM_PATH
        assert role.inputs["permissionsBoundary"] == BOUNDARY_ARN
        assume = json.loads(role.inputs["assumeRolePolicy"])
        assert assume["Statement"][0]["Principal"] == {"Service": principals[role.name]}


def _statements(run: ProgramRun, policy: str) -> list[dict]:
    return json.loads(run.one(ROLE_POLICY, policy).inputs["policy"])["Statement"]


def test_policies_name_exact_resources(run):
    for policy in run.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            if "*" in statement["Resource"]:
                assert set(statement["Action"]) <= UNSCOPED_ACTIONS, statement
            assert not any(action.endswith(":*") for action in statement["Action"])
    execution = {action: statement["Resource"] for statement in _statements(run, "connect-execution-policy")
                 for action in statement["Action"]}
    assert execution["secretsmanager:GetSecretValue"] == [secret_arn(f"wms/{run.stage}/dbInfo")]
    assert execution["logs:PutLogEvents"] == [
        f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/fargate/wms-connector-{run.stage}-kafka-connect"
        ":log-stream:*"
    ]
    repository = run.one("aws:ecr/repository:Repository", "image-repository")
    repository_arn = f"arn:aws:ecr:us-east-1:123456789012:repository/{repository.inputs['name']}"
    assert execution["ecr:BatchGetImage"] == [repository_arn]
    # ECS Exec is off unless a stage turns it on: the worker's role may then do nothing at all.
    assert "connect-task-policy" not in {policy.name for policy in run.of_type(ROLE_POLICY)}


def test_database_settings_arrive_only_as_an_ecs_secret_by_arn(run):
    definition = container(run)
    assert definition["secrets"] == [{"name": "DB_INFO", "valueFrom": secret_arn(f"wms/{run.stage}/dbInfo")}]
    assert not set(environment(run)) & set(worker_env.DB_VARIABLES)
    everything = run.all_inputs_text()
    for value in (DB_PASSWORD, DB_USER, "10.1.2.3", "WMSDEV", "default-pw-x", "default_user_x"):
        assert value not in everything
    dbinfo_reads = [args for token, args in run.calls if token.endswith("getSecretVersion")
                    and args["secretId"].endswith("/dbInfo")]
    assert dbinfo_reads == []


def test_service_runs_private_in_data_subnets_with_rollback(run):
    service = run.one(SERVICE, "connect-service").inputs
    network = service["networkConfiguration"]
    assert network["subnets"] == DATA_SUBNETS
    assert network["assignPublicIp"] is False
    assert network["securityGroups"] == [sg_id("tasks")]
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["healthCheckGracePeriodSeconds"] >= 600
    assert service["launchType"] == "FARGATE" and service["platformVersion"] == "1.4.0"
    assert service["desiredCount"] == 1
    [balancer] = service["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == ("kafka-connect", 8083)
    assert balancer["targetGroupArn"].endswith(f"targetgroup/wms-connector-{run.stage}")
    cluster = run.one("aws:ecs/cluster:Cluster", "connect-cluster").inputs
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    logging = container(run)["logConfiguration"]
    assert logging["logDriver"] == "awslogs"
    assert logging["options"]["awslogs-group"] == f"/aws/fargate/wms-connector-{run.stage}-kafka-connect"
    # One CloudWatch event per log record, its stack trace included: the admin reads a task's hidden cause there.
    pattern = re.compile(logging["options"]["awslogs-multiline-pattern"])
    assert pattern.match("[2026-12-01 22:57:21,967] WARN [wms-oracle-cdc|task-0] Failed to start connector")
    assert not pattern.match("Caused by: java.net.ConnectException: Connection refused")
    assert not pattern.match("\tat io.debezium.connector.oracle.OracleConnection.<init>(OracleConnection.java:115)")
    retention = run.one("aws:cloudwatch/logGroup:LogGroup", "connect-logs").inputs["retentionInDays"]
    assert retention == {"main": 14, "val": 30, "production": 90}.get(run.stage, 14)


def test_internal_https_endpoint(run):
    zone = f"wms-connector-{run.stage}.internal"
    balancer = run.one("aws:lb/loadBalancer:LoadBalancer", "endpoint-alb").inputs
    assert balancer["internal"] is True and balancer["loadBalancerType"] == "application"
    assert balancer["subnets"] == PRIVATE_SUBNETS and balancer["securityGroups"] == [sg_id("alb")]
    certificate = run.one("aws:acm/certificate:Certificate", "endpoint-certificate").inputs
    assert certificate["domainName"] == f"connect.{zone}"
    assert certificate["certificateAuthorityArn"] == PRIVATE_CA_ARN
    # HTTPS only (no plain-HTTP listener), TLS 1.2 and 1.3 with AWS's recommended ciphers.
    [listener] = [r.inputs for r in run.of_type("aws:lb/listener:Listener")]
    assert (listener["port"], listener["protocol"]) == (443, "HTTPS")
    assert listener["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert balancer["dropInvalidHeaderFields"] is True
    assert listener["certificateArn"].endswith("endpoint-certificate")
    group = run.one("aws:lb/targetGroup:TargetGroup", "endpoint-rest").inputs
    assert (group["port"], group["targetType"], group["vpcId"]) == (8083, "ip", VPC_ID)
    assert (group["healthCheck"]["path"], group["healthCheck"]["matcher"]) == ("/", "200-499")
    hosted = run.one("aws:route53/zone:Zone", "endpoint-zone").inputs
    assert hosted["name"] == zone and hosted["vpcs"] == [{"vpcId": VPC_ID}]
    record = run.one("aws:route53/record:Record", "endpoint-record").inputs
    assert record["name"] == f"connect.{zone}" and record["type"] == "A"


def test_alert_topic_is_encrypted_and_only_eventbridge_and_cloudwatch_publish(run):
    topic = run.one("aws:sns/topic:Topic", "alerts-topic").inputs
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:")
    assert topic["name"] == f"wms-connector-{run.stage}-alerts"
    [statement] = json.loads(run.one("aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy").inputs["policy"])[
        "Statement"
    ]
    assert statement["Principal"] == {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    subscriptions = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == sorted(ALERT_EMAILS)
    assert all(s.inputs["protocol"] == "email" for s in subscriptions)
    key = run.one("aws:kms/key:Key", "alerts-key").inputs
    assert key["enableKeyRotation"] is True
    publishers = {statement["Principal"].get("Service"): statement
                  for statement in json.loads(key["policy"])["Statement"]}
    for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
        assert publishers[service]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert publishers["cloudwatch.amazonaws.com"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}
    }
    # EventBridge's key requests for an encrypted topic carry no source keys: a condition would drop every event.
    assert "Condition" not in publishers["events.amazonaws.com"]


def test_eventbridge_rules_and_their_targets(run):
    service_name = f"wms-connector-{run.stage}"
    # The health component's schedule and rotation rules are tested in test_stack_health.py.
    rules = {r.name: r.inputs for r in run.of_type(RULE) if not r.name.startswith("health-")}
    assert set(rules) == {"alerts-task-stopped", "alerts-service-error"}
    stopped = json.loads(rules["alerts-task-stopped"]["eventPattern"])
    assert stopped["detail-type"] == ["ECS Task State Change"]
    assert stopped["detail"]["lastStatus"] == ["STOPPED"]
    assert stopped["detail"]["group"] == [f"service:{service_name}"]
    assert stopped["detail"]["clusterArn"] == [f"arn:aws:ecs:us-east-1:123456789012:cluster/{service_name}"]
    scale_in = "Scaling activity initiated by (deployment"
    assert stopped["detail"]["stoppedReason"] == [{"anything-but": {"prefix": scale_in}}]
    errors = json.loads(rules["alerts-service-error"]["eventPattern"])
    assert errors["detail-type"] == ["ECS Service Action"]
    assert errors["detail"]["eventType"] == ["ERROR"]
    assert errors["resources"] == [f"arn:aws:ecs:us-east-1:123456789012:service/{service_name}"]
    topic_arn = f"arn:aws:sns:us-east-1:123456789012:topic/{service_name}-alerts"
    targets = {t.inputs["rule"]: t.inputs for t in run.of_type(TARGET) if not t.name.startswith("health-")}
    assert set(targets) == {rules[name]["name"] for name in rules}
    for target in targets.values():
        assert target["arn"] == topic_arn
        transformer = target["inputTransformer"]
        template = transformer["inputTemplate"]
        assert template.startswith(f'"[{service_name}]') and template.endswith('"')
        for variable in transformer["inputPaths"]:
            assert f"<{variable}>" in template


def test_outputs(run):
    stage = Stage.parse(run.stage)
    topics = StageTopics(stage)
    outputs = run.outputs
    assert outputs["clusterName"] == outputs["serviceName"] == f"wms-connector-{run.stage}"
    assert outputs["connectEndpointUrl"] == f"https://connect.wms-connector-{run.stage}.internal"
    assert outputs["alertTopicArn"].endswith(f"wms-connector-{run.stage}-alerts")
    assert outputs["logGroupName"] == f"/aws/fargate/wms-connector-{run.stage}-kafka-connect"
    assert outputs["dataTopics"] == list(topics.data_topics)
    assert outputs["connectInternalTopics"] == list(topics.connect_internal_topics)
    if stage.is_named:
        assert outputs["dataTopics"][0] == "aws.wms.cdc.MMDL.PLAN_BASE_WVR_TBL"
    else:
        assert all(t.startswith(f"{run.stage}.") for t in outputs["dataTopics"] + outputs["connectInternalTopics"])


def test_every_aws_resource_uses_the_stage_provider(run):
    [provider] = run.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert tags["Stage"] == run.stage and tags["Ephemeral"] == str(Stage.parse(run.stage).is_ephemeral).lower()
    for resource in run.resources:
        if resource.custom and resource.type.split(":")[0] in ("aws", "awsx"):
            assert resource.provider.startswith("urn:pulumi:") and "pulumi:providers:aws::aws::" in resource.provider


def test_ephemeral_stacks_destroy_cleanly_named_ones_keep_data(run):
    ephemeral = Stage.parse(run.stage).is_ephemeral
    assert run.one("aws:ecr/repository:Repository", "image-repository").inputs["forceDelete"] is ephemeral
    assert run.one("aws:route53/zone:Zone", "endpoint-zone").inputs["forceDestroy"] is ephemeral


def test_image_is_built_from_connect_image(run):
    [image] = run.of_type("awsx:ecr:Image")
    assert image.inputs["context"].endswith("/connect-image")
    assert image.inputs["platform"] == "linux/amd64"
    assert container(run)["image"].startswith(image.inputs["repositoryUrl"] + "@sha256:")


def test_components_are_registered_with_their_types(run):
    types = {r.type for r in run.resources if not r.custom}
    assert {"wms:network:Network", "wms:image:ConnectImage", "wms:endpoint:ConnectEndpoint",
            "wms:connect_cluster:ConnectCluster", "wms:alerts:Alerts", "wms:iam:ServiceRole"} <= types


def test_each_lambda_waits_for_its_log_group_and_role_policy(run):
    # Lambda checks the role's network interface permissions when it creates the function in the VPC.
    for name in ("admin", "health"):
        needed = run.depends_on("aws:lambda/function:Function", f"{name}-function")
        assert ("aws:cloudwatch/logGroup:LogGroup", f"{name}-logs") in needed
        assert ("aws:iam/rolePolicy:RolePolicy", f"{name}-policy") in needed



# Inputs that hold a resource's physical name; a role policy's name is unique only within its role.
PHYSICAL_NAME_INPUTS = ("name", "family", "dashboardName")
NAMED_WITHIN_PARENT = {ROLE_POLICY}


def physical_names(run: ProgramRun) -> set[tuple[str, str]]:
    return {
        (r.type, r.inputs[key])
        for r in run.resources
        if r.custom and r.type.startswith("aws:") and r.type not in NAMED_WITHIN_PARENT
        for key in PHYSICAL_NAME_INPUTS
        if isinstance(r.inputs.get(key), str)
    }


def test_no_stage_extended_by_a_hyphen_takes_another_stages_names(run):
    """Every AWS physical name carries `wms-connector-<stage>`, so stage `<stage>-<x>` names a resource of the same
    type exactly as `<stage>` does only if one name is another's with `-<x>` inserted after the stage. Checked on
    the names the program really registers, for every resource type."""
    service = Stage.parse(run.stage).service_name
    templates: dict[str, set[tuple[str, str]]] = {}
    for type_, name in physical_names(run):
        assert service in name, (type_, name)
        before, _, after = name.partition(service)
        templates.setdefault(type_, set()).add((before, after))
    for type_, pairs in templates.items():
        for before, after in pairs:
            for other_before, other_after in pairs:
                inserted = after[: len(after) - len(other_after)] if after.endswith(other_after) else ""
                if before != other_before or not inserted.startswith("-") or len(inserted) < 2:
                    continue
                try:
                    Stage.parse(run.stage + inserted)
                except InvalidStageError:
                    continue  # no stage can be named like that
                raise AssertionError(f"stage {run.stage + inserted!r} would name a {type_} {before}{service}"
                                     f"{inserted}{other_after}, as {run.stage!r} does")


def test_the_task_probes_idle_connections_so_a_dropped_one_is_noticed(run):
    controls = {item["namespace"]: int(item["value"]) for item in container(run)["systemControls"]}
    assert set(controls) == {
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"
    }
    # The first probe and the give-up both come well inside the 350 s after which AWS NAT drops an idle flow.
    assert controls["net.ipv4.tcp_keepalive_time"] + controls["net.ipv4.tcp_keepalive_intvl"] < 350


def test_the_read_only_admin_function_can_read_nothing_it_could_change(run):
    # Two functions over the same code: IAM lets on-call invoke the read one alone (docs/security.md).
    full = run.one(FUNCTION_TYPE, "admin-function").inputs
    read = run.one(FUNCTION_TYPE, "admin-read-function").inputs
    assert read["name"] == admin_read_function_name(Stage.parse(run.stage)) and read["handler"] == full["handler"]
    read_env, full_env = read["environment"]["variables"], full["environment"]["variables"]
    assert read_env[ACCESS_VARIABLE] == "read" and ACCESS_VARIABLE not in full_env
    assert lambda_env.DB_SECRET_ARN not in read_env and lambda_env.DB_SECRET_ARN in full_env
    read_actions = {a for s in _statements(run, "admin-read-policy") for a in s["Action"]}
    full_actions = {a for s in _statements(run, "admin-policy") for a in s["Action"]}
    assert {"secretsmanager:GetSecretValue", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= full_actions
    assert not read_actions & {"secretsmanager:GetSecretValue", "dynamodb:PutItem", "dynamodb:DeleteItem"}
    assert "dynamodb:GetItem" in read_actions


def test_ecs_exec_is_off_unless_the_stage_turns_it_on(run):
    service = run.one(SERVICE, "connect-service").inputs
    cluster = run.one("aws:ecs/cluster:Cluster", "connect-cluster").inputs
    assert service["enableExecuteCommand"] is False and "configuration" not in cluster
    assert "connect-exec-key" not in {key.name for key in run.of_type("aws:kms/key:Key")}


def test_ecs_exec_turned_on_logs_every_session_encrypted_with_the_stages_key():
    run = run_program("production", config={"ecsExec": True})
    run.raise_error()
    service = run.one(SERVICE, "connect-service").inputs
    exec_config = run.one("aws:ecs/cluster:Cluster", "connect-cluster").inputs["configuration"][
        "executeCommandConfiguration"]
    key = run.one("aws:kms/key:Key", "connect-exec-key").inputs
    assert service["enableExecuteCommand"] is True and key["enableKeyRotation"] is True
    assert exec_config["logging"] == "OVERRIDE"
    log_group = exec_config["logConfiguration"]["cloudWatchLogGroupName"]
    assert log_group == "/aws/fargate/wms-connector-production-kafka-connect"
    actions = {a: s["Resource"] for s in _statements(run, "connect-task-policy") for a in s["Action"]}
    assert set(actions) == {"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                            "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel", "kms:Decrypt",
                            "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams",
                            "logs:DescribeLogGroups"}
    assert actions["kms:Decrypt"] != ["*"] and actions["logs:PutLogEvents"] != ["*"]


@pytest.mark.parametrize("stage", ["main", "val", "production"])
def test_a_named_stage_without_its_database_network_is_refused_before_anything(stage):
    from tests.unit.test_stack_bad_input import failed_before_anything
    from wms_connector.settings.parsers import SettingsError

    failed_before_anything(run_program(stage, oracle_cidrs=None), SettingsError, "oracleCidrs", stage)


ENDPOINTS_GROUP, S3_PREFIX_LIST, DYNAMODB_PREFIX_LIST = "sg-0123456789abcdef0", "pl-63a5400a", "pl-02cd2c6b"


def test_with_the_accounts_vpc_endpoints_https_goes_only_to_them():
    run = run_program("production", config={"awsEndpointSecurityGroup": ENDPOINTS_GROUP,
                                            "awsPrefixLists": [S3_PREFIX_LIST, DYNAMODB_PREFIX_LIST]})
    run.raise_error()
    egress = run.of_type(EGRESS)
    assert not any(r.inputs.get("cidrIpv4") == "0.0.0.0/0" for r in egress)
    for group in ("tasks", "lambda"):
        https = [r.inputs for r in egress if r.inputs["securityGroupId"] == sg_id(group) and
                 int(r.inputs["fromPort"]) == 443]
        assert {i.get("referencedSecurityGroupId") for i in https} >= {ENDPOINTS_GROUP}
        assert {i["prefixListId"] for i in https if "prefixListId" in i} == {S3_PREFIX_LIST, DYNAMODB_PREFIX_LIST}


@pytest.mark.parametrize("config", [
    {"awsEndpointSecurityGroup": ENDPOINTS_GROUP},
    {"awsPrefixLists": [S3_PREFIX_LIST]},
    {"awsEndpointSecurityGroup": "sg-zz", "awsPrefixLists": [S3_PREFIX_LIST]},
    {"awsEndpointSecurityGroup": ENDPOINTS_GROUP, "awsPrefixLists": ["pl-1", S3_PREFIX_LIST]},
])
def test_half_an_endpoint_setting_is_refused_before_anything(config):
    from tests.unit.test_stack_bad_input import failed_before_anything
    from wms_connector.settings.parsers import SettingsError

    failed_before_anything(run_program("main", config=config), SettingsError, "aws")

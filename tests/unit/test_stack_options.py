"""Stack config options change the program the way docs/configuration.md says: prebuilt image, region, network
ranges, secret root, sizing."""

from __future__ import annotations

import json

import pytest

from components.iam import check_statements, statement
from tests.unit.pulumi_harness import default_secrets, run_program, stack_file_config
from wms_connector.settings import load_settings
from wms_connector.stages import Stage


def container(run) -> dict:
    [definition] = json.loads(run.one("aws:ecs/taskDefinition:TaskDefinition", "connect-task").inputs[
        "containerDefinitions"
    ])
    return definition


def execution_statements(run) -> list[dict]:
    return json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "connect-execution-policy").inputs["policy"])[
        "Statement"
    ]


def test_prebuilt_ecr_image_replaces_the_build_and_is_granted_exactly():
    image = "210987654321.dkr.ecr.us-east-1.amazonaws.com/shared/kafka-connect@sha256:" + "c" * 64
    run = run_program("feat-img", config={"image": image})
    run.raise_error()
    assert run.of_type("aws:ecr/repository:Repository") == [] and run.of_type("awsx:ecr:Image") == []
    assert container(run)["image"] == image
    pulls = [s for s in execution_statements(run) if "ecr:BatchGetImage" in s["Action"]]
    assert pulls == [{
        "Effect": "Allow",
        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Resource": ["arn:aws:ecr:us-east-1:210987654321:repository/shared/kafka-connect"],
    }]


def test_prebuilt_public_image_needs_no_ecr_grant():
    run = run_program("feat-pub", config={"image": "quay.io/example/kafka-connect:3.1.0"})
    run.raise_error()
    assert container(run)["image"] == "quay.io/example/kafka-connect:3.1.0"
    assert not any(action.startswith("ecr:") for s in execution_statements(run) for action in s["Action"])


def test_region_reaches_provider_logs_and_every_lookup():
    run = run_program("val", config={"region": "us-west-2", "connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}},
                      aws_region="us-west-2", use_stack_file=False)
    run.raise_error()
    [provider] = run.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-west-2"
    assert container(run)["logConfiguration"]["options"]["awslogs-region"] == "us-west-2"
    lookups = [args for token, args in run.calls if token.startswith(("aws:secretsmanager/", "aws:ec2/"))]
    assert lookups and all(args["region"] == "us-west-2" for args in lookups)


def test_region_alone_in_project_config_wins_over_no_aws_region():
    run = run_program("feat-west", config={"region": "us-west-2"}, aws_region=None, use_stack_file=False)
    run.raise_error()
    assert run.of_type("pulumi:providers:aws")[0].inputs["region"] == "us-west-2"


def test_network_ranges_from_config():
    run = run_program("main", config={"oracleCidrs": ["10.99.0.0/16"], "oraclePort": "1522",
                                      "kafkaCidrs": "10.50.0.0/16,10.51.0.0/16"})
    run.raise_error()
    egress = {(r.inputs["securityGroupId"], int(r.inputs["fromPort"]), r.inputs["cidrIpv4"])
              for r in run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") if "cidrIpv4" in r.inputs}
    tasks = "network-tasks-id"
    assert {c for g, p, c in egress if g == tasks and p == 1522} == {"10.99.0.0/16"}
    assert {c for g, p, c in egress if g == tasks and p == 9094} == {"10.50.0.0/16", "10.51.0.0/16"}
    assert not any(p == 1521 for g, p, c in egress)


def test_broker_ports_come_from_the_broker_string():
    secrets = default_secrets("main")
    secrets["wms/main/brokerString"] = "b-1.example.internal:9096,b-2.example.internal:9096"
    run = run_program("main", secrets=secrets)
    run.raise_error()
    ports = {int(r.inputs["fromPort"]) for r in run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")}
    assert 9096 in ports and 9094 not in ports


def test_secret_root_from_config():
    secrets = {path.replace("wms/", "mmdl/", 1): value for path, value in default_secrets("main").items()}
    run = run_program("main", config={"secretRoot": "mmdl"}, secrets=secrets)
    run.raise_error()
    assert container(run)["secrets"][0]["valueFrom"].split(":secret:")[1].startswith("mmdl/main/dbInfo")


def test_sizing_and_worker_count_from_config():
    run = run_program("feat-big", config={"taskCpu": "4096", "taskMemory": "16384", "connectCpu": "4096",
                                          "connectMemory": "12288", "heapPercent": "60", "desiredCount": "2"})
    run.raise_error()
    task = run.one("aws:ecs/taskDefinition:TaskDefinition", "connect-task").inputs
    assert (task["cpu"], task["memory"]) == ("4096", "16384")
    definition = container(run)
    assert (definition["cpu"], definition["memory"]) == (4096, 12288)
    environment = {e["name"]: e["value"] for e in definition["environment"]}
    assert environment["JVM_HEAP_PERCENT"] == "60"
    assert run.one("aws:ecs/service:Service", "connect-service").inputs["desiredCount"] == 2


def test_named_stack_files_are_valid_settings():
    for stage in ("main", "val", "production"):
        config = stack_file_config(stage)
        assert config.get("aws:region") == "us-east-1"
        ours = {key: value for key, value in config.items() if key.startswith("wms-connector:")}
        load_settings(Stage.parse(stage), ours, aws_region=config["aws:region"])


def test_role_factory_refuses_wildcards_for_actions_that_can_be_scoped():
    for statements in (
        [statement(["secretsmanager:GetSecretValue"], ["*"])],
        [statement(["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], ["*"])],
        [statement(["logs:*"], ["arn:aws:logs:us-east-1:123456789012:log-group:x"])],
        [{"Effect": "Allow", "Action": ["logs:PutLogEvents"]}],
    ):
        with pytest.raises(ValueError, match="Action|resource|'\\*'|whole service|at least one"):
            check_statements(statements)
    check_statements([statement(["ecr:GetAuthorizationToken"], ["*"])])
    check_statements([statement(["ecs:DescribeServices"], ["arn:aws:ecs:us-east-1:123456789012:service/c/s"])])


def test_config_handed_over_by_the_engine_environment_is_read(monkeypatch):
    # The Python language host passes the stack config as the PULUMI_CONFIG JSON environment variable.
    heartbeat = json.dumps({"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"})
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(
        {"wms-connector:desiredCount": "2", "aws:region": "us-east-1", "wms-connector:connector": heartbeat}
    ))
    run = run_program("main", use_stack_file=False, aws_region=None)
    run.raise_error()
    assert run.one("aws:ecs/service:Service", "connect-service").inputs["desiredCount"] == 2
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"wms-connector:desiredCount": "lots"}))
    run = run_program("main", use_stack_file=False, aws_region=None)
    assert "wms-connector:desiredCount" in str(run.error) and run.resources == []

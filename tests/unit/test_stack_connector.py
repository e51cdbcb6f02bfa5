"""The connector's part of the program under mocks: the admin Lambda, the DebeziumConnector and topic cleanup
resources, their dependencies and destroy order, and that no input holds a credential."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pulumi.runtime.mocks as pulumi_mocks
import pytest

from components.admin_function import admin_function_name
from tests.unit.pulumi_harness import (
    ACCOUNT_ID,
    BROKERS,
    COMPUTED_OUTPUTS,
    DATA_SUBNETS,
    DB_PASSWORD,
    DB_USER,
    PRIVATE_CA_ARN,
    REGION,
    ProgramRun,
    run_program,
    secret_arn,
)
from wms_connector.connector.credentials import credential_problems, is_allowed_placeholder
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

STAGES = ["main", "val", "production", "feature-login"]
CONNECTOR = "pulumi-python:dynamic/wms:DebeziumConnector"
CLEANUP = "pulumi-python:dynamic/wms:StageTopicCleanup"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SERVICE = "aws:ecs/service:Service"
LISTENER = "aws:lb/listener:Listener"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


class Registrations:
    """What the program asked the engine for: each resource's parent and dependencies (by URN)."""

    def __init__(self) -> None:
        self.by_urn: dict[str, dict] = {}

    def urn(self, type_: str, name: str) -> str:
        matches = [u for u, r in self.by_urn.items() if r["type"] == type_ and r["name"] == name]
        assert len(matches) == 1, f"{type_} {name}: {matches}"
        return matches[0]

    def depends_on(self, urn: str) -> set[str]:
        """Everything `urn` depends on, transitively, as the engine orders deletes: explicit dependencies,
        property dependencies and the parent (a child is deleted before its parent)."""
        seen: set[str] = set()
        todo = [urn]
        while todo:
            record = self.by_urn.get(todo.pop())
            if record is None:
                continue
            for dependency in record["edges"] - seen:
                seen.add(dependency)
                todo.append(dependency)
        return seen

    def deleted_before(self, first: str, then: str) -> bool:
        return then in self.depends_on(first)


@pytest.fixture
def recorded(monkeypatch) -> Iterator[Registrations]:
    registrations = Registrations()
    original = pulumi_mocks.MockMonitor.RegisterResource

    def record(self, request):
        response = original(self, request)
        edges = set(request.dependencies) | {request.parent} - {""}
        for dependencies in request.propertyDependencies.values():
            edges |= set(dependencies.urns)
        registrations.by_urn[response.urn] = {"type": request.type, "name": request.name, "edges": edges - {""}}
        return response

    monkeypatch.setattr(pulumi_mocks.MockMonitor, "RegisterResource", record)
    yield registrations


@pytest.fixture(scope="module", params=STAGES)
def run(request) -> ProgramRun:
    result = run_program(request.param)
    result.raise_error()
    return result


def test_admin_function_runs_in_the_data_subnets_with_the_stack_environment(run):
    stage = Stage.parse(run.stage)
    function = run.one(FUNCTION, "admin-function")
    assert function.inputs["handler"] == "functions.connector_admin.handler"
    assert function.inputs["runtime"] == "python3.11"
    assert function.inputs["timeout"] == 900
    # The data subnets route to the database (the preflight), as the health check's do.
    assert function.inputs["vpcConfig"]["subnetIds"] == DATA_SUBNETS
    assert function.inputs["vpcConfig"]["securityGroupIds"] == ["network-lambda-id"]
    variables = function.inputs["environment"]["variables"]
    assert variables["STAGE"] == stage.name
    # The Connect endpoint the stack declares for the stage (its private DNS name, over HTTPS).
    assert variables["CONNECT_URL"] == f"https://connect.wms-connector-{stage.name}.internal"
    assert variables["CONNECT_URL"] == run.outputs["connectEndpointUrl"]
    assert variables["CONNECT_CA_ARN"] == PRIVATE_CA_ARN
    assert variables["BOOTSTRAP_SERVERS"] == BROKERS
    assert variables["KAFKA_SECURITY_PROTOCOL"] == "SSL"
    # Lag: the exporter of the worker running the task, on the port the Lambdas' security group may reach.
    assert variables["JMX_URL"] == "http://{task_ip}:9404/metrics"
    assert variables["DB_INFO_SECRET_ARN"] == secret_arn(f"wms/{stage.name}/dbInfo")
    assert variables["WORKER_LOG_GROUP"] == f"/aws/fargate/wms-connector-{stage.name}-kafka-connect"
    # The on-call commands find the function by this name.
    assert function.inputs["name"] == admin_function_name(stage)
    log_group = run.one(LOG_GROUP, "admin-logs")
    assert log_group.inputs["name"] == f"/aws/lambda/{function.inputs['name']}"
    assert log_group.inputs["retentionInDays"] in (14, 30, 90)


def test_admin_role_may_touch_only_its_logs_the_private_ca_and_the_db_secret(run):
    statements = json.loads(run.one(ROLE_POLICY, "admin-policy").inputs["policy"])["Statement"]
    by_action = {action: statement["Resource"] for statement in statements for action in statement["Action"]}
    assert by_action["acm-pca:GetCertificateAuthorityCertificate"] == [PRIVATE_CA_ARN]
    assert by_action["logs:PutLogEvents"][0].endswith(":log-stream:*")
    assert "/aws/lambda/" in by_action["logs:PutLogEvents"][0]
    wildcard = {action for action, resources in by_action.items() if resources == ["*"]}
    assert wildcard == {a for a in by_action if a.startswith("ec2:")}  # ENI management only
    # The preflight reads the stage's dbInfo secret, that one only.
    assert by_action["secretsmanager:GetSecretValue"] == [secret_arn(f"wms/{run.stage}/dbInfo")]
    assert [a for a in by_action if a.startswith("secretsmanager:")] == ["secretsmanager:GetSecretValue"]
    # A failed task's hidden cause: the workers' log group, searched, nothing else of CloudWatch Logs.
    group = f"/aws/fargate/wms-connector-{run.stage}-kafka-connect"
    assert by_action["logs:FilterLogEvents"] == [f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:*"]
    assert not any(a.startswith(("kafka:", "ecs:")) for a in by_action)


def test_connector_resource_holds_the_stage_config_with_placeholders_only(run):
    stage = Stage.parse(run.stage)
    topics = StageTopics(stage)
    connector = run.one(CONNECTOR, "connector-debezium")
    inputs = connector.inputs
    assert inputs["name"] == "wms-oracle-cdc" and inputs["stage"] == stage.name
    assert inputs["state"] == "running"
    assert inputs["transport"] == {
        "kind": "lambda",
        "functionName": inputs["transport"]["functionName"],
        "region": REGION,
        "readFunctionName": inputs["transport"]["readFunctionName"],
    }
    assert inputs["transport"]["functionName"] == run.one(FUNCTION, "admin-function").inputs["name"]
    assert inputs["transport"]["readFunctionName"] == run.one(FUNCTION, "admin-read-function").inputs["name"]
    config = inputs["config"]
    assert config["topic.prefix"] == topics.topic_prefix
    assert config["schema.history.internal.kafka.topic"] == topics.schema_history_topic
    assert config["schema.history.internal.kafka.bootstrap.servers"] == BROKERS
    assert config["schema.history.internal.producer.security.protocol"] == "SSL"
    assert config["topic.creation.default.replication.factor"] == "3"
    database = {k: v for k, v in config.items() if k.startswith("database.")}
    assert database and all(is_allowed_placeholder(v) for v in database.values())
    assert credential_problems(config) == []


def test_no_resource_input_holds_a_credential(run):
    text = run.all_inputs_text()
    assert DB_USER not in text and DB_PASSWORD not in text
    assert "default-pw-x" not in text


def test_topic_cleanup_exists_only_on_ephemeral_stacks(run):
    cleanups = run.of_type(CLEANUP)
    if Stage.parse(run.stage).is_named:
        assert cleanups == []
        assert not [r for r in run.resources if r.type == "wms:topic_cleanup:TopicCleanup"]
    else:
        assert [c.inputs["stage"] for c in cleanups] == [run.stage]
        assert cleanups[0].inputs["transport"]["kind"] == "lambda"


def test_outputs_name_the_connector_and_its_state(run):
    assert run.outputs["connectorName"] == "wms-oracle-cdc"
    # Under mocks no provider reports a state, and the declared one ("running") must not stand in for it.
    assert run.outputs["connectorState"] is None


def test_the_state_output_is_the_state_connect_reports_not_the_declared_one(monkeypatch):
    # The provider reads `connectorState` back from Connect; here the mocks report one the stack never declares.
    monkeypatch.setitem(COMPUTED_OUTPUTS, CONNECTOR, lambda name, inputs: {"connectorState": "UNASSIGNED"})
    run = run_program("feature-login")
    run.raise_error()
    assert run.one(CONNECTOR, "connector-debezium").inputs["state"] == "running"
    assert run.outputs["connectorState"] == "UNASSIGNED"


@pytest.mark.parametrize("stage", ["feature-login", "main"])
def test_dependencies_give_the_safe_create_and_destroy_order(recorded, stage):
    run_program(stage).raise_error()
    connector = recorded.urn(CONNECTOR, "connector-debezium")
    service = recorded.urn(SERVICE, "connect-service")
    admin = recorded.urn(FUNCTION, "admin-function")
    admin_policy = recorded.urn(ROLE_POLICY, "admin-policy")
    listener = recorded.urn(LISTENER, "endpoint-https")
    lambda_kafka_rules = [
        u for u, r in recorded.by_urn.items() if r["type"] == EGRESS and r["name"].startswith("network-lambda-kafka-")
    ]
    assert lambda_kafka_rules

    # The connector goes first on destroy (and comes last on create): after the service, endpoint and admin.
    for needed in (service, listener, admin, admin_policy, *lambda_kafka_rules):
        assert recorded.deleted_before(connector, needed)

    cleanups = [u for u, r in recorded.by_urn.items() if r["type"] == CLEANUP]
    if Stage.parse(stage).is_named:
        assert cleanups == []
        return
    (cleanup,) = cleanups
    # Destroy: the service (its workers) goes before the cleanup runs, so no worker recreates its topics...
    assert recorded.deleted_before(service, cleanup)
    # ...and the cleanup runs while the admin function, its permissions and its network path still exist.
    for needed in (admin, admin_policy, *lambda_kafka_rules):
        assert recorded.deleted_before(cleanup, needed)
    assert not recorded.deleted_before(admin, cleanup)


def test_connector_options_come_from_stack_config():
    run = run_program(
        "feature-login",
        config={"connector": {"recordFormat": "flat", "state": "paused", "maskColumns": ["WMS.PLAN_BASE_WVR_TBL.SSN"]}},
    )
    run.raise_error()
    inputs = run.one(CONNECTOR, "connector-debezium").inputs
    config = inputs["config"]
    assert inputs["state"] == "paused"
    # flat: Debezium's ExtractNewRecordState is declared and in the chain that runs.
    assert config["transforms.unwrap.type"] == "io.debezium.transforms.ExtractNewRecordState"
    assert "unwrap" in config["transforms"].split(",")
    # The one masked column, at the default maskLength (8). Debezium matches each comma-separated pattern against
    # the whole of `<database>.<schema>.<table>.<column>`: the pattern must take that column, with or without the
    # database name in front, and no other.
    assert [key for key in config if key.startswith("column.mask.")] == ["column.mask.with.8.chars"]
    patterns = config["column.mask.with.8.chars"].split(",")

    def masked(column: str) -> bool:
        return any(re.fullmatch(pattern, column) for pattern in patterns)

    assert masked("WMSDEV.WMS.PLAN_BASE_WVR_TBL.SSN") and masked("WMS.PLAN_BASE_WVR_TBL.SSN")
    for other in ("WMSDEV.WMS.PLAN_BASE_WVR_TBL.SSN_LAST4", "WMSDEV.WMS.PLAN_BASE_WVR_TBL.EMAIL",
                  "WMSDEV.MMDL.PLAN_BASE_WVR_TBL.SSN", "WMSDEV.WMS.PLAN_BASE_WVR_TBLXSSN",
                  "WMSDEV.WMS.PLAN_WVR_RVSN_TBL.SSN"):
        assert not masked(other), other


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"recordFormat": "avro"}, "wms-connector:connector.recordFormat"),
        ({"extraProperties": {"database.password": "x"}}, "database.password"),
        ({"extraProperties": {"topic.prefix": "x"}}, "topic.prefix"),
        ("not json {", "wms-connector:connector"),
    ],
)
def test_bad_connector_options_fail_before_anything_is_created(options, says):
    run = run_program("feature-login", config={"connector": options})
    assert run.error is not None and says in str(run.error)
    assert run.resources == []


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value on the wire


@pytest.mark.parametrize(
    ("options", "secret_keys", "secret"),
    [
        ({"recordFormat": "flat"}, (), False),
        ({"recordFormat": "flat"}, ("connector",), True),  # `pulumi config set --secret --path connector.…`
        ({"hashColumns": ["WMS.PLAN_BASE_WVR_TBL.EMAIL"], "hashSalt": "Distinctive-Salt-0042"}, (), True),
    ],
)
def test_the_connector_config_is_a_secret_when_its_options_are_or_it_carries_a_salt(options, secret_keys, secret):
    run = run_program("feature-login", config={"connector": options}, secret_keys=secret_keys)
    run.raise_error()
    config = run.wire_inputs[(CONNECTOR, "connector-debezium")]["config"]
    assert (isinstance(config, dict) and SECRET_SIG in config) is secret
    if secret:
        assert "Distinctive-Salt" not in json.dumps({k: v for k, v in config.items() if k != "value"})


def test_the_admin_keeps_the_hold_and_the_declared_connector_in_the_table_the_health_check_reads(run):
    stage = Stage.parse(run.stage)
    # No Pulumi resource writes the declared connector any more: the admin does, before it changes the connector.
    assert run.of_type("aws:dynamodb/tableItem:TableItem") == []
    table = run.one("aws:dynamodb/table:Table", "health-state").inputs["name"]
    admin = run.one(FUNCTION, "admin-function").inputs["environment"]["variables"]
    health = run.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    assert admin["HEALTH_TABLE"] == health["HEALTH_TABLE"] == table
    assert health["REPAIR_DRIFT"] == "true"
    # The admin may read, write and delete items of that table and of no other.
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "admin-policy").inputs["policy"])
    on_table = [s for s in policy["Statement"] if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert [sorted(s["Action"]) for s in on_table] == [["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]]
    assert [r.rsplit("/", 1)[-1] for s in on_table for r in s["Resource"]] == [table]
    # Each change the provider makes is held in the stack's name.
    assert run.one(CONNECTOR, "connector-debezium").inputs["holder"] == f"pulumi stack {stage.name}"


def test_the_health_table_keeps_its_resource_when_it_moves_out_of_the_health_component(run):
    registration = run.registrations[("aws:dynamodb/table:Table", "health-state")]
    stack = f"urn:pulumi:{run.stage}::wms-connector::pulumi:pulumi:Stack"
    assert registration["parent"] == f"{stack}$wms:health:HealthTable::health-table"
    former = f"urn:pulumi:{run.stage}::wms-connector::wms:health:HealthCheck::health"
    assert any(alias.get("spec", {}).get("parentUrn") == former for alias in registration.get("aliases", [])), (
        registration.get("aliases"))


def test_repair_can_be_turned_off_and_a_salted_config_is_a_secret():
    run = run_program(
        "feature-login",
        config={"repairDrift": False,
                "connector": {"hashColumns": ["WMS.PLAN_BASE_WVR_TBL.EMAIL"], "hashSalt": "Distinctive-Salt-0042"}},
    )
    run.raise_error()
    assert run.one(FUNCTION, "health-function").inputs["environment"]["variables"]["REPAIR_DRIFT"] == "false"
    wire = run.wire_inputs[(CONNECTOR, "connector-debezium")]["config"]
    assert isinstance(wire, dict) and SECRET_SIG in wire

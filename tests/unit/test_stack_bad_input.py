"""Bad input fails the program before any resource is registered, with the message the user needs."""

from __future__ import annotations

import json

import pytest

from tests.unit.pulumi_harness import InvokeFailure, default_secrets, run_program, without
from wms_connector.secrets_lookup import SECRET_NAMES, SecretError
from wms_connector.settings import SettingsError
from wms_connector.stages import InvalidStageError


def failed_before_anything(run, error_type, *fragments: str) -> str:
    assert isinstance(run.error, error_type), repr(run.error)
    assert run.resources == [], [r.name for r in run.resources]
    message = str(run.error)
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize(
    ("stage", "reason"),
    [
        ("Feature", "uppercase"),
        ("feat_x", "contains '_'"),
        ("feat.x", "contains '.'"),
        ("feat x", "contains ' '"),
        ("feat/x", "contains '/'"),
        ("f" * 65, "65 characters long (at most 64)"),
        ("-feat", "starts or ends with a hyphen"),
        ("feat-", "starts or ends with a hyphen"),
        ("feat--x", "contains '--'"),
        ("aws", "reserved"),
        ("mgmt", "reserved"),
        ("default", "reserved"),
    ],
)
def test_bad_stage_names(stage, reason):
    failed_before_anything(run_program(stage, use_stack_file=False), InvalidStageError, repr(stage), reason,
                           "lowercase letters a-z")


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_each_secret_missing_at_both_paths(name):
    secrets = without(default_secrets("val"), f"wms/val/{name}", f"wms/default/{name}")
    failed_before_anything(run_program("val", secrets=secrets), SecretError, f"wms/val/{name}", f"wms/default/{name}")


@pytest.mark.parametrize(
    ("path", "value", "fragments"),
    [
        ("wms/default/vpc", "{not json", ("wms/default/vpc is not valid JSON",)),
        ("wms/default/vpc", json.dumps({"id": "vpc-0a1b2c3d4e5f60718", "privateSubnets": ["subnet-0e0e0e0e0e0e0e0e1"]}),
         ("wms/default/vpc", "`dataSubnets`")),
        ("wms/default/alertEmails", json.dumps({"to": ["a@example.com"]}), ("wms/default/alertEmails", "`emails`")),
        ("wms/default/connectAlbTls", json.dumps({"arn": "x"}), ("wms/default/connectAlbTls", "`privateCaArn`")),
        ("wms/default/brokerString", "b-1.example:not-a-port", ("wms/default/brokerString", "host:port")),
        ("wms/default/iam/permissionsBoundary", "boundary", ("wms/default/iam/permissionsBoundary", "policy ARN")),
        ("wms/default/iam/path", "delegatedadmin", ("wms/default/iam/path", "starts and ends with '/'")),
    ],
)
def test_malformed_secrets_name_path_and_key(path, value, fragments):
    secrets = default_secrets("main")
    secrets[path] = value
    failed_before_anything(run_program("main", secrets=secrets), SecretError, *fragments)


def test_stage_secret_is_checked_even_when_a_good_default_exists():
    secrets = default_secrets("main")
    secrets["wms/main/alertEmails"] = "[]"
    failed_before_anything(run_program("main", secrets=secrets), SecretError, "wms/main/alertEmails")


def test_a_failure_other_than_not_found_is_not_mistaken_for_a_missing_secret():
    secrets = default_secrets("main")
    secrets["wms/main/vpc"] = InvokeFailure("AccessDeniedException: not authorized to perform GetSecretValue")
    failed_before_anything(
        run_program("main", secrets=secrets), SecretError, "Reading secret wms/main/vpc was refused",
        "needs secretsmanager:GetSecretValue", "docs/deploy.md",
    )


def test_no_aws_credentials_is_named_as_such():
    secrets = default_secrets("main")
    secrets["wms/main/vpc"] = InvokeFailure("NoCredentialProviders: no valid credential sources found")
    failed_before_anything(
        run_program("main", secrets=secrets), SecretError, "no usable AWS credentials", "AWS_PROFILE"
    )


def test_a_failure_that_is_neither_refused_nor_not_found_is_shown():
    secrets = default_secrets("main")
    secrets["wms/main/vpc"] = InvokeFailure("ThrottlingException: Rate exceeded")
    failed_before_anything(
        run_program("main", secrets=secrets), SecretError, "Reading secret wms/main/vpc failed", "Rate exceeded"
    )


@pytest.mark.parametrize(
    ("status", "says"), [(None, "does not exist"), ("PENDING_CERTIFICATE", "is PENDING_CERTIFICATE")]
)
def test_a_missing_or_inactive_private_ca_is_named_before_anything_is_created(status, says):
    failed_before_anything(
        run_program("main", private_ca_status=status), SecretError, "ACM Private CA", says, "step 4"
    )


def test_db_info_lookup_failure_is_reported():
    secrets = default_secrets("main")
    secrets["wms/main/dbInfo"] = InvokeFailure("AccessDeniedException: not authorized to perform DescribeSecret")
    failed_before_anything(
        run_program("main", secrets=secrets), SecretError, "Looking up secret wms/main/dbInfo",
        "secretsmanager:DescribeSecret",
    )


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ({"taskCpu": "1024", "taskMemory": "16384"}, ("wms-connector:taskMemory", "16384", "2048-8192")),
        ({"taskCpu": "3000"}, ("wms-connector:taskCpu", "one of 256, 512, 1024")),
        ({"connectMemory": "8192"}, ("wms-connector:connectMemory", "at most taskMemory (6144)")),
        ({"connectCpu": "4096"}, ("wms-connector:connectCpu", "at most taskCpu (2048)")),
        ({"heapPercent": "90"}, ("wms-connector:heapPercent", "512 MiB stay outside the heap")),
        ({"logRetentionDays": "45"}, ("wms-connector:logRetentionDays", "one of 1, 3, 5")),
        ({"desiredCount": "many"}, ("wms-connector:desiredCount", "a whole number")),
        ({"colour": "blue"}, ("Unknown stack config key `wms-connector:colour`",)),
        ({"region": "eu-west-1"}, ("disagrees with `aws:region`",)),
        ({"oracleCidrs": ["0.0.0.0/0"]}, ("wms-connector:oracleCidrs", "/8 or narrower")),
    ],
)
def test_invalid_config(config, fragments):
    failed_before_anything(run_program("production", config=config), SettingsError, *fragments)


def test_bad_config_in_an_ephemeral_stack_also_fails_first():
    failed_before_anything(run_program("feat-y", config={"taskMemory": "999"}), SettingsError, "taskMemory")


def test_a_vpc_that_does_not_exist_names_the_secret_it_came_from():
    secrets = default_secrets("main")
    vpc = json.loads(secrets["wms/default/vpc"])
    secrets["wms/default/vpc"] = json.dumps({**vpc, "id": "vpc-0fffffffffffffff0"})
    failed_before_anything(run_program("main", secrets=secrets), SecretError, "vpc-0fffffffffffffff0",
                           "wms/default/vpc", "cannot be read in us-east-1")


@pytest.mark.parametrize(
    ("stage", "connector", "fragments"),
    [
        ("production", {}, ["`wms-connector:connector.heartbeatTable`", "named stage production",
                            "a capture that stops while the connector says RUNNING raises no alarm",
                            "docs/operations.md, *The heartbeat table*", "runsWithoutHeartbeatTable: true"]),
        ("val", {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT", "snapshotMode": "when_needed"},
         ["`wms-connector:connector.snapshotMode` = 'when_needed'", "named stage val",
          "rows deleted in the gap are gone with no event", "acceptSilentResnapshot: true"]),
    ],
)
def test_a_named_stage_refuses_what_it_has_not_said_it_accepts(stage, connector, fragments):
    run = run_program(stage, config={"connector": connector})
    assert run.error is not None and run.resources == []
    for fragment in fragments:
        assert fragment in str(run.error)


@pytest.mark.parametrize(
    "connector",
    [
        {"runsWithoutHeartbeatTable": True},
        {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT", "snapshotMode": "when_needed", "acceptSilentResnapshot": True},
    ],
)
def test_a_named_stage_that_says_it_accepts_the_cost_deploys(connector):
    run_program("production", config={"connector": connector}).raise_error()


def test_an_ephemeral_stage_needs_neither_declaration():
    run_program("feat-x", config={"connector": {"snapshotMode": "when_needed"}}).raise_error()


@pytest.mark.parametrize(
    ("connector", "says"),
    [
        ({"acceptSilentResnapshot": True}, "only with `snapshotMode: when_needed`"),
        ({"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT", "runsWithoutHeartbeatTable": True},
         "only without `heartbeatTable`"),
        ({"runsWithoutHeartbeatTable": "sometimes"}, "runsWithoutHeartbeatTable"),
    ],
)
def test_a_declaration_that_contradicts_the_config_is_refused(connector, says):
    run = run_program("feat-x", config={"connector": connector})
    assert run.error is not None and says in str(run.error) and run.resources == []

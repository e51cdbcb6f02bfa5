"""Secrets with stage-first fallback and the format of each secret, through the plain functions."""

from __future__ import annotations

import json

import pytest

from tests.unit.pulumi_harness import DB_PASSWORD, DB_USER, default_secrets, secret_arn, without
from wms_connector.secrets_lookup import (
    SECRET_NAMES,
    FetchedSecret,
    SecretError,
    candidate_paths,
    parse_alert_emails,
    parse_broker_string,
    parse_iam_path,
    parse_permissions_boundary,
    parse_private_ca_arn,
    parse_vpc,
    resolve,
    resolve_stack_secrets,
)
from wms_connector.stages import Stage

MAIN = Stage.parse("main")


class DictSecrets:
    """Secrets Manager as a dict; records which paths were read by value and which by ARN only."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.read_values: list[str] = []
        self.read_arns: list[str] = []

    def fetch_value(self, path: str) -> FetchedSecret | None:
        self.read_values.append(path)
        if path not in self.values:
            return None
        return FetchedSecret(path, secret_arn(path), self.values[path])

    def fetch_arn(self, path: str) -> FetchedSecret | None:
        self.read_arns.append(path)
        return FetchedSecret(path, secret_arn(path)) if path in self.values else None

    def resolve_all(self, root: str = "wms", stage: Stage = MAIN):
        return resolve_stack_secrets(root, stage, self.fetch_value, self.fetch_arn)


def test_candidate_paths_stage_first_then_default():
    assert candidate_paths("wms", Stage.parse("feat-x"), "iam/path") == ("wms/feat-x/iam/path", "wms/default/iam/path")


def test_stage_secret_wins_over_default():
    source = DictSecrets({"wms/main/brokerString": "a:9094", "wms/default/brokerString": "b:9094"})
    assert resolve("wms", MAIN, "brokerString", source.fetch_value).value == "a:9094"
    assert source.read_values == ["wms/main/brokerString"]


def test_default_used_when_stage_secret_is_absent():
    source = DictSecrets({"wms/default/brokerString": "b:9094"})
    assert resolve("wms", MAIN, "brokerString", source.fetch_value).path == "wms/default/brokerString"


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_each_secret_missing_at_both_paths_names_both(name):
    secrets = without(default_secrets("main"), f"wms/main/{name}", f"wms/default/{name}")
    with pytest.raises(SecretError) as caught:
        DictSecrets(secrets).resolve_all()
    assert f"neither wms/main/{name} nor wms/default/{name} exists" in str(caught.value)


def test_all_problems_are_reported_at_once():
    secrets = without(default_secrets("main"), "wms/default/vpc", "wms/default/iam/path")
    secrets["wms/default/alertEmails"] = "{not json"
    with pytest.raises(SecretError) as caught:
        DictSecrets(secrets).resolve_all()
    message = str(caught.value)
    assert "wms/default/vpc" in message and "wms/default/iam/path" in message and "wms/default/alertEmails" in message


def test_db_info_is_resolved_by_arn_only_and_its_value_never_read():
    source = DictSecrets(default_secrets("main"))
    resolved = source.resolve_all()
    assert resolved.db_info_arn == secret_arn("wms/main/dbInfo")
    assert not any(path.endswith("/dbInfo") for path in source.read_values)
    assert source.read_arns == ["wms/main/dbInfo"]
    assert DB_PASSWORD not in repr(resolved) and DB_USER not in repr(resolved)


def test_secret_root_is_configurable():
    secrets = {path.replace("wms/", "mmdl/", 1): value for path, value in default_secrets("main").items()}
    resolved = DictSecrets(secrets).resolve_all(root="mmdl")
    assert resolved.sources["vpc"].path == "mmdl/default/vpc"


def test_resolved_values():
    resolved = DictSecrets(default_secrets("main")).resolve_all()
    assert resolved.vpc.data_subnets and resolved.vpc.private_subnets
    assert resolved.iam_path.startswith("/") and resolved.iam_path.endswith("/")
    assert resolved.broker.ports == (9094,)
    assert resolved.alert_emails == ("oncall@example.com", "data-team@example.com")
    assert resolved.private_ca_arn.startswith("arn:aws:acm-pca:")


# ---------------------------------------------------------------------------------------------------------------
# Formats, each bad input naming the secret path and the key.

VPC = {"id": "vpc-0123456789abcdef0", "dataSubnets": ["subnet-0123456789abcdef0"],
       "privateSubnets": ["subnet-0123456789abcdef1"], "publicSubnets": []}


def test_vpc_parses():
    vpc = parse_vpc("wms/default/vpc", json.dumps(VPC))
    assert vpc.id == VPC["id"] and vpc.data_subnets == ("subnet-0123456789abcdef0",) and vpc.public_subnets == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "wms/default/vpc is not valid JSON"),
        ("[1, 2]", "wms/default/vpc must be a JSON object"),
        (json.dumps({k: v for k, v in VPC.items() if k != "id"}), "wms/default/vpc is missing key `id`"),
        (json.dumps({**VPC, "dataSubnets": []}), "wms/default/vpc is missing key `dataSubnets`"),
        (json.dumps({k: v for k, v in VPC.items() if k != "privateSubnets"}), "missing key `privateSubnets`"),
        (json.dumps({**VPC, "id": "sg-123"}), "key `id` must be a VPC id"),
        (json.dumps({**VPC, "dataSubnets": "subnet-0123456789abcdef0"}), "key `dataSubnets` must be a list"),
        ("", "wms/default/vpc is not valid JSON"),
    ],
)
def test_vpc_errors(text, expected):
    with pytest.raises(SecretError, match=expected.replace("(", r"\(")):
        parse_vpc("wms/default/vpc", text)


def test_iam_path_and_boundary():
    assert parse_iam_path("p", " /delegatedadmin/developer/ \n") == "/delegatedadmin/developer/"
    assert parse_iam_path("p", "/") == "/"
    for bad in ("delegatedadmin/", "/no-trailing", "/with space/", ""):
        with pytest.raises(SecretError, match="Secret p "):
            parse_iam_path("p", bad)
    arn = "arn:aws:iam::123456789012:policy/cms-cloud-admin/developer-boundary-policy"
    assert parse_permissions_boundary("b", arn) == arn
    for bad in ("developer-boundary-policy", "arn:aws:iam::123:policy/x", "arn:aws:iam::123456789012:role/x"):
        with pytest.raises(SecretError, match="Secret b must be an IAM policy ARN"):
            parse_permissions_boundary("b", bad)


def test_broker_string():
    first, second = "b-1.x.kafka.us-east-1.amazonaws.com:9094", "b-2.x.kafka.us-east-1.amazonaws.com:9094"
    broker = parse_broker_string("k", f"{first}, {second}")
    assert broker.bootstrap_servers == f"{first},{second}"
    assert broker.ports == (9094,)
    for bad in ("b-1:9094,", "b-1", "b-1:port", "b-1:0", "b-1:70000", "bad host:9094", "", "http://b-1:9094"):
        with pytest.raises(SecretError, match="Secret k "):
            parse_broker_string("k", bad)


def test_alert_emails():
    assert parse_alert_emails("e", '{"emails": ["a@example.com", "a@example.com", "b@example.org"]}') == (
        "a@example.com",
        "b@example.org",
    )
    with pytest.raises(SecretError, match="Secret e is missing key `emails`"):
        parse_alert_emails("e", '{"email": ["a@example.com"]}')
    with pytest.raises(SecretError, match="Secret e is missing key `emails`"):
        parse_alert_emails("e", '{"emails": []}')
    with pytest.raises(SecretError, match="key `emails` must be a list of email addresses"):
        parse_alert_emails("e", '{"emails": ["not-an-email"]}')
    with pytest.raises(SecretError, match="Secret e is not valid JSON"):
        parse_alert_emails("e", "a@example.com")


def test_private_ca_arn_plain_or_json():
    arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
    assert parse_private_ca_arn("t", arn) == arn
    assert parse_private_ca_arn("t", json.dumps({"privateCaArn": arn})) == arn
    with pytest.raises(SecretError, match="Secret t is missing key `privateCaArn`"):
        parse_private_ca_arn("t", json.dumps({"caArn": arn}))
    with pytest.raises(SecretError, match="Secret t must be an ACM Private CA ARN"):
        parse_private_ca_arn("t", "arn:aws:acm:us-east-1:123456789012:certificate/abc")

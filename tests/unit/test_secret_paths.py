"""A distinctive secret value driven through every path that can fail, and grepped for in everything that comes
out: each secret's format check, the local env file, Connect URLs, Connect validation errors (the hash salt in a
field name), a live config read back with a JDBC URL that carries credentials, the admin's error envelope.
(The health Lambda's logs at every level: tests/unit/test_health_runner.py; Connect URLs through `ops`:
tests/unit/test_connect_hostile.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.local.settings import LocalStackError, read_env_file
from tests.unit.hostile_connect import HostileConnect
from tests.unit.stage_config import stage_config
from wms_connector import secrets_lookup as s
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.protocol import error_response, handle
from wms_connector.connect_client import ConnectClient, ConnectError
from wms_connector.connector.options import ConnectorOptions
from wms_connector.redaction import salted_key_shown
from wms_connector.stages import Stage

SECRET = "Zq7-Distinct-Secret-4411"
SALT = "Salt-Distinct-0123456789"
SUBNET = "subnet-0123abcd"

FORMAT_CHECKS = [
    (s.parse_vpc, json.dumps({"id": SECRET, "dataSubnets": [SUBNET], "privateSubnets": [SUBNET]})),
    (s.parse_vpc, json.dumps({"id": "vpc-0123abcd", "dataSubnets": [SECRET], "privateSubnets": [SUBNET]})),
    (s.parse_iam_path, SECRET),
    (s.parse_iam_path, f"/{SECRET} with spaces/"),
    (s.parse_permissions_boundary, SECRET),
    (s.parse_broker_string, SECRET),
    (s.parse_broker_string, f"b-1.msk:9094,{SECRET}"),
    (s.parse_alert_emails, json.dumps({"emails": [SECRET]})),
    (s.parse_private_ca_arn, SECRET),
    (s.parse_private_ca_arn, json.dumps({"privateCaArn": SECRET})),
    (s.parse_vpc, SECRET),  # not JSON at all
    (s.parse_alert_emails, f'{{"emails": ["{SECRET}"'),  # broken JSON
]


@pytest.mark.parametrize(("parse", "text"), FORMAT_CHECKS, ids=lambda v: getattr(v, "__name__", "value"))
def test_a_secret_in_the_wrong_secret_is_never_echoed(parse, text):
    with pytest.raises(s.SecretError) as caught:
        parse("wms/main/x", text)
    assert SECRET not in str(caught.value)
    assert "wms/main/x" in str(caught.value)  # it still says which secret is wrong


def test_every_secret_format_problem_listed_together_holds_no_value():
    def fetch(path: str) -> s.FetchedSecret:
        return s.FetchedSecret(path, f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{path}-AbCdEf", SECRET)

    with pytest.raises(s.SecretError) as caught:
        s.resolve_stack_secrets("wms", Stage.parse("main"), fetch, fetch)
    assert SECRET not in str(caught.value) and "Secrets problems" in str(caught.value)


@pytest.mark.parametrize(
    "line",
    [
        f"DB_PASSWORD {SECRET}",  # no '='
        f"{SECRET}=x",  # a value where the name goes
        f"DB_PASSWORD:{SECRET}=x",  # a name that is no variable name
        f"export {SECRET}",
        f"NOT_ALLOWED={SECRET}",
    ],
)
def test_a_malformed_env_file_line_never_prints_its_value(tmp_path: Path, line):
    env_file = tmp_path / "local.env"
    env_file.write_text(f"DB_HOST=db\n{line}\n")
    with pytest.raises(LocalStackError) as caught:
        read_env_file(env_file)
    assert SECRET not in str(caught.value) and f"{env_file}:2" in str(caught.value)


def test_credentials_in_a_connect_url_are_redacted_in_every_message():
    client = ConnectClient(f"http://cdc:{SECRET}@127.0.0.1:1", request_timeout=0.2, deadline=0.3)
    with pytest.raises(ConnectError) as caught:
        client.server_info()
    assert SECRET not in str(caught.value) and SECRET not in client.base_url
    with pytest.raises(ValueError) as bad:
        ConnectClient(f"ftp://cdc:{SECRET}@host")
    assert SECRET not in str(bad.value)


VALIDATION = {
    "name": "io.debezium.connector.oracle.OracleConnector",
    "error_count": 1,
    "configs": [
        {
            "value": {
                "name": f"column.mask.hash.SHA-256.with.salt.{SALT}",
                "value": "x",
                "errors": [f"Invalid value for column.mask.hash.SHA-256.with.salt.{SALT}"],
            }
        }
    ],
}


def test_the_hash_salt_in_a_validation_error_field_name_is_hidden():
    config = stage_config(options=ConnectorOptions(hash_columns=("WMS.PLAN_BASE_WVR_TBL.X",), hash_salt=SALT))
    with HostileConnect([("json", 200, VALIDATION)]) as server:
        admin = ConnectorAdmin(connect=ConnectClient(server.url, deadline=2), stage=Stage.parse("feat-x"))
        result = admin.validate(config)
        response = handle(admin, {"action": "apply", "name": "wms-oracle-cdc", "config": config})
    assert SALT not in repr(result.errors)
    assert "column.mask.hash.SHA-256.with.salt.<hidden>" in result.errors
    assert response["ok"] is False and SALT not in json.dumps(response)


def test_a_live_jdbc_url_with_credentials_is_read_back_redacted():
    live = {
        "connector.class": "io.debezium.connector.oracle.OracleConnector",
        "database.url": f"jdbc:oracle:thin:cdc/{SECRET}@//db.example:1521/WMS",
        "database.connection.adapter": "logminer",
        "database.dbname": f"WMS?user=cdc&password={SECRET}",
    }
    status = {"name": "wms-oracle-cdc", "connector": {"state": "RUNNING"}, "tasks": []}
    with HostileConnect([("json", 200, live), ("json", 200, status)]) as server:
        admin = ConnectorAdmin(connect=ConnectClient(server.url, deadline=2), stage=Stage.parse("feat-x"))
        response = handle(admin, {"action": "read", "name": "wms-oracle-cdc"})
    assert response["ok"] is True
    assert SECRET not in json.dumps(response)
    assert response["result"]["config"]["database.url"] == "jdbc:oracle:thin:<redacted>@//db.example:1521/WMS"
    assert response["result"]["config"]["database.connection.adapter"] == "logminer"


@pytest.mark.parametrize("read_only", [False, True])
def test_a_salted_key_is_read_back_as_its_fingerprint(read_only):
    live = {"name": "wms-oracle-cdc", f"column.mask.hash.SHA-256.with.salt.{SALT}": "WMS.T.EMAIL"}
    status = {"name": "wms-oracle-cdc", "connector": {"state": "RUNNING"}, "tasks": []}
    with HostileConnect([("json", 200, live), ("json", 200, status)]) as server:
        admin = ConnectorAdmin(connect=ConnectClient(server.url, deadline=2), stage=Stage.parse("feat-x"))
        response = handle(admin, {"action": "read", "name": "wms-oracle-cdc"}, read_only=read_only)
    assert response["ok"] is True and SALT not in json.dumps(response)
    shown = salted_key_shown(f"column.mask.hash.SHA-256.with.salt.{SALT}")
    assert response["result"]["config"] == {"name": "wms-oracle-cdc", shown: "WMS.T.EMAIL"}
    # Another salt, another fingerprint: a changed salt is still drift.
    assert shown != salted_key_shown(f"column.mask.hash.SHA-256.with.salt.{SALT}x")


def test_the_error_envelope_redacts_whatever_raised_it():
    message = f"failed talking to https://u:{SECRET}@connect.internal with jdbc:oracle:thin:u/{SECRET}@h:1521/x"
    envelope = error_response("Boom", message, {f"column.mask.hash.SHA-256.with.salt.{SALT}": [message]})
    assert SECRET not in json.dumps(envelope) and SALT not in json.dumps(envelope)

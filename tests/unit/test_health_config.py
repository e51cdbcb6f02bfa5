"""The health check's environment: required variables, defaults, and clear errors for bad values."""

from __future__ import annotations

import dataclasses

import pytest

from wms_connector.health import config as c
from wms_connector.health.config import HealthConfig
from wms_connector.lambda_env import LambdaEnvironmentError

GOOD = {
    c.STAGE: "feature-x",
    c.CONNECT_URL: "https://connect.wms-connector-feature-x.internal",
    c.ECS_CLUSTER: "wms-connector-feature-x",
    c.ECS_SERVICE: "wms-connector-feature-x",
    c.STATE_TABLE: "wms-connector-feature-x-health",
    c.DB_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:wms/default/dbInfo-AbCdEf",
}


def test_minimal_environment_with_defaults():
    config = HealthConfig.from_env(GOOD)
    assert config.stage.name == "feature-x"
    assert config.connector == "wms-oracle-cdc"
    assert config.topics.topic_prefix == "feature-x.aws.wms.cdc"
    assert (config.restart_limit, config.restart_window_seconds) == (3, 3600)
    assert config.security_protocol == "SSL"
    assert config.jmx_url is None and config.bootstrap_servers is None and config.connect_ca is None
    assert config.connect_deadline_seconds == 20


CA_PEM = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----"
CA_ARN = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
# The fields the required variables set; every other field comes from an optional variable.
REQUIRED_FIELDS = {"stage", "connect_url", "ecs_cluster", "ecs_service", "table_name", "db_secret_arn"}


def test_every_optional_setting():
    env = {
        **GOOD,
        c.JMX_URL: "http://10.0.1.5:9404/metrics",
        c.BOOTSTRAP_SERVERS: "b-1:9094,b-2:9094",
        c.SECURITY_PROTOCOL: "PLAINTEXT",
        c.CONNECT_CA: CA_PEM,
        c.CONNECT_CA_ARN: CA_ARN,
        c.RESTART_LIMIT: "5",
        c.RESTART_WINDOW_MINUTES: "30",
        c.CONNECT_DEADLINE_SECONDS: "7",
        c.NOT_RUNNING_RUNS: "5",
        c.HEARTBEAT_TABLE_TOPIC: "feature-x.aws.wms.cdc.WMS.DEBEZIUM_HEARTBEAT",
        c.ARCHIVE_LOG_RETENTION_HOURS: "48",
        c.REPAIR_DRIFT: "false",
        c.DATABASE_PROBE: "true",
        c.DB_USE_PDB: "true",
        c.ARCHIVE_DESTINATION_NAME: "LOG_ARCHIVE_DEST_2,LOG_ARCHIVE_DEST_3",
    }
    expected = {
        "jmx_url": "http://10.0.1.5:9404/metrics",
        "bootstrap_servers": "b-1:9094,b-2:9094",
        "security_protocol": "PLAINTEXT",
        "connect_ca": CA_PEM,
        "connect_ca_arn": CA_ARN,
        "restart_limit": 5,
        "restart_window_seconds": 30 * 60,
        "connect_deadline_seconds": 7,
        "not_running_runs": 5,
        "heartbeat_table_topic": "feature-x.aws.wms.cdc.WMS.DEBEZIUM_HEARTBEAT",
        "archive_log_retention_hours": 48,
        "repair_drift": False,
        "database_probe": True,
        "use_pdb": True,
        "archive_destination_name": ("LOG_ARCHIVE_DEST_2", "LOG_ARCHIVE_DEST_3"),
    }
    # Every optional field is set here: a new optional variable fails this test until it is added above.
    assert set(expected) == {f.name for f in dataclasses.fields(HealthConfig)} - REQUIRED_FIELDS
    config = HealthConfig.from_env(env)
    assert {name: getattr(config, name) for name in expected} == expected
    # Each value differs from its default, so a variable that is not read cannot pass as its default.
    defaults = HealthConfig.from_env(GOOD)
    assert [name for name, value in expected.items() if getattr(defaults, name) == value] == []


@pytest.mark.parametrize("name", c.REQUIRED)
def test_each_required_variable_is_named_when_missing(name):
    env = {k: v for k, v in GOOD.items() if k != name}
    with pytest.raises(LambdaEnvironmentError, match=name):
        HealthConfig.from_env(env)


def test_blank_counts_as_missing():
    with pytest.raises(LambdaEnvironmentError, match=c.ECS_SERVICE):
        HealthConfig.from_env({**GOOD, c.ECS_SERVICE: "  "})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (c.CONNECT_URL, "connect.internal:8083", "CONNECT_URL: must be an http:// or https:// URL"),
        (c.JMX_URL, "10.0.1.5:9404", "JMX_URL: must be an http:// or https:// URL"),
        (c.SECURITY_PROTOCOL, "SASL_SSL", "KAFKA_SECURITY_PROTOCOL: must be one of SSL, PLAINTEXT"),
        (c.RESTART_LIMIT, "three", "RESTART_LIMIT: must be a whole number from 1 to 10"),
        (c.RESTART_LIMIT, "0", "RESTART_LIMIT: must be a whole number from 1 to 10"),
        (c.RESTART_LIMIT, "11", "RESTART_LIMIT: must be a whole number from 1 to 10"),
        (c.RESTART_WINDOW_MINUTES, "-5", "RESTART_WINDOW_MINUTES: must be a whole number from 10 to 1440"),
        (c.CONNECT_DEADLINE_SECONDS, "1.5", "CONNECT_DEADLINE_SECONDS: must be whole seconds from 1 to 600"),
        # Nothing is trimmed or case-folded into validity: the stack would refuse these values too.
        (c.STAGE, " feature-x", "STAGE: Invalid stage"),
        (c.SECURITY_PROTOCOL, "ssl", "KAFKA_SECURITY_PROTOCOL: must be one of SSL, PLAINTEXT"),
        (c.RESTART_LIMIT, " 3", "RESTART_LIMIT: must be a whole number from 1 to 10"),
        (c.ECS_SERVICE, "wms-connector-feature-x ", "ECS_SERVICE: must be a ecs-service name"),
        (c.BOOTSTRAP_SERVERS, "b-1:9094, b-2:9094", "BOOTSTRAP_SERVERS: must be host:port"),
        (c.CONNECT_URL, "https://user:pw@connect.internal", "CONNECT_URL: must be an http:// or https:// URL"),
        (c.DB_SECRET_ARN, "wms/main/dbInfo", "DB_INFO_SECRET_ARN: .* is not a Secrets Manager secret ARN"),
        (c.DB_SECRET_ARN, "arn:aws:s3:::bucket", "DB_INFO_SECRET_ARN: .* is not a Secrets Manager secret ARN"),
    ],
)
def test_bad_values_are_refused_with_the_variable_name(name, value, message):
    with pytest.raises(LambdaEnvironmentError, match=message):
        HealthConfig.from_env({**GOOD, name: value})


def test_bad_stage_is_refused_by_the_stage_model_naming_the_variable():
    with pytest.raises(LambdaEnvironmentError, match="STAGE: Invalid stage"):
        HealthConfig.from_env({**GOOD, c.STAGE: "Feature_X"})

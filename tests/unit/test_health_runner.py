"""A whole health-check run against moto (ECS, DynamoDB, CloudWatch, Secrets Manager) with Kafka Connect down
(a real client against a closed loopback port). The runs with a live Connect are in
tests/integration/test_health.py."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from moto import mock_aws

from functions.health_check import handler
from tests.unit.aws_fixtures import (
    REGION,
    Clock,
    active_private_ca,
    fake_credentials,
    free_port,
    health_check_aws,
    listening_port,
)
from wms_connector.connect_client import ConnectClient
from wms_connector.health import config as c
from wms_connector.health import metric_names as m
from wms_connector.health.clients import build_clients
from wms_connector.health.config import HealthConfig
from wms_connector.health.runner import HealthCheckIncomplete, HealthClients, HealthRun

CLUSTER = SERVICE = "wms-connector-main"
TABLE = "wms-connector-main-health"
PASSWORD = "pw-Zq81-never-logged"
DB_USER = "cdc_user_x9q_never_logged"
T0 = 1_800_000_000.0


@pytest.fixture
def listener():
    with listening_port() as port:
        yield port


@pytest.fixture
def aws(monkeypatch, listener):
    fake_credentials(monkeypatch)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    db_info = {"ip": "127.0.0.1", "port": listener, "user": DB_USER, "password": PASSWORD}
    with mock_aws():
        yield health_check_aws(CLUSTER, SERVICE, TABLE, "wms/main/dbInfo", db_info)


def _env(secret_arn: str) -> dict[str, str]:
    return {
        c.STAGE: "main",
        c.CONNECT_URL: f"http://127.0.0.1:{free_port()}",
        c.ECS_CLUSTER: CLUSTER,
        c.ECS_SERVICE: SERVICE,
        c.STATE_TABLE: TABLE,
        c.DB_SECRET_ARN: secret_arn,
        c.CONNECT_DEADLINE_SECONDS: "1",
    }


def _run(aws, clock, lines, env: dict[str, str] | None = None, **overrides) -> dict:
    config = HealthConfig.from_env({**_env(aws["secret_arn"]), **(env or {})})
    parts = {
        "connect": ConnectClient(config.connect_url, request_timeout=0.5, deadline=1.0),
        "ecs": aws["ecs"],
        "secrets": boto3.client("secretsmanager", region_name=REGION),
        "cloudwatch": boto3.client("cloudwatch", region_name=REGION),
        "table": aws["table"],
        "clock": clock,
        "emit": lines.append,
    }
    return HealthRun(config, HealthClients(**{**parts, **overrides})).run()


def _deployments(ecs) -> list[str]:
    return [d["id"] for d in ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]]


def test_connect_down_redeploys_the_service_within_the_budget(aws):
    clock, lines = Clock(T0), []
    before = _deployments(aws["ecs"])
    summary = _run(aws, clock, lines)
    assert summary["connect"]["reachable"] is False
    assert summary["restart"] == {
        "needed": "api_unreachable",
        "action": "ecs_redeploy",
        "heldBack": None,
        "granted": True,
        "done": True,
        "budgetRemaining": 2,
        # The window (60 minutes) plus the clock-skew allowance (10).
        "nextFreeAtMs": int((T0 + 3600 + 600) * 1000),
        "backoffUntilMs": None,
        "previousOutcome": None,
    }
    assert _deployments(aws["ecs"]) != before
    metrics = summary["metrics"]
    assert metrics[m.CONNECT_API_UNREACHABLE] == 1 and metrics[m.AUTO_RESTART_ATTEMPTED] == 1
    # The outage has its own alarm; HealthCheckFailed would page a second time for the same thing.
    assert metrics[m.HEALTH_CHECK_FAILED] == 0 and metrics[m.HEALTH_CHECK_RAN] == 1
    assert summary["healthy"] is False
    assert metrics[m.ECS_SERVICE_UNHEALTHY] == 0 and metrics[m.DB_TCP_UNREACHABLE] == 0
    assert "ConnectApiUnreachable" in summary["problems"]


def test_budget_stops_the_fourth_restart_and_judges_each_one(aws):
    clock, lines = Clock(T0), []
    outcomes = []
    for minute in (0, 10, 20, 30):
        clock.now = T0 + minute * 60
        outcomes.append(_run(aws, clock, lines))
    assert [s["restart"]["granted"] for s in outcomes] == [True, True, True, False]
    assert [s["restart"]["previousOutcome"] for s in outcomes] == [None, "not_helped", "not_helped", "not_helped"]
    last = outcomes[-1]["metrics"]
    assert last[m.AUTO_RESTART_BUDGET_EXCEEDED] == 1 and last[m.AUTO_RESTART_ATTEMPTED] == 0
    assert last[m.RESTART_BUDGET_REMAINING] == 0
    # The oldest restart leaves the window 60 minutes (plus the 10-minute clock-skew allowance) after it was made.
    clock.now = T0 + 70 * 60 + 1
    assert _run(aws, clock, lines)["restart"]["granted"] is True


def test_after_a_restart_that_did_not_help_the_next_waits_out_the_backoff(aws):
    clock, lines = Clock(T0), []
    assert _run(aws, clock, lines)["restart"]["granted"] is True
    clock.now = T0 + 2 * 60  # still down: the restart did not help, and the next waits 5 minutes from it
    held = _run(aws, clock, lines)
    assert held["restart"]["previousOutcome"] == "not_helped"
    assert held["restart"]["granted"] is False
    assert held["restart"]["backoffUntilMs"] == held["restart"]["nextFreeAtMs"] == int((T0 + 5 * 60) * 1000)
    # Waiting out the backoff is not a spent budget.
    assert held["metrics"][m.AUTO_RESTART_BUDGET_EXCEEDED] == 0 and held["metrics"][m.RESTART_BUDGET_REMAINING] == 2
    clock.now = T0 + 5 * 60
    assert _run(aws, clock, lines)["restart"]["granted"] is True


def test_metrics_reach_cloudwatch_with_stage_and_connector(aws):
    _run(aws, Clock(T0), [])
    listed = boto3.client("cloudwatch", region_name=REGION).list_metrics(Namespace="wms-connector-main/Health")
    dims = {x["MetricName"]: {d["Name"]: d["Value"] for d in x["Dimensions"]} for x in listed["Metrics"]}
    assert dims[m.CONNECT_API_UNREACHABLE] == {"Stage": "main"}
    assert dims[m.AUTO_RESTART_ATTEMPTED] == {"Stage": "main", "Connector": "wms-oracle-cdc"}
    assert m.HEALTH_CHECK_RAN in dims


def test_one_json_summary_line_and_no_secret_in_it(aws):
    lines: list[str] = []
    _run(aws, Clock(T0), lines)
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["event"] == "health_check" and summary["stage"] == "main"
    assert PASSWORD not in lines[0]
    assert summary["database"] == {"reachable": True}


def test_database_unreachable_is_reported(aws, listener):
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=aws["secret_arn"], SecretString=json.dumps({"host": "127.0.0.1", "port": free_port()})
    )
    summary = _run(aws, Clock(T0), [])
    assert summary["metrics"][m.DB_TCP_UNREACHABLE] == 1
    assert summary["database"] == {"reachable": False}


def test_held_back_while_a_deployment_rolls_out(aws, monkeypatch):
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "0")
    aws["ecs"].create_service(cluster=CLUSTER, serviceName="rolling", taskDefinition="connect", desiredCount=1)
    summary = _run(aws, Clock(T0), [], env={c.ECS_SERVICE: "rolling"})
    assert summary["restart"]["heldBack"] == "an ECS deployment is already rolling out"
    assert summary["restart"]["granted"] is None
    assert summary["metrics"][m.ECS_SERVICE_UNHEALTHY] == 1
    assert summary["metrics"][m.AUTO_RESTART_ATTEMPTED] == 0


def test_missing_table_is_reported_and_the_checks_still_run(aws):
    aws["table"].delete()
    summary = _run(aws, Clock(T0), [])
    assert "ResourceNotFoundException" in summary["errors"]["state"]
    assert summary["metrics"][m.CONNECT_API_UNREACHABLE] == 1
    assert summary["metrics"][m.HEALTH_CHECK_FAILED] == 1


def test_unpublishable_metrics_fail_the_invocation_after_logging(aws):
    class NoCloudWatch:
        def put_metric_data(self, **kwargs):
            raise ConnectionError("cloudwatch endpoint unreachable")

    lines: list[str] = []
    with pytest.raises(HealthCheckIncomplete, match="not published"):
        _run(aws, Clock(T0), lines, cloudwatch=NoCloudWatch())
    assert json.loads(lines[0])["errors"]["metrics"].startswith("ConnectionError")


def test_lambda_handler_runs_the_check_from_its_environment(aws, monkeypatch, capsys, caplog):
    # The most verbose logging anyone could turn on: at DEBUG botocore would log the GetSecretValue body.
    caplog.set_level(logging.DEBUG)
    for key, value in _env(aws["secret_arn"]).items():
        monkeypatch.setenv(key, value)
    result = handler({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, None)
    assert result["metrics"][m.CONNECT_API_UNREACHABLE] == 1
    assert result["database"] == {"reachable": True}  # the secret was read and used
    captured = capsys.readouterr()
    assert captured.out.count('"event": "health_check"') == 1
    everything = captured.out + captured.err + caplog.text
    leaked = [name for name, value in (("password", PASSWORD), ("user", DB_USER)) if value in everything]
    assert not leaked, f"dbInfo {leaked} reached the handler's output or logs"  # names only, never the log


WIRE_CHILDREN = ["botocore.parsers", "botocore.endpoint", "urllib3.connectionpool", "boto3.resources"]


@pytest.mark.parametrize("child", WIRE_CHILDREN)
def test_a_wire_loggers_child_set_to_debug_prints_no_secret(aws, monkeypatch, capsys, caplog, child):
    caplog.set_level(logging.DEBUG)
    logging.getLogger(child).setLevel(logging.DEBUG)
    try:
        for key, value in _env(aws["secret_arn"]).items():
            monkeypatch.setenv(key, value)
        handler({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, None)
        # Set to DEBUG again after the guard ran (a diagnosis mid-run): the handler filter still holds.
        logging.getLogger(child).setLevel(logging.DEBUG)
        handler({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, None)
    finally:
        logging.getLogger(child).setLevel(logging.NOTSET)
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text
    assert PASSWORD not in everything and DB_USER not in everything


def test_lambda_handler_refuses_a_bad_environment(monkeypatch):
    monkeypatch.delenv(c.STAGE, raising=False)
    with pytest.raises(c.LambdaEnvironmentError, match="STAGE"):
        handler({}, None)


def test_clients_trust_the_endpoints_private_ca_fetched_by_arn(aws):
    ca_arn, certificate = active_private_ca(boto3.client("acm-pca", region_name=REGION), "health test CA")

    env = {
        **_env(aws["secret_arn"]),
        c.CONNECT_URL: "https://connect.wms-connector-main.internal",
        c.CONNECT_CA_ARN: ca_arn,
    }
    clients = build_clients(HealthConfig.from_env(env))
    trusted = clients.connect.trusted_ca
    assert certificate.strip().splitlines()[1] in trusted


def _exporter_text(offset_scn: int, current_scn: int, lag_ms: int) -> str:
    labels = '{context="streaming",server="aws.wms.cdc"}'
    return "\n".join([
        f"debezium_oracle_offsetscn{labels} {offset_scn}",
        f"debezium_oracle_currentscn{labels} {current_scn}",
        f"debezium_oracle_lagfromsourceinmilliseconds{labels} {lag_ms}",
        f"debezium_oracle_connected{labels} 1.0",
        "",
    ])


def test_scn_lag_and_the_catch_up_estimate_from_two_runs(aws):
    texts = iter([_exporter_text(1_000, 61_000, 7_200_000), _exporter_text(16_000, 66_000, 3_600_000)])
    clock = Clock(T0)
    env = {c.JMX_URL: "http://127.0.0.1:9/metrics"}
    first = _run(aws, clock, [], env, fetch=lambda url: next(texts))
    assert first["capture"]["catchUp"] == (
        "60000 SCNs behind the database; the next check estimates when it catches up"
    )
    assert first["metrics"][m.SCN_LAG] == 60_000 and m.CATCH_UP_ESTIMATE_MINUTES not in first["metrics"]
    clock.now += 600
    second = _run(aws, clock, [], env, fetch=lambda url: next(texts))
    assert second["metrics"][m.SCN_LAG] == 50_000
    assert second["metrics"][m.CATCH_UP_ESTIMATE_MINUTES] == 50.0
    assert second["capture"]["catchUp"] == "50000 SCNs behind the database; caught up in about 50 min"


# The database probe over the Oracle connection double (tests/unit/oracle_double.py; Oracle cannot run here).
def test_the_database_probe_publishes_what_it_found_and_tightens_the_runway(aws):
    from tests.unit.oracle_double import _table, ready_database

    dropped = "WMS.PLAN_WVR_RVSN_TBL"
    connected: list[tuple[dict, float]] = []

    def connect(info, timeout):
        connected.append((dict(info), timeout))
        # The archive logs on disk are 10 h old, the oldest from SCN 1000; the restart position (SCN 500) is gone.
        return ready_database(
            TABLE_LOG_GROUPS=lambda p: [] if _table(p) == dropped else [("ALL COLUMN LOGGING",)],
            ARCHIVED_LOGS_ON_DISK=lambda p: [(1000, 10.0)],
        )

    texts = iter([_exporter_text(500, 61_000, 7_200_000)])
    env = {c.JMX_URL: "http://127.0.0.1:9/metrics", c.DATABASE_PROBE: "true"}
    lines: list[str] = []
    summary = _run(aws, Clock(T0), lines, env, fetch=lambda url: next(texts), database_connect=connect)
    assert connected and connected[0][0]["user"] == DB_USER and connected[0][1] == 5.0
    metrics = summary["metrics"]
    assert (metrics[m.SUPPLEMENTAL_LOGGING_DROPPED], metrics[m.ARCHIVELOG_MODE_OFF]) == (1, 0)
    assert (metrics[m.RESTART_POSITION_LOG_GONE], metrics[m.ARCHIVE_LOGS_ON_DISK_HOURS]) == (1, 10.0)
    assert m.DATABASE_PROBE_MS in metrics
    assert f"supplemental logging DROPPED on {dropped}" in summary["capture"]["database"]
    assert PASSWORD not in lines[0]


def test_without_the_probe_setting_nothing_connects(aws):
    called = []
    summary = _run(aws, Clock(T0), [], database_connect=lambda info, timeout: called.append(1))
    assert called == [] and summary["capture"]["database"] is None
    assert m.SUPPLEMENTAL_LOGGING_DROPPED not in summary["metrics"]


def test_a_probe_that_cannot_log_in_is_unknown_and_the_run_goes_on(aws):
    def refused(info, timeout):
        raise RuntimeError(f"ORA-01017: invalid credential or not authorized; logon denied for {info['password']}")

    lines: list[str] = []
    summary = _run(aws, Clock(T0), lines, {c.DATABASE_PROBE: "true"}, database_connect=refused)
    assert summary["capture"]["database"].startswith("unknown: ORA-01017")
    assert m.SUPPLEMENTAL_LOGGING_DROPPED not in summary["metrics"] and m.DATABASE_PROBE_MS in summary["metrics"]
    assert PASSWORD not in lines[0] and summary["metricsPublished"] > 0

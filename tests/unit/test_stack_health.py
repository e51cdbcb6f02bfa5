"""The health check, alarms, dashboard and rotation rule as the whole program registers them, under Pulumi mocks."""

from __future__ import annotations

import json
import re

import pytest

from components.lambda_package import lambda_files
from components.log_filters import LOG_FILTERS
from tests.unit.pulumi_harness import (
    ACCOUNT_ID,
    BOUNDARY_ARN,
    DATA_SUBNETS,
    DB_PASSWORD,
    DB_USER,
    IAM_PATH,
    default_secrets,
    run_program,
    secret_arn,
    without,
)
from wms_connector.health import config as env
from wms_connector.health import metric_names as m

FUNCTION = "aws:lambda/function:Function"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PERMISSION = "aws:lambda/permission:Permission"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:topic/wms-connector-main-alerts"


@pytest.fixture(scope="module")
def main_run():
    run = run_program("main")
    run.raise_error()
    return run


def _policy(run) -> list[dict]:
    return json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "health-policy").inputs["policy"])["Statement"]


def _statement_for(statements: list[dict], action: str) -> dict:
    found = [s for s in statements if action in s["Action"]]
    assert len(found) == 1, f"{action} granted in {len(found)} statements"
    return found[0]


def _alarms(run) -> dict[str, dict]:
    return {r.inputs["name"]: r.inputs for r in run.of_type(ALARM)}


# -- the Lambda ------------------------------------------------------------------------------------------------


def test_lambda_runs_in_the_vpc_with_the_lambda_security_group(main_run):
    function = main_run.one(FUNCTION, "health-function").inputs
    assert function["name"] == "wms-connector-main-health"
    assert function["handler"] == "functions.health_check.handler"
    assert function["runtime"] == "python3.11"
    assert function["vpcConfig"]["subnetIds"] == DATA_SUBNETS
    assert function["vpcConfig"]["securityGroupIds"] == ["network-lambda-id"]
    assert function["timeout"] >= 60


def test_lambda_environment_names_the_secret_by_arn_only(main_run):
    variables = main_run.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    assert variables[env.STAGE] == "main"
    assert variables[env.DB_SECRET_ARN] == secret_arn("wms/main/dbInfo")
    assert variables[env.CONNECT_URL] == "https://connect.wms-connector-main.internal"
    assert variables[env.ECS_CLUSTER] == "wms-connector-main" and variables[env.ECS_SERVICE] == "wms-connector-main"
    assert variables[env.STATE_TABLE] == "wms-connector-main-health"
    assert variables[env.JMX_URL] == "http://{task_ip}:9404/metrics"
    assert variables[env.SECURITY_PROTOCOL] == "SSL"
    assert (variables[env.RESTART_LIMIT], variables[env.RESTART_WINDOW_MINUTES]) == ("3", "60")
    text = main_run.all_inputs_text()
    assert DB_PASSWORD not in text and DB_USER not in text


def test_state_table_on_demand_with_point_in_time_recovery(main_run):
    table = main_run.one("aws:dynamodb/table:Table", "health-state").inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert table["hashKey"] == "connectorId"
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["deletionProtectionEnabled"] is True


def test_log_group_with_the_stage_retention(main_run):
    logs = main_run.one("aws:cloudwatch/logGroup:LogGroup", "health-logs").inputs
    assert logs["name"] == "/aws/lambda/wms-connector-main-health"
    assert logs["retentionInDays"] == 14


def test_role_path_and_boundary_from_the_secrets(main_run):
    role = main_run.one("aws:iam/role:Role", "health-role").inputs
    assert role["path"] == IAM_PATH and role["permissionsBoundary"] == BOUNDARY_ARN
    assert "lambda.amazonaws.com" in role["assumeRolePolicy"]


def test_permissions_are_scoped(main_run):
    statements = _policy(main_run)
    service = _statement_for(statements, "ecs:DescribeServices")
    assert service["Resource"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:service/wms-connector-main"]
    assert "ecs:UpdateService" in service["Action"]
    metrics = _statement_for(statements, "cloudwatch:PutMetricData")
    assert metrics["Resource"] == ["*"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "wms-connector-main/Health"}}
    table = _statement_for(statements, "dynamodb:UpdateItem")
    assert table["Resource"] == [f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/wms-connector-main-health"]
    assert sorted(table["Action"]) == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    secret = _statement_for(statements, "secretsmanager:GetSecretValue")
    assert secret["Resource"] == [secret_arn("wms/main/dbInfo")]
    tasks = _statement_for(statements, "ecs:DescribeTasks")
    assert tasks["Resource"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:task/wms-connector-main/*"]
    assert "ecs:cluster" in tasks["Condition"]["ArnEquals"]
    for statement in statements:
        if statement["Resource"] == ["*"]:
            assert statement is metrics or all(a.startswith("ec2:") for a in statement["Action"])


def test_schedule_every_ten_minutes_by_default(main_run):
    rule = main_run.one(RULE, "health-schedule").inputs
    assert rule["scheduleExpression"] == "rate(10 minutes)"
    target = main_run.one(TARGET, "health-schedule-target").inputs
    assert target["rule"] == rule["name"] and target["arn"].endswith(":function/wms-connector-main-health")
    permission = main_run.one(PERMISSION, "health-schedule-invoke").inputs
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["sourceArn"].endswith(rule["name"])


def test_schedule_starts_only_after_the_connector_exists(main_run):
    # Runs against a Connect that is still starting would page ConnectApiUnreachable on every new stack.
    needed = main_run.depends_on(RULE, "health-schedule")
    # A dependency on the Connector component is one on its DebeziumConnector resource.
    assert ("pulumi-python:dynamic/wms:DebeziumConnector", "connector-debezium") in needed


@pytest.mark.parametrize(("minutes", "expression"), [(5, "rate(5 minutes)"), (1, "rate(1 minute)")])
def test_stack_config_shortens_the_schedule(minutes, expression):
    run = run_program("main", config={"healthScheduleMinutes": str(minutes)})
    run.raise_error()
    assert run.one(RULE, "health-schedule").inputs["scheduleExpression"] == expression
    lag = _alarms(run)["wms-connector-main-ReplicationLag"]
    assert lag["period"] == minutes * 60


def test_rotation_rule_watches_the_one_db_secret_and_invokes_the_function(main_run):
    rule = main_run.one(RULE, "health-db-secret-change").inputs
    pattern = json.loads(rule["eventPattern"])
    assert pattern["source"] == ["aws.secretsmanager"]
    assert {"PutSecretValue", "UpdateSecret", "RotateSecret"} <= set(pattern["detail"]["eventName"])
    named = {ref for alt in pattern["detail"]["$or"] for value in alt.values() for ref in next(iter(value.values()))}
    arn = secret_arn("wms/main/dbInfo")
    # By ARN (full or without its suffix) or by name, as callers pass it; never any other secret.
    assert named == {arn, arn.removesuffix("-AbCdEf"), "wms/main/dbInfo"}
    target = main_run.one(TARGET, "health-db-secret-change-target").inputs
    assert target["rule"] == rule["name"] and target["arn"].endswith(":function/wms-connector-main-health")
    assert main_run.one(PERMISSION, "health-db-secret-change-invoke").inputs["sourceArn"].endswith(rule["name"])


def test_rotation_rule_follows_the_fallback_secret():
    secrets = without(default_secrets("main"), "wms/main/dbInfo")
    run = run_program("main", secrets=secrets)
    run.raise_error()
    pattern = run.one(RULE, "health-db-secret-change").inputs["eventPattern"]
    assert secret_arn("wms/default/dbInfo") in pattern and secret_arn("wms/main/dbInfo") not in pattern


# -- alarms ----------------------------------------------------------------------------------------------------


def test_every_health_signal_has_an_alarm_to_the_topic(main_run):
    alarms = _alarms(main_run)
    for signal in m.ALARMED_SIGNALS:
        alarm = alarms[f"wms-connector-main-{signal}"]
        assert alarm["namespace"] == "wms-connector-main/Health" and alarm["metricName"] == signal
        assert alarm["dimensions"]["Stage"] == "main"
        assert alarm["threshold"] == 1 and alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    for name, alarm in alarms.items():
        assert name.startswith("wms-connector-main-")
        assert alarm["alarmActions"] == [TOPIC_ARN] and alarm["okActions"] == [TOPIC_ARN]


def test_a_restart_keeps_its_alarm_up_for_the_budget_window_so_an_incident_mails_once(main_run):
    restarts = _alarms(main_run)["wms-connector-main-AutoRestartAttempted"]
    # Any restart in the last 6 ten-minute runs (the 60-minute budget window) keeps it in ALARM.
    assert (restarts["period"], restarts["evaluationPeriods"], restarts["datapointsToAlarm"]) == (600, 6, 1)
    failed = _alarms(main_run)["wms-connector-main-ConnectorTaskFailed"]
    assert (failed["evaluationPeriods"], failed["datapointsToAlarm"]) == (1, 1)
    # CloudWatch refuses alarms that look back more than a day: the longest window with an odd schedule fits.
    longest = run_program(
        "main", config={"restartWindowMinutes": "1440", "healthScheduleMinutes": "7", "logAlarmPeriodMinutes": "1"}
    )
    longest.raise_error()
    for name, alarm in _alarms(longest).items():
        assert alarm["period"] * alarm["evaluationPeriods"] <= 86_400, name


@pytest.mark.parametrize(
    ("config", "runs"),
    [
        ({}, 1),  # heartbeat every minute, a run every ten: one stalled run means two missed heartbeats and more
        ({"healthScheduleMinutes": "1"}, 2),
        # Hourly heartbeats: two hours of runs (without the heartbeat table, whose freshness alarm would then need
        # a threshold over an hour).
        ({"connector": {"heartbeatIntervalMs": 3_600_000, "runsWithoutHeartbeatTable": True}}, 12),
    ],
)
def test_stalled_topics_alarm_waits_for_two_heartbeat_intervals(main_run, config, runs):
    run = run_program("main", config=config) if config else main_run
    run.raise_error()
    stalled = _alarms(run)["wms-connector-main-TopicOffsetsStalled"]
    assert (stalled["evaluationPeriods"], stalled["datapointsToAlarm"]) == (runs, runs)


def test_lag_alarm_thresholds_per_stage_and_from_config(main_run):
    lag = _alarms(main_run)["wms-connector-main-ReplicationLag"]
    assert (lag["threshold"], lag["evaluationPeriods"], lag["datapointsToAlarm"]) == (900_000, 3, 3)
    assert lag["dimensions"] == {"Stage": "main", "Connector": "wms-oracle-cdc"}
    production = run_program("production")
    production.raise_error()
    assert _alarms(production)["wms-connector-production-ReplicationLag"]["threshold"] == 300_000
    tuned = run_program("main", config={"lagAlarmThresholdMs": "60000", "lagAlarmPeriods": "4"})
    tuned.raise_error()
    lag = _alarms(tuned)["wms-connector-main-ReplicationLag"]
    assert (lag["threshold"], lag["evaluationPeriods"]) == (60_000, 4)


def test_health_check_silence_is_breaching(main_run):
    absent = _alarms(main_run)["wms-connector-main-HealthCheckNotRunning"]
    assert absent["metricName"] == m.HEALTH_CHECK_RAN
    assert absent["treatMissingData"] == "breaching"
    assert absent["comparisonOperator"] == "LessThanThreshold" and absent["evaluationPeriods"] == 2


def test_lambda_errors_alarm(main_run):
    errors = _alarms(main_run)["wms-connector-main-HealthLambdaErrors"]
    assert errors["namespace"] == "AWS/Lambda" and errors["metricName"] == "Errors"
    assert errors["dimensions"] == {"FunctionName": "wms-connector-main-health"}


def test_log_metric_filters_on_the_worker_log_group(main_run):
    filters = {r.inputs["metricTransformation"]["name"]: r.inputs for r in main_run.of_type(FILTER)}
    assert set(filters) == {f.metric for f in LOG_FILTERS}
    assert {"OracleErrors", "ConnectionErrors", "SupplementalLoggingMissing", "ArchiveLogsGone"} < set(filters)
    assert filters["OracleErrors"]["pattern"] == '"ORA-"'
    assert filters["ConnectionErrors"]["pattern"] == "?ConnectException ?SQLException"
    assert filters["UnknownTopicOrPartition"]["pattern"] == '"UNKNOWN_TOPIC_OR_PARTITION"'
    for log_filter in filters.values():
        assert log_filter["logGroupName"] == "/aws/fargate/wms-connector-main-kafka-connect"
        assert log_filter["metricTransformation"]["namespace"] == "wms-connector-main/ConnectorLogs"
    alarms = _alarms(main_run)
    assert alarms["wms-connector-main-UnknownTopicOrPartition"]["threshold"] == 5
    assert alarms["wms-connector-main-OracleErrors"]["threshold"] == 1
    assert alarms["wms-connector-main-OracleErrors"]["period"] == 300
    # Errors come back with each restart: the alarm holds through the 60-minute restart window (one mail pair).
    for metric in filters:
        held = alarms[f"wms-connector-main-{metric}"]
        assert (held["evaluationPeriods"], held["datapointsToAlarm"]) == (12, 1)
    assert len(LOG_FILTERS) == len(filters)


# -- dashboard -------------------------------------------------------------------------------------------------


def test_dashboard_shows_every_alarm_and_the_service(main_run):
    dashboard = main_run.one("aws:cloudwatch/dashboard:Dashboard", "dashboard-dashboard").inputs
    assert dashboard["dashboardName"] == "wms-connector-main"
    body = json.loads(dashboard["dashboardBody"])
    widgets = body["widgets"]
    alarm_widget = next(w for w in widgets if w["type"] == "alarm")
    alarm_arns = {f"arn:aws:cloudwatch:us-east-1:{ACCOUNT_ID}:metricalarm/{name}" for name in _alarms(main_run)}
    assert set(alarm_widget["properties"]["alarms"]) == alarm_arns
    titles = [w["properties"].get("title") for w in widgets]
    for title in (
        "Connector and task state (1 = problem)",
        "Replication lag",
        "Events captured and snapshot",
        "Restarts and budget",
        "ECS service CPU and memory (%)",
        "Worker log errors",
    ):
        assert title in titles
    metrics_text = json.dumps(widgets)
    assert '"AWS/ECS", "CPUUtilization", "ClusterName", "wms-connector-main", "ServiceName", "wms-connector-main"' in (
        metrics_text
    )
    for name in (m.REPLICATION_LAG_MS, m.EVENTS_CAPTURED, m.AUTO_RESTART_BUDGET_EXCEEDED, m.CONNECTOR_TASK_FAILED):
        assert f'"wms-connector-main/Health", "{name}"' in metrics_text


# -- stages ----------------------------------------------------------------------------------------------------


def test_ephemeral_stage_names_and_table_protection():
    run = run_program("feat-x")
    run.raise_error()
    assert run.one(FUNCTION, "health-function").inputs["name"] == "wms-connector-feat-x-health"
    table = run.one("aws:dynamodb/table:Table", "health-state").inputs
    assert table["name"] == "wms-connector-feat-x-health" and table["deletionProtectionEnabled"] is False
    assert all(name.startswith("wms-connector-feat-x-") for name in _alarms(run))
    assert _alarms(run)["wms-connector-feat-x-ReplicationLag"]["threshold"] == 900_000  # main's defaults


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("healthScheduleMinutes", "0", "healthScheduleMinutes"),
        ("restartLimit", "many", "restartLimit"),
        ("lagAlarmThresholdMs", "-1", "lagAlarmThresholdMs"),
        ("restartWindowMinutes", "15", "at least healthScheduleMinutes"),
    ],
)
def test_bad_health_config_fails_before_anything_is_created(key, value, message):
    config = {key: value}
    if key == "restartWindowMinutes":
        config["healthScheduleMinutes"] = "30"
    run = run_program("main", config=config)
    assert run.error is not None and message in str(run.error)
    assert run.resources == []


def test_the_shared_lambda_package_carries_the_health_check_and_its_libraries():
    files = lambda_files()
    for path in (
        "functions/health_check.py",
        "wms_connector/health/runner.py",
        "wms_connector/health/checks/capture.py",
        "prometheus_client/parser.py",
        "kafka/__init__.py",
    ):
        assert path in files


# -- capture health ---------------------------------------------------------------------------------------------


def test_without_a_heartbeat_table_there_is_no_freshness_alarm_and_the_lambda_reads_no_topic():
    main_run = run_program("main", config={"connector": {"runsWithoutHeartbeatTable": True}})
    main_run.raise_error()
    alarms = _alarms(main_run)
    assert "wms-connector-main-CaptureStale" not in alarms
    assert alarms["wms-connector-main-ArchiveLogRunway"]["threshold"] == 50
    variables = main_run.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    assert "HEARTBEAT_TABLE_TOPIC" not in variables
    assert variables["ARCHIVE_LOG_RETENTION_HOURS"] == "24"
    dashboard = json.loads(main_run.one("aws:cloudwatch/dashboard:Dashboard", "dashboard-dashboard").inputs[
        "dashboardBody"
    ])
    texts = [w["properties"]["markdown"] for w in dashboard["widgets"] if w["type"] == "text"]
    assert any("Capture freshness: unknown" in text for text in texts)


HEARTBEAT_CONFIG = {
    "connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"},
    "freshnessAlarmThresholdMs": "300000",
    "archiveLogRetentionHours": "48",
    "runwayAlarmPercent": "40",
    "pgaAlarmBytes": "1000000000",
}


@pytest.fixture(scope="module")
def heartbeat_run():
    run = run_program("feat-x", config=HEARTBEAT_CONFIG)
    run.raise_error()
    return run


def test_with_a_heartbeat_table_the_declared_connector_lambda_and_alarm_are_wired_to_each_other(heartbeat_run):
    """The links between the declared resources that freshness needs; that data flows through them is for the
    integration tests."""
    run = heartbeat_run
    connector = run.one("pulumi-python:dynamic/wms:DebeziumConnector", "connector-debezium").inputs["config"]
    # The connector writes the heartbeat row and captures the table it writes...
    assert connector["heartbeat.action.query"].startswith("MERGE INTO WMS.DEBEZIUM_HEARTBEAT ")
    assert any(re.fullmatch(p, "WMS.DEBEZIUM_HEARTBEAT") for p in connector["table.include.list"].split(","))
    # ...into the topic Debezium names `<topic.prefix>.<schema>.<table>`, the one the Lambda is told to read.
    variables = run.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    topic = f"{connector['topic.prefix']}.WMS.DEBEZIUM_HEARTBEAT"
    assert variables["HEARTBEAT_TABLE_TOPIC"] == topic == "feat-x.aws.wms.cdc.WMS.DEBEZIUM_HEARTBEAT"
    # The Lambda takes that environment as it is, and publishes freshness where CaptureStale looks for it.
    config = env.HealthConfig.from_env(variables)
    assert config.heartbeat_table_topic == topic
    scope = m.MetricScope.for_stage(config.stage, config.connector)
    stale = _alarms(run)["wms-connector-feat-x-CaptureStale"]
    assert (stale["namespace"], stale["metricName"], stale["dimensions"]) == (
        scope.namespace, m.CAPTURE_FRESHNESS_MS, scope.dimensions(m.CAPTURE_FRESHNESS_MS)
    )
    # A Lambda that stops publishing is stale too, and the alarm pages the stage's topic.
    assert stale["treatMissingData"] == "breaching"
    assert stale["alarmActions"] == [run.outputs["alertTopicArn"]]


def test_the_capture_thresholds_of_the_stack_config_reach_the_alarms_and_the_lambda(heartbeat_run):
    alarms = _alarms(heartbeat_run)
    assert alarms["wms-connector-feat-x-CaptureStale"]["threshold"] == 300000
    assert alarms["wms-connector-feat-x-ArchiveLogRunway"]["threshold"] == 40
    assert "48 h" in alarms["wms-connector-feat-x-ArchiveLogRunway"]["alarmDescription"]
    assert alarms["wms-connector-feat-x-MiningPgaHigh"]["threshold"] == 1000000000
    variables = heartbeat_run.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    assert variables["ARCHIVE_LOG_RETENTION_HOURS"] == "48"


def test_a_pdb_without_a_heartbeat_table_fails_before_anything_is_created():
    run = run_program("main", config={"connector": {"usePdb": True}})
    assert run.resources == [] and "only with `heartbeatTable`" in str(run.error)


PROBE_ALARMS = {"SupplementalLoggingDropped", "ArchiveLogModeOff", "RestartPositionLogGone"}
PROBE_VARIABLES = {"DATABASE_PROBE", "DB_USE_PDB", "ARCHIVE_DESTINATION_NAME"}


def test_the_database_probe_is_on_by_default_with_its_alarms_and_the_stages_pdb_and_destination():
    run = run_program("main", config={"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT", "usePdb": True,
                                                    "archiveDestinationName": ["LOG_ARCHIVE_DEST_3"]}})
    run.raise_error()
    variables = run.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    assert {k: variables[k] for k in PROBE_VARIABLES} == {
        "DATABASE_PROBE": "true", "DB_USE_PDB": "true", "ARCHIVE_DESTINATION_NAME": "LOG_ARCHIVE_DEST_3"}
    alarms = _alarms(run)
    for key in PROBE_ALARMS:
        alarm = alarms[f"wms-connector-main-{key}"]
        assert alarm["namespace"] == "wms-connector-main/Health" and alarm["threshold"] == 1


def test_a_stage_that_turns_the_probe_off_keeps_the_lambda_environment_table_and_alarms_as_without_it(main_run):
    off = run_program("main", config={"databaseProbe": "false"})
    off.raise_error()
    on_variables = main_run.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    off_variables = off.one(FUNCTION, "health-function").inputs["environment"]["variables"]
    assert on_variables.keys() - off_variables.keys() == {"DATABASE_PROBE"}
    assert {k: v for k, v in on_variables.items() if k != "DATABASE_PROBE"} == off_variables
    table = "aws:dynamodb/table:Table"
    assert off.one(table, "health-state").inputs == main_run.one(table, "health-state").inputs
    off_alarms = {name.removeprefix("wms-connector-main-") for name in _alarms(off)}
    assert not PROBE_ALARMS & off_alarms
    assert {name.removeprefix("wms-connector-main-") for name in _alarms(main_run)} - off_alarms == PROBE_ALARMS


def test_a_bad_probe_setting_is_refused_naming_it():
    run = run_program("main", config={"databaseProbe": "sometimes"})
    assert run.error is not None and "databaseProbe" in str(run.error) and run.resources == []

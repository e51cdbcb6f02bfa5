"""The dashboard and the alarms read only metrics that something publishes: the health check's own (every name
a run can produce), the worker log filters', and AWS's for ECS and Lambda. A name typed wrong or a metric the
check stopped publishing would show an empty graph, or an alarm that never fires."""

from __future__ import annotations

import dataclasses
import json

import pytest

from components.alarms import health_alarm_specs, lambda_errors_spec, log_alarm_spec
from components.dashboard import dashboard_body
from components.log_filters import LOG_FILTERS
from wms_connector.connect_status import ConnectorStatus
from wms_connector.health import metric_names as m
from wms_connector.health.catch_up import CatchUp
from wms_connector.health.checks.capture import CaptureFindings
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.checks.database import DbFindings
from wms_connector.health.checks.ecs_service import EcsFindings
from wms_connector.health.checks.freshness import FreshnessFindings
from wms_connector.health.checks.topics import TopicFindings
from wms_connector.health.report import RestartReport, RunReport, signals
from wms_connector.health.runner import counter_growth
from wms_connector.health.runway import RunwayFindings
from wms_connector.holds import Hold
from wms_connector.preflight.probe import ProbeFindings
from wms_connector.settings import load_settings
from wms_connector.stages import Stage

CONNECTOR = "wms-oracle-cdc"
HOLD = Hold("oncall@laptop", "DBA resizing redo", "ops pause --hold", 1_800_000_000_000, 1_800_007_200_000, "t", True)
AWS_METRICS = {
    "AWS/ECS": {"CPUUtilization", "MemoryUtilization"},
    "AWS/Lambda": {"Errors", "Duration"},
}


def _every_signal_a_run_can_publish() -> set[str]:
    """A run where every check produced a figure: the widest set of names `signals` returns."""
    status = ConnectorStatus.from_json(
        {"name": CONNECTOR, "connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "RUNNING"}]}
    )
    every_figure = {f.name: 1.0 for f in dataclasses.fields(CaptureFindings) if f.type != "str | None"}
    capture = CaptureFindings(**{**every_figure, "connected": True, "snapshot_running": False})
    _, growth = counter_growth(capture, {"schema_parse_errors": 0.0, "error_count": 0.0})
    report = RunReport(
        connect=ConnectFindings(reachable=True, status=status),
        ecs=EcsFindings(desired=1, running=1),
        db=DbFindings(reachable=True),
        capture=capture,
        topics=TopicFindings(offsets={}, events_captured=0, stalled=False),
        not_running_streak=0,
        restart=RestartReport(granted=True, budget_remaining=2, previous_outcome="helped"),
        freshness=FreshnessFindings(configured=True, age_ms=1.0, db_clock_ahead_ms=-1.0, topic_read=True),
        runway=RunwayFindings(read_back_ms=1.0, retention_hours=24, capture_down=False),
        catch_up=CatchUp(scn_lag=10.0, behind=True, eta_ms=60_000.0, paced=True),
        probe=ProbeFindings(archivelog=True, database_logging=True, on_disk_hours=30.0, oldest_archived_scn=1,
                            restart_scn=2.0),
        growth=growth,
        hold=HOLD,
        now_ms=HOLD.taken_at_ms,
    )
    return set(signals(report))


PUBLISHED = _every_signal_a_run_can_publish()


# Every capture alarm exists only with a heartbeat table and a PGA limit: the widest set of alarms and widgets.
EVERYTHING = {"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}, "pgaAlarmBytes": "2000000000"}


def _settings(stage: str):
    return load_settings(Stage.parse(stage), EVERYTHING, aws_region="us-east-1")


def _body(stage: str) -> dict:
    body = dashboard_body(
        _settings(stage),
        CONNECTOR,
        cluster_name=f"wms-connector-{stage}",
        service_name=f"wms-connector-{stage}",
        function_name=f"wms-connector-{stage}-health",
        alarm_arns=["arn:aws:cloudwatch:us-east-1:123456789012:alarm:x"],
    )
    # What Pulumi sends is JSON text: the body must survive the round trip unchanged.
    assert json.loads(json.dumps(body)) == body
    return body


def _metric_lines(body: dict) -> list[list]:
    return [line for w in body["widgets"] if w["type"] == "metric" for line in w["properties"]["metrics"]]


def test_every_published_health_metric_name_is_declared():
    declared = {value for name, value in vars(m).items() if name.isupper() and isinstance(value, str)}
    assert declared >= PUBLISHED


@pytest.mark.parametrize("stage", ["main", "production", "feat-x"])
def test_dashboard_lines_are_well_formed_and_read_published_metrics(stage):
    scope = m.MetricScope.for_stage(Stage.parse(stage), CONNECTOR)
    logs_namespace = m.log_metrics_namespace(Stage.parse(stage))
    lines = _metric_lines(_body(stage))
    assert lines
    for line in lines:
        namespace, name, *pairs, options = line
        assert isinstance(options, dict) and options["stat"] in ("Sum", "Minimum", "Maximum", "Average")
        assert len(pairs) % 2 == 0, line
        dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
        if namespace == scope.namespace:
            assert name in PUBLISHED, f"{name} is on the dashboard but no health-check run publishes it"
            # A line matches the published series only with exactly the dimensions the check sends.
            assert dimensions == scope.dimensions(name), line
        elif namespace == logs_namespace:
            assert name in {f.metric for f in LOG_FILTERS} and dimensions == {}
        else:
            assert name in AWS_METRICS[namespace], line


def test_dashboard_shows_the_main_signals():
    names = {line[1] for line in _metric_lines(_body("main"))}
    assert {m.REPLICATION_LAG_MS, m.CONNECTOR_TASK_FAILED, m.EVENTS_CAPTURED, m.RESTART_BUDGET_REMAINING} <= names
    assert {f.metric for f in LOG_FILTERS} <= names


def test_every_alarm_reads_a_published_metric_with_its_dimensions():
    settings = _settings("main")
    scope = m.MetricScope.for_stage(settings.stage, CONNECTOR)
    specs = health_alarm_specs(settings, CONNECTOR)
    keys = {s.key for s in specs}
    assert {"CaptureStale", "ArchiveLogRunway", "HeapHigh", "MiningPgaHigh", "OversizedTransactions"} <= keys
    for spec in specs:
        assert spec.namespace == scope.namespace
        assert spec.metric in PUBLISHED, spec.key
        assert spec.dimensions == scope.dimensions(spec.metric), spec.key
    for log_filter in LOG_FILTERS:
        spec = log_alarm_spec(settings, log_filter)
        assert (spec.namespace, spec.metric) == (m.log_metrics_namespace(settings.stage), log_filter.metric)
    errors = lambda_errors_spec(settings, "wms-connector-main-health")
    assert errors.metric in AWS_METRICS[errors.namespace]


def test_the_hold_widget_reads_what_the_health_runs_log_of_the_hold():
    body = _body("main")
    (widget,) = [w for w in body["widgets"] if w["type"] == "log"]
    query = widget["properties"]["query"]
    assert query.startswith("SOURCE '/aws/lambda/wms-connector-main-health' ")
    fields = [f.strip().removeprefix("hold.") for f in query.split("|")[1].removeprefix(" fields ").split(", ")[1:]]
    # Every field it shows is one the run logs under `hold` (runner.py's summary is Hold.summary).
    assert fields and set(fields) <= set(HOLD.summary(HOLD.taken_at_ms))
    held = {line[1] for line in _metric_lines(body)}
    assert {m.CONNECTOR_HELD, m.HOLD_MINUTES_LEFT} <= held

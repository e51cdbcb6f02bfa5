"""The stage's CloudWatch dashboard: the page on-call opens first. Alarm states on top, then connector and task
state, lag, events captured, restarts and budget, the ECS service's CPU and memory, and worker log errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.log_filters import LOG_FILTERS
from wms_connector.aws_names import aws_name
from wms_connector.health import metric_names as m
from wms_connector.settings import StageSettings

WIDTH = 24
HALF = 12


def _line(namespace: str, name: str, dimensions: dict[str, str], stat: str, label: str | None = None) -> list:
    """One metric line as CloudWatch dashboards write it: namespace, name, dimension name/value pairs, options."""
    pairs = [part for key, value in dimensions.items() for part in (key, value)]
    return [namespace, name, *pairs, {"stat": stat, "label": label or name}]


def _metric(scope: m.MetricScope, name: str, stat: str, label: str | None = None) -> list:
    return _line(scope.namespace, name, scope.dimensions(name), stat, label)


def _graph(title: str, metrics: list, region: str, period: int, *, width: int = HALF, **extra) -> dict:
    return {
        "type": "metric",
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "metrics": metrics,
            "region": region,
            "period": period,
            "view": "timeSeries",
            **extra,
        },
    }


def capture_row(settings: StageSettings, health_graph) -> list[dict]:
    """Oracle-aware capture health: freshness, the archive-log runway, transactions, heap, DDL."""
    capture = settings.capture
    heartbeat_table = settings.connector.options.heartbeat_table
    freshness = (
        health_graph(
            f"Capture freshness (heartbeat commits of {heartbeat_table})",
            [
                (m.CAPTURE_FRESHNESS_MS, "Maximum"),
                (m.DATABASE_CLOCK_SKEW_MS, "Maximum", "database clock off by (ms)"),
                (m.TOPICS_WRITTEN_BY_ANOTHER_STAGE, "Maximum", "another stage writes these topics"),
            ],
            annotations={"horizontal": [{"label": "stale", "value": capture.freshness_threshold_ms}]},
        )
        if heartbeat_table
        else {
            "type": "text",
            "width": HALF,
            "height": 6,
            "properties": {
                "markdown": (
                    "### Capture freshness: unknown\nNo heartbeat table is configured "
                    "(`wms-connector:connector.heartbeatTable`), so nothing proves Oracle → LogMiner → Kafka "
                    "end to end. See docs/operations.md, *Capture freshness*."
                )
            },
        }
    )
    return [
        freshness,
        health_graph(
            f"Archive-log runway (retention {capture.archive_log_retention_hours} h)",
            [
                (m.ARCHIVE_LOG_RUNWAY_USED_PERCENT, "Maximum", "restart read-back, % of retention"),
                (m.ARCHIVE_LOG_RUNWAY_HOURS_LEFT, "Minimum", "hours left"),
                *([(m.ARCHIVE_LOGS_ON_DISK_HOURS, "Minimum", "oldest archive log on disk, h")]
                  if capture.database_probe else []),
            ],
            annotations={"horizontal": [{"label": "runway alarm", "value": capture.runway_alarm_percent}]},
        ),
        health_graph(
            "Catch-up: SCNs behind the database, minutes to caught up",
            [(m.SCN_LAG, "Maximum", "SCN lag"), (m.CATCH_UP_ESTIMATE_MINUTES, "Maximum", "minutes to caught up")],
        ),
        health_graph(
            "Transactions and LogMiner",
            [
                (m.ACTIVE_TRANSACTIONS, "Maximum"),
                (m.OVERSIZED_TRANSACTIONS, "Maximum"),
                (m.ABANDONED_TRANSACTIONS, "Maximum"),
                (m.SCN_FREEZE_COUNT, "Maximum"),
            ],
        ),
        health_graph(
            "Heap, DDL and errors",
            [
                (m.HEAP_USED_PERCENT, "Maximum"),
                (m.UNPARSABLE_DDL_GROWTH, "Sum"),
                (m.CAPTURE_ERROR_GROWTH, "Sum"),
            ],
            annotations={"horizontal": [{"label": "heap alarm", "value": capture.heap_alarm_percent}]},
        ),
    ]


def hold_widget(function_name: str, region: str) -> dict:
    """Who holds the connector, why and until when: the `hold` of the health runs' log lines (runner.py)."""
    query = (
        f"SOURCE '/aws/lambda/{function_name}' | fields @timestamp, hold.holder, hold.command, hold.reason, "
        "hold.until | filter event = 'health_check' and ispresent(hold.holder) | sort @timestamp desc | limit 5"
    )
    return {
        "type": "log",
        "width": HALF,
        "height": 6,
        "properties": {"title": "Hold: who, why, until when", "query": query, "region": region, "view": "table"},
    }


def dashboard_body(
    settings: StageSettings,
    connector: str,
    *,
    cluster_name: str,
    service_name: str,
    function_name: str,
    alarm_arns: Sequence[str],
) -> dict:
    stage, region = settings.stage, settings.region
    scope = m.MetricScope.for_stage(stage, connector)
    period = settings.health.schedule_minutes * 60
    logs_namespace = m.log_metrics_namespace(stage)
    lag_line = {"horizontal": [{"label": "lag alarm", "value": settings.health.lag_threshold_ms}]}
    ecs_service = {"ClusterName": cluster_name, "ServiceName": service_name}

    def health_graph(title: str, lines: list[tuple[str, ...]], **extra) -> dict:
        """A graph of health-check metrics, each line (name, statistic[, label]), at the check's period."""
        return _graph(title, [_metric(scope, *line) for line in lines], region, period, **extra)

    return {
        "widgets": [
            {
                "type": "text",
                "width": WIDTH,
                "height": 2,
                "properties": {
                    "markdown": (
                        f"## {stage.service_name} — connector `{connector}`\n"
                        "What each alarm means and what to do: the **runbook** in the repository, docs/operations.md."
                    )
                },
            },
            {
                "type": "alarm",
                "width": WIDTH,
                "height": 4,
                "properties": {
                    "title": "Alarm states",
                    "alarms": sorted(alarm_arns),
                    "sortBy": "stateUpdatedTimestamp",
                },
            },
            health_graph(
                "Connector and task state (1 = problem)",
                [
                    (m.CONNECT_API_UNREACHABLE, "Maximum"),
                    (m.CONNECTOR_MISSING, "Maximum"),
                    (m.CONNECTOR_STATE_FAILED, "Maximum"),
                    (m.CONNECTOR_TASK_FAILED, "Maximum"),
                    (m.CONNECTOR_NOT_RUNNING, "Maximum"),
                    (m.CONNECTOR_DRIFT, "Maximum"),
                    (m.CONNECTOR_REPAIRED, "Sum", "ConnectorRepaired (repairs)"),
                    (m.DB_TCP_UNREACHABLE, "Maximum"),
                    (m.SOURCE_CONNECTED, "Minimum", "SourceConnected (1 = connected)"),
                ],
            ),
            health_graph(
                "Hold (1 = held: no restart, no repair)",
                [(m.CONNECTOR_HELD, "Maximum"), (m.HOLD_MINUTES_LEFT, "Minimum", "minutes left")],
            ),
            hold_widget(function_name, region),
            health_graph(
                "Replication lag",
                [
                    (m.REPLICATION_LAG_MS, "Maximum"),
                    (m.MS_SINCE_LAST_EVENT, "Maximum"),
                ],
                annotations=lag_line,
            ),
            health_graph(
                "Events captured and snapshot",
                [
                    (m.EVENTS_CAPTURED, "Sum"),
                    (m.TOPIC_OFFSETS_STALLED, "Maximum"),
                    (m.SNAPSHOT_RUNNING, "Maximum"),
                    (m.SNAPSHOT_TABLES_REMAINING, "Minimum"),
                ],
            ),
            *capture_row(settings, health_graph),
            health_graph(
                "Restarts and budget",
                [
                    (m.AUTO_RESTART_ATTEMPTED, "Sum"),
                    (m.AUTO_RESTART_HELPED, "Sum"),
                    (m.AUTO_RESTART_NOT_HELPED, "Sum"),
                    (m.AUTO_RESTART_BUDGET_EXCEEDED, "Sum"),
                    (m.RESTART_BUDGET_REMAINING, "Minimum"),
                ],
            ),
            _graph(
                "ECS service CPU and memory (%)",
                [
                    _line("AWS/ECS", "CPUUtilization", ecs_service, "Average"),
                    _line("AWS/ECS", "MemoryUtilization", ecs_service, "Average"),
                    _line("AWS/ECS", "MemoryUtilization", ecs_service, "Maximum", "MemoryUtilization (max)"),
                ],
                region,
                300,
            ),
            health_graph(
                "ECS tasks running vs desired", [(m.ECS_RUNNING_TASKS, "Minimum"), (m.ECS_DESIRED_TASKS, "Maximum")]
            ),
            _graph(
                "Worker log errors",
                [_line(logs_namespace, f.metric, {}, "Sum", f.description) for f in LOG_FILTERS],
                region,
                settings.health.log_period_minutes * 60,
            ),
            _graph(
                "Health check Lambda",
                [
                    _metric(scope, m.HEALTH_CHECK_RAN, "Sum"),
                    _metric(scope, m.HEALTH_CHECK_FAILED, "Maximum"),
                    _line("AWS/Lambda", "Errors", {"FunctionName": function_name}, "Sum"),
                    _line("AWS/Lambda", "Duration", {"FunctionName": function_name}, "Maximum"),
                ],
                region,
                period,
            ),
        ]
    }


@dataclass(frozen=True)
class DashboardArgs:
    settings: StageSettings
    connector: str
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    health_function_name: pulumi.Input[str]
    alarm_arns: Sequence[pulumi.Input[str]]


class Dashboard(pulumi.ComponentResource):
    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:dashboard:Dashboard", name, None, opts)
        body = pulumi.Output.all(
            cluster=args.cluster_name,
            service=args.service_name,
            function=args.health_function_name,
            alarms=pulumi.Output.all(*args.alarm_arns),
        ).apply(
            lambda v: json.dumps(
                dashboard_body(
                    args.settings,
                    args.connector,
                    cluster_name=v["cluster"],
                    service_name=v["service"],
                    function_name=v["function"],
                    alarm_arns=v["alarms"],
                )
            )
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=aws_name(args.settings.stage, "dashboard"),
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name})

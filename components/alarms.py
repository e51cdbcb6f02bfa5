"""Alarms to the alerts topic (alarm and OK actions): every health signal, replication lag, the health Lambda's
errors and its silence, and metric filters on the worker's log for Oracle and connection errors.

The specs are plain data (`health_alarm_specs`, `LOG_FILTERS`) so the dashboard and the tests read the same
list the component creates. Names are `wms-connector-<stage>-<what>`; thresholds come from the stage settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.log_filters import LOG_FILTERS, LogFilter
from wms_connector.aws_names import aws_name
from wms_connector.health import metric_names as m
from wms_connector.health_policy import DATABASE_CLOCK_SKEW_ALARM_MS
from wms_connector.settings import StageSettings

NOT_BREACHING = "notBreaching"
BREACHING = "breaching"


@dataclass(frozen=True)
class AlarmSpec:
    key: str  # the alarm name's suffix
    description: str
    namespace: str
    metric: str
    dimensions: dict[str, pulumi.Input[str]]
    statistic: str
    period_seconds: int
    evaluation_periods: int
    threshold: float
    comparison: str
    treat_missing_data: str = NOT_BREACHING
    datapoints_to_alarm: int | None = None  # None: every evaluated period must breach


def _described(stage_service: str, key: str, what: str) -> str:
    return f"{stage_service}: {what}. See the runbook (docs/operations.md), alarm {key}."


def _held_through_restart_window(settings: StageSettings, period_minutes: int) -> dict[str, int]:
    """ALARM on the first breaching period; OK only once the restart window has passed without one.

    An incident repeats its symptoms with every automatic restart (restartLimit per restartWindowMinutes): held
    this way, it sends one ALARM and one OK instead of a pair per restart. Never more than a day, CloudWatch's
    limit for how far an alarm looks back."""
    return {
        "evaluation_periods": max(1, settings.health.restart_window_minutes // period_minutes),
        "datapoints_to_alarm": 1,
    }


def _runs_covering_two_heartbeats(settings: StageSettings) -> int:
    """Consecutive stalled runs before TopicOffsetsStalled fires: runs closer together than the heartbeat interval
    can both see a healthy, quiet connector write nothing; two heartbeat intervals without a write cannot."""
    run_ms = settings.health.schedule_minutes * 60_000
    return max(1, math.ceil(2 * settings.connector.options.heartbeat_interval_ms / run_ms))


def health_alarm_specs(settings: StageSettings, connector: str) -> list[AlarmSpec]:
    """Alarms on the metrics the health check publishes (each run publishes 0 or 1 for every signal)."""
    stage, health = settings.stage, settings.health
    scope = m.MetricScope.for_stage(stage, connector)

    def spec(key: str, metric: str, what: str, **rule) -> AlarmSpec:
        rule = {
            "statistic": "Maximum",
            "period_seconds": health.schedule_minutes * 60,
            "evaluation_periods": 1,
            "threshold": 1,
            "comparison": "GreaterThanOrEqualToThreshold",
            **rule,
        }
        return AlarmSpec(
            key=key,
            description=_described(stage.service_name, key, what),
            namespace=scope.namespace,
            metric=metric,
            dimensions=scope.dimensions(metric),
            **rule,
        )

    rules = {
        m.AUTO_RESTART_ATTEMPTED: _held_through_restart_window(settings, health.schedule_minutes),
        m.TOPIC_OFFSETS_STALLED: {"evaluation_periods": _runs_covering_two_heartbeats(settings)},
    }
    specs = [
        spec(name, name, meaning.format(**vars(health)), **rules.get(name, {}))
        for name, (meaning, _) in m.ALARMED_SIGNALS.items()
    ]
    specs.append(
        spec(
            "ReplicationLag",
            m.REPLICATION_LAG_MS,
            f"Debezium is more than {health.lag_threshold_ms} ms behind the database for {health.lag_periods} "
            "checks in a row",
            evaluation_periods=health.lag_periods,
            threshold=health.lag_threshold_ms,
            comparison="GreaterThanThreshold",
        )
    )
    specs.append(
        spec(
            "SourceDisconnected",
            m.SOURCE_CONNECTED,
            f"Debezium is not streaming from the database (its streaming source stopped or never started: it "
            f"retries a failed start while the task shows RUNNING), for {health.disconnected_periods} checks in a "
            "row; a connection that hangs while streaming shows as CaptureStale instead",
            statistic="Minimum",
            evaluation_periods=health.disconnected_periods,
            comparison="LessThanThreshold",
        )
    )
    specs.extend(capture_alarm_specs(settings, spec))
    specs.append(
        spec(
            "HealthCheckNotRunning",
            m.HEALTH_CHECK_RAN,
            f"the health check has not reported for {health.missing_runs} scheduled runs; nothing is watching "
            "the connector",
            statistic="Sum",
            evaluation_periods=health.missing_runs,
            comparison="LessThanThreshold",
            # No data is exactly the failure this alarm exists for.
            treat_missing_data=BREACHING,
        )
    )
    return specs


def capture_alarm_specs(settings: StageSettings, spec) -> list[AlarmSpec]:
    """Oracle-aware capture health: the warnings that come before data is at risk."""
    capture = settings.capture
    specs = []
    if settings.connector.options.heartbeat_table:
        specs.append(
            spec(
                "CaptureStale",
                m.CAPTURE_FRESHNESS_MS,
                f"the newest heartbeat commit that reached Kafka is over {capture.freshness_threshold_ms} ms old "
                f"for {capture.freshness_alarm_periods} checks in a row: Oracle -> LogMiner -> Kafka is not "
                "delivering, whatever the connector's state says",
                threshold=capture.freshness_threshold_ms,
                comparison="GreaterThanThreshold",
                evaluation_periods=capture.freshness_alarm_periods,
                # A run that finds no heartbeat event publishes nothing: that is the failure itself.
                treat_missing_data=BREACHING,
            )
        )
        specs += [
            spec(
                "TopicsWrittenByAnotherStage",
                m.TOPICS_WRITTEN_BY_ANOTHER_STAGE,
                "another stage's connector wrote into this stage's heartbeat topic (the run summary's "
                "capture.topicsWrittenByStages names it): two stages write the same topics on one Kafka cluster, and "
                "consumers read both stages' rows",
            ),
            spec(
                "DatabaseClockSkew",
                m.DATABASE_CLOCK_SKEW_MS,
                f"the database's clock is more than {DATABASE_CLOCK_SKEW_ALARM_MS // 60_000} minutes off the "
                "workers' (the run summary's capture.databaseClock says which way): source.ts_ms in every event "
                "is that far off",
                threshold=DATABASE_CLOCK_SKEW_ALARM_MS,
                comparison="GreaterThanThreshold",
            ),
        ]
    specs += [
        spec(
            "ArchiveLogRunway",
            m.ARCHIVE_LOG_RUNWAY_USED_PERCENT,
            f"a restart would read back more than {capture.runway_alarm_percent}% of the "
            f"{capture.archive_log_retention_hours} h the database keeps archive logs (the run summary says how "
            "many hours are left before a full re-snapshot is the only way back)",
            threshold=capture.runway_alarm_percent,
        ),
        spec(
            "HeapHigh",
            m.HEAP_USED_PERCENT,
            f"the worker's heap is above {capture.heap_alarm_percent}% for {capture.heap_alarm_periods} checks "
            "in a row (a large or long transaction in the buffer)",
            threshold=capture.heap_alarm_percent,
            comparison="GreaterThanThreshold",
            evaluation_periods=capture.heap_alarm_periods,
        ),
        # On growth between runs, not on the count: the count stays up until the task restarts, so an alarm on it
        # would stay in ALARM and say nothing of the next one.
        spec("OversizedTransactions", m.OVERSIZED_TRANSACTION_GROWTH,
             "LogMiner skipped a transaction larger than its buffer threshold since the last check: its events are "
             "lost"),
        spec("CaptureErrors", m.CAPTURE_ERROR_GROWTH, "Debezium's error count grew since the last check"),
    ]
    if capture.database_probe:
        specs += [
            spec("SupplementalLoggingDropped", m.SUPPLEMENTAL_LOGGING_DROPPED,
                 "supplemental logging is no longer in place (the database level, or ALL COLUMNS on a captured "
                 "table, per the run summary's capture.database): Debezium checks it only when streaming starts, so "
                 "changes are being captured without their unchanged columns, or not at all"),
            spec("ArchiveLogModeOff", m.ARCHIVELOG_MODE_OFF,
                 "the database is not in ARCHIVELOG mode: redo is overwritten before LogMiner reads it"),
            spec("RestartPositionLogGone", m.RESTART_POSITION_LOG_GONE,
                 "the log holding the position a restart would read from is no longer on disk: the next restart "
                 "fails (or, with when_needed, snapshots again)"),
        ]
    if capture.pga_alarm_bytes:
        specs.append(
            spec(
                "MiningPgaHigh",
                m.MINING_PGA_BYTES,
                f"LogMiner's session PGA is above {capture.pga_alarm_bytes} bytes (ORA-04036 comes next)",
                threshold=capture.pga_alarm_bytes,
                comparison="GreaterThanThreshold",
            )
        )
    return specs


def log_alarm_spec(settings: StageSettings, log_filter: LogFilter) -> AlarmSpec:
    health, stage = settings.health, settings.stage
    threshold = getattr(health, log_filter.threshold_setting) if log_filter.threshold_setting else 1
    minutes = health.log_period_minutes
    return AlarmSpec(
        key=log_filter.metric,
        description=_described(
            stage.service_name,
            log_filter.metric,
            f"{log_filter.description}, at least {threshold} in {minutes} min "
            f"(OK after {health.restart_window_minutes} min without)",
        ),
        namespace=m.log_metrics_namespace(stage),
        metric=log_filter.metric,
        dimensions={},
        statistic="Sum",
        period_seconds=minutes * 60,
        threshold=threshold,
        comparison="GreaterThanOrEqualToThreshold",
        **_held_through_restart_window(settings, minutes),
    )


def lambda_errors_spec(settings: StageSettings, function_name: pulumi.Input[str]) -> AlarmSpec:
    key = "HealthLambdaErrors"
    return AlarmSpec(
        key=key,
        description=_described(
            settings.stage.service_name,
            key,
            "the health-check Lambda failed (bad environment, metrics not published, crash)",
        ),
        namespace="AWS/Lambda",
        metric="Errors",
        dimensions={"FunctionName": function_name},
        statistic="Sum",
        period_seconds=settings.health.schedule_minutes * 60,
        evaluation_periods=1,
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
    )


def all_alarm_specs(
    settings: StageSettings, connector: str, health_function_name: pulumi.Input[str]
) -> list[AlarmSpec]:
    """Every alarm of a stage, in the order the component creates them (docs/operations.md's threshold table too)."""
    return [
        *health_alarm_specs(settings, connector),
        *(log_alarm_spec(settings, log_filter) for log_filter in LOG_FILTERS),
        lambda_errors_spec(settings, health_function_name),
    ]


@dataclass(frozen=True)
class AlarmsArgs:
    settings: StageSettings
    connector: str
    topic_arn: pulumi.Input[str]
    health_function_name: pulumi.Input[str]
    worker_log_group_name: pulumi.Input[str]


class Alarms(pulumi.ComponentResource):
    """Exposes `alarms` (key -> MetricAlarm) and `metric_filters` (key -> LogMetricFilter)."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:alarms:Alarms", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.metric_filters: dict[str, aws.cloudwatch.LogMetricFilter] = {}

        for log_filter in LOG_FILTERS:
            self.metric_filters[log_filter.key] = aws.cloudwatch.LogMetricFilter(
                f"{name}-filter-{log_filter.key}",
                name=aws_name(settings.stage, "alarm", log_filter.key),
                log_group_name=args.worker_log_group_name,
                pattern=log_filter.pattern,
                metric_transformation={
                    "name": log_filter.metric,
                    "namespace": m.log_metrics_namespace(settings.stage),
                    "value": "1",
                    "default_value": "0",
                    "unit": "Count",
                },
                opts=self._child,
            )
        for spec in all_alarm_specs(settings, args.connector, args.health_function_name):
            self._alarm(settings, spec, args.topic_arn)

        self.register_outputs({"alarmNames": [alarm.name for alarm in self.alarms.values()]})

    def _alarm(self, settings: StageSettings, spec: AlarmSpec, topic_arn: pulumi.Input[str]) -> None:
        self.alarms[spec.key] = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{spec.key}",
            name=aws_name(settings.stage, "alarm", spec.key),
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric,
            dimensions=spec.dimensions,
            statistic=spec.statistic,
            period=spec.period_seconds,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm or spec.evaluation_periods,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            treat_missing_data=spec.treat_missing_data,
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=self._child,
        )

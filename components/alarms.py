"""Alarms to the alerts topic (alarm and OK actions): every health signal, replication lag, the health Lambda's
errors and its silence, and metric filters on the worker's log for Oracle and connection errors.

The specs are plain data (`health_alarm_specs`, `LOG_FILTERS`) so the dashboard and the tests read the same
list the component creates. Names are `wms-connector-<stage>-<what>`; thresholds come from the stage settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from wms_connector.aws_names import aws_name
from wms_connector.health import metric_names as m
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


@dataclass(frozen=True)
class LogFilter:
    key: str
    description: str
    pattern: str  # CloudWatch Logs filter pattern
    metric: str
    threshold_setting: str | None = None  # Health field with the threshold; None means any occurrence


LOG_FILTERS = (
    LogFilter("oracle-errors", "Oracle errors (ORA-) in the Kafka Connect log", '"ORA-"', "OracleErrors"),
    LogFilter(
        "connection-errors",
        "ConnectException or SQLException in the Kafka Connect log",
        "?ConnectException ?SQLException",
        "ConnectionErrors",
    ),
    LogFilter(
        "unknown-topic",
        "UNKNOWN_TOPIC_OR_PARTITION in the Kafka Connect log",
        '"UNKNOWN_TOPIC_OR_PARTITION"',
        "UnknownTopicOrPartition",
        threshold_setting="unknown_topic_threshold",
    ),
)


def health_alarm_specs(settings: StageSettings, connector: str) -> list[AlarmSpec]:
    """Alarms on the metrics the health check publishes (each run publishes 0 or 1 for every signal)."""
    stage, health = settings.stage, settings.health
    scope = m.MetricScope.for_stage(stage, connector)
    period = health.schedule_minutes * 60
    specs = [
        AlarmSpec(
            key=name,
            description=f"{stage.service_name}: {meaning}. See the README runbook, alarm {name}.",
            namespace=scope.namespace,
            metric=name,
            dimensions=scope.dimensions(name),
            statistic="Maximum",
            period_seconds=period,
            evaluation_periods=1,
            threshold=1,
            comparison="GreaterThanOrEqualToThreshold",
        )
        for name, (meaning, _) in m.ALARMED_SIGNALS.items()
    ]
    specs.append(
        AlarmSpec(
            key="ReplicationLag",
            description=(
                f"{stage.service_name}: Debezium is more than {health.lag_threshold_ms} ms behind the database "
                f"for {health.lag_periods} checks in a row. See the README runbook, alarm ReplicationLag."
            ),
            namespace=scope.namespace,
            metric=m.REPLICATION_LAG_MS,
            dimensions=scope.dimensions(m.REPLICATION_LAG_MS),
            statistic="Maximum",
            period_seconds=period,
            evaluation_periods=health.lag_periods,
            threshold=health.lag_threshold_ms,
            comparison="GreaterThanThreshold",
        )
    )
    specs.append(
        AlarmSpec(
            key="SourceDisconnected",
            description=(
                f"{stage.service_name}: Debezium reports no connection to the database for 2 checks in a row. "
                "See the README runbook, alarm SourceDisconnected."
            ),
            namespace=scope.namespace,
            metric=m.SOURCE_CONNECTED,
            dimensions=scope.dimensions(m.SOURCE_CONNECTED),
            statistic="Minimum",
            period_seconds=period,
            evaluation_periods=2,
            threshold=1,
            comparison="LessThanThreshold",
        )
    )
    specs.append(
        AlarmSpec(
            key="HealthCheckNotRunning",
            description=(
                f"{stage.service_name}: the health check has not reported for {health.missing_runs} scheduled "
                "runs; nothing is watching the connector. See the README runbook, alarm HealthCheckNotRunning."
            ),
            namespace=scope.namespace,
            metric=m.HEALTH_CHECK_RAN,
            dimensions=scope.dimensions(m.HEALTH_CHECK_RAN),
            statistic="Sum",
            period_seconds=period,
            evaluation_periods=health.missing_runs,
            threshold=1,
            comparison="LessThanThreshold",
            # No data is exactly the failure this alarm exists for.
            treat_missing_data=BREACHING,
        )
    )
    return specs


def log_alarm_spec(settings: StageSettings, log_filter: LogFilter) -> AlarmSpec:
    health, stage = settings.health, settings.stage
    threshold = getattr(health, log_filter.threshold_setting) if log_filter.threshold_setting else 1
    minutes = health.log_period_minutes
    return AlarmSpec(
        key=log_filter.metric,
        description=(
            f"{stage.service_name}: {log_filter.description}, at least {threshold} in {minutes} min. "
            f"See the README runbook, alarm {log_filter.metric}."
        ),
        namespace=m.log_metrics_namespace(stage),
        metric=log_filter.metric,
        dimensions={},
        statistic="Sum",
        period_seconds=minutes * 60,
        evaluation_periods=1,
        threshold=threshold,
        comparison="GreaterThanOrEqualToThreshold",
    )


def lambda_errors_spec(settings: StageSettings, function_name: pulumi.Input[str]) -> AlarmSpec:
    stage = settings.stage
    return AlarmSpec(
        key="HealthLambdaErrors",
        description=(
            f"{stage.service_name}: the health-check Lambda failed (bad environment, metrics not published, "
            "crash). See the README runbook, alarm HealthLambdaErrors."
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

        for spec in health_alarm_specs(settings, args.connector):
            self._alarm(settings, spec, args.topic_arn)

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
            self._alarm(settings, log_alarm_spec(settings, log_filter), args.topic_arn)

        self._alarm(settings, lambda_errors_spec(settings, args.health_function_name), args.topic_arn)

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
            datapoints_to_alarm=spec.evaluation_periods,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            treat_missing_data=spec.treat_missing_data,
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=self._child,
        )

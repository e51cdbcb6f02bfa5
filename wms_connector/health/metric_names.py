"""Every CloudWatch metric the health check publishes, in one place: the runner emits these, the alarms and the
dashboard read them.

Namespace `wms-connector-<stage>/Health`. Every datum has the `Stage` dimension; those about the connector also
have `Connector`. The first eight names are the existing system's, kept so its alarms and habits carry over.
"""

from __future__ import annotations

from dataclasses import dataclass

from wms_connector.stages import Stage

# Count-style signals: 1 when the condition holds on this run, else 0 (published every run, so alarms see
# a steady 0 rather than missing data while healthy).
CONNECT_API_UNREACHABLE = "ConnectApiUnreachable"
CONNECTOR_STATE_FAILED = "ConnectorStateFailed"
CONNECTOR_TASK_FAILED = "ConnectorTaskFailed"
ECS_SERVICE_UNHEALTHY = "EcsServiceUnhealthy"
DB_TCP_UNREACHABLE = "DbTcpUnreachable"
HEALTH_CHECK_FAILED = "HealthCheckFailed"
AUTO_RESTART_ATTEMPTED = "AutoRestartAttempted"
AUTO_RESTART_BUDGET_EXCEEDED = "AutoRestartBudgetExceeded"
# Reconciliation: the live connector differs from the declared one (missing, config, state); a run repaired it.
CONNECTOR_DRIFT = "ConnectorDrift"
CONNECTOR_REPAIRED = "ConnectorRepaired"

CONNECTOR_MISSING = "ConnectorMissing"
# Connector or a task in a non-RUNNING, non-FAILED state (UNASSIGNED, RESTARTING, PAUSED, ...) for 3+ runs.
CONNECTOR_NOT_RUNNING = "ConnectorNotRunning"
TOPIC_OFFSETS_STALLED = "TopicOffsetsStalled"
AUTO_RESTART_HELPED = "AutoRestartHelped"
AUTO_RESTART_NOT_HELPED = "AutoRestartNotHelped"
# Published once per run whatever happens; its absence means the check itself is not running.
HEALTH_CHECK_RAN = "HealthCheckRan"
# 1 while someone holds the connector (wms_connector/holds.py): the run then neither restarts nor repairs.
CONNECTOR_HELD = "ConnectorHeld"
HOLD_MINUTES_LEFT = "HoldMinutesLeft"

# Gauges.
REPLICATION_LAG_MS = "ReplicationLagMs"  # Debezium MilliSecondsBehindSource
# Debezium `Connected`: 1 or 0. ChangeEventSourceCoordinator.streamingConnected sets it when streaming starts and
# ends, not from the connection itself: a connection that hangs mid-stream keeps it at 1 (freshness sees that).
SOURCE_CONNECTED = "SourceConnected"
MS_SINCE_LAST_EVENT = "MsSinceLastEvent"  # Debezium MilliSecondsSinceLastEvent
SNAPSHOT_RUNNING = "SnapshotRunning"
SNAPSHOT_TABLES_REMAINING = "SnapshotTablesRemaining"
EVENTS_CAPTURED = "EventsCaptured"  # growth of the data topics' end offsets since the last run

# Oracle-aware capture health (gauges; published when known).
CAPTURE_FRESHNESS_MS = "CaptureFreshnessMs"  # how far behind the database the newest heartbeat reached Kafka
DATABASE_CLOCK_SKEW_MS = "DatabaseClockSkewMs"  # how far the database's clock is off the worker's, either way
# 1 when a record in this stage's heartbeat-table topic was written by another stage's connector (freshness.py).
TOPICS_WRITTEN_BY_ANOTHER_STAGE = "TopicsWrittenByAnotherStage"
RESTART_READ_BACK_HOURS = "RestartReadBackHours"  # how far back a restart would read the redo
ARCHIVE_LOG_RUNWAY_USED_PERCENT = "ArchiveLogRunwayUsedPercent"  # that, as a share of the archive-log retention
ARCHIVE_LOG_RUNWAY_HOURS_LEFT = "ArchiveLogRunwayHoursLeft"  # before a full re-snapshot is the only way back
# CurrentScn - OffsetScn, and at the pace of the last runs when capture will have caught up (catch_up.py).
SCN_LAG = "ScnLag"
CATCH_UP_ESTIMATE_MINUTES = "CatchUpEstimateMinutes"
ACTIVE_TRANSACTIONS = "ActiveTransactions"
OVERSIZED_TRANSACTIONS = "OversizedTransactions"
# Debezium's AbandonedTransactionCount is the size of an LRU set of the last 10 abandoned ids
# (LogMinerStreamingChangeEventSourceMetrics): shown, never alarmed; the log filter counts each one.
ABANDONED_TRANSACTIONS = "AbandonedTransactions"
SCN_FREEZE_COUNT = "ScnFreezeCount"
MINING_PGA_BYTES = "MiningSessionPgaBytes"
HEAP_USED_PERCENT = "HeapUsedPercent"  # the worker's JVM heap
SCHEMA_PARSE_ERRORS = "SchemaChangeParseErrors"
CAPTURE_WARNINGS = "CaptureWarningCount"
CAPTURE_ERRORS = "CaptureErrorCount"
# Growth since the last run of counters that only grow while the task runs (a task restart resets them).
UNPARSABLE_DDL_GROWTH = "UnparsableDdlGrowth"
CAPTURE_ERROR_GROWTH = "CaptureErrorGrowth"
OVERSIZED_TRANSACTION_GROWTH = "OversizedTransactionGrowth"
# The database probe (wms_connector/preflight/probe.py), each 1 or 0, published when the probe answered.
SUPPLEMENTAL_LOGGING_DROPPED = "SupplementalLoggingDropped"
ARCHIVELOG_MODE_OFF = "ArchiveLogModeOff"
RESTART_POSITION_LOG_GONE = "RestartPositionLogGone"
ARCHIVE_LOGS_ON_DISK_HOURS = "ArchiveLogsOnDiskHours"  # how old the oldest archive log still on disk is
DATABASE_PROBE_MS = "DatabaseProbeMs"  # what the probe cost, connection included
RESTART_BUDGET_REMAINING = "RestartBudgetRemaining"
ECS_RUNNING_TASKS = "EcsRunningTasks"
ECS_DESIRED_TASKS = "EcsDesiredTasks"

COUNT = "Count"
MILLISECONDS = "Milliseconds"

PERCENT = "Percent"
BYTES = "Bytes"

UNITS: dict[str, str] = {
    REPLICATION_LAG_MS: MILLISECONDS,
    MS_SINCE_LAST_EVENT: MILLISECONDS,
    CAPTURE_FRESHNESS_MS: MILLISECONDS,
    DATABASE_CLOCK_SKEW_MS: MILLISECONDS,
    DATABASE_PROBE_MS: MILLISECONDS,
    ARCHIVE_LOG_RUNWAY_USED_PERCENT: PERCENT,
    HEAP_USED_PERCENT: PERCENT,
    MINING_PGA_BYTES: BYTES,
}

# The alarmed signals: name -> (what it means, whether it carries the Connector dimension). A `{field}` in a
# meaning is the stage's health setting of that name (components/alarms.py fills it in).
ALARMED_SIGNALS: dict[str, tuple[str, bool]] = {
    CONNECT_API_UNREACHABLE: ("the Kafka Connect REST API did not answer, or answered with 5xx", False),
    CONNECTOR_MISSING: ("the connector is not registered on the Connect cluster", True),
    CONNECTOR_STATE_FAILED: ("the connector is FAILED", True),
    CONNECTOR_TASK_FAILED: ("at least one connector task is FAILED", True),
    CONNECTOR_NOT_RUNNING: (
        "the connector or a task has been neither RUNNING nor FAILED for {not_running_runs} checks in a row",
        True,
    ),
    ECS_SERVICE_UNHEALTHY: ("fewer Connect tasks are running than desired", False),
    DB_TCP_UNREACHABLE: ("no TCP connection to the Oracle listener from the VPC", False),
    TOPIC_OFFSETS_STALLED: ("neither the data nor the heartbeat topics grew since the last check", True),
    HEALTH_CHECK_FAILED: ("the health check could not complete one of its checks", False),
    AUTO_RESTART_ATTEMPTED: ("the check restarted the connector, its tasks or the Connect service", True),
    AUTO_RESTART_BUDGET_EXCEEDED: ("a restart was needed but the restart budget is spent", True),
    CONNECTOR_DRIFT: (
        "the live connector is missing or differs from the declared one (config or state) and was not put back",
        True,
    ),
}

CONNECTOR_SCOPED = {name for name, (_, scoped) in ALARMED_SIGNALS.items() if scoped} | {
    CONNECTOR_REPAIRED,
    CONNECTOR_HELD,
    HOLD_MINUTES_LEFT,
    AUTO_RESTART_HELPED,
    AUTO_RESTART_NOT_HELPED,
    REPLICATION_LAG_MS,
    SOURCE_CONNECTED,
    MS_SINCE_LAST_EVENT,
    SNAPSHOT_RUNNING,
    SNAPSHOT_TABLES_REMAINING,
    EVENTS_CAPTURED,
    RESTART_BUDGET_REMAINING,
    CAPTURE_FRESHNESS_MS,
    DATABASE_CLOCK_SKEW_MS,
    TOPICS_WRITTEN_BY_ANOTHER_STAGE,
    RESTART_READ_BACK_HOURS,
    ARCHIVE_LOG_RUNWAY_USED_PERCENT,
    ARCHIVE_LOG_RUNWAY_HOURS_LEFT,
    SCN_LAG,
    CATCH_UP_ESTIMATE_MINUTES,
    RESTART_POSITION_LOG_GONE,
    ACTIVE_TRANSACTIONS,
    OVERSIZED_TRANSACTIONS,
    ABANDONED_TRANSACTIONS,
    SCN_FREEZE_COUNT,
    MINING_PGA_BYTES,
    SCHEMA_PARSE_ERRORS,
    CAPTURE_WARNINGS,
    CAPTURE_ERRORS,
    UNPARSABLE_DDL_GROWTH,
    CAPTURE_ERROR_GROWTH,
    OVERSIZED_TRANSACTION_GROWTH,
}


@dataclass(frozen=True)
class MetricScope:
    """Where a stage's health metrics live and which dimensions each carries."""

    namespace: str
    stage: str
    connector: str

    @classmethod
    def for_stage(cls, stage: Stage, connector: str) -> MetricScope:
        return cls(namespace=f"{stage.service_name}/Health", stage=stage.name, connector=connector)

    def dimensions(self, metric: str) -> dict[str, str]:
        dims = {"Stage": self.stage}
        if metric in CONNECTOR_SCOPED:
            dims["Connector"] = self.connector
        return dims


def log_metrics_namespace(stage: Stage) -> str:
    """Namespace of the metric filters on the worker's log group."""
    return f"{stage.service_name}/ConnectorLogs"

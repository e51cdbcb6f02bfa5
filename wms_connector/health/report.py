"""What one run found, as data, and the metric values that follow from it.

Pure functions over the findings: the runner fills a `RunReport`, `signals` turns it into one value per metric,
`problems` names what is wrong. The alarms read the same names (metric_names.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wms_connector.health import metric_names as m
from wms_connector.health.catch_up import CatchUp
from wms_connector.health.checks.capture import CaptureFindings, not_started
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.checks.database import DbFindings
from wms_connector.health.checks.ecs_service import EcsFindings
from wms_connector.health.checks.freshness import FreshnessFindings
from wms_connector.health.checks.topics import TopicFindings
from wms_connector.health.reconcile import ReconcileReport
from wms_connector.health.run_state import is_sustained_not_running
from wms_connector.health.runway import RunwayFindings
from wms_connector.health_policy import DEFAULT_NOT_RUNNING_RUNS
from wms_connector.holds import Hold
from wms_connector.preflight.probe import ProbeFindings


@dataclass
class RestartReport:
    needed: str | None = None
    action: str | None = None
    granted: bool | None = None
    done: bool = False
    held_back: str | None = None
    error: str | None = None
    budget_remaining: int | None = None
    next_free_at_ms: int | None = None
    # Set when the restart waits out the backoff after restarts that did not help, not for a spent budget.
    backoff_until_ms: int | None = None
    previous_outcome: str | None = None


@dataclass
class RunReport:
    connect: ConnectFindings
    ecs: EcsFindings
    db: DbFindings
    capture: CaptureFindings | None
    topics: TopicFindings | None
    not_running_streak: int
    restart: RestartReport
    not_running_runs: int = DEFAULT_NOT_RUNNING_RUNS  # the stage's notRunningRuns
    freshness: FreshnessFindings | None = None
    runway: RunwayFindings | None = None
    catch_up: CatchUp | None = None
    probe: ProbeFindings | None = None
    growth: dict[str, float] = field(default_factory=dict)  # metric name -> growth of a Debezium counter
    reconcile: ReconcileReport = field(default_factory=ReconcileReport)
    errors: dict[str, str] = field(default_factory=dict)
    hold: Hold | None = None  # the hold in force during the run
    now_ms: int = 0


def _connect_signals(
    connect: ConnectFindings, streak: int, runs: int, reconcile: ReconcileReport
) -> dict[str, float]:
    repaired = bool(reconcile.repaired) and reconcile.error is None
    return {
        m.CONNECT_API_UNREACHABLE: int(not connect.reachable),
        # A connector the run registered again is reported as repaired, not missing (one page per incident).
        m.CONNECTOR_MISSING: int(connect.missing and not repaired),
        m.CONNECTOR_DRIFT: int(reconcile.drift.found and not repaired),
        m.CONNECTOR_REPAIRED: int(repaired),
        m.CONNECTOR_STATE_FAILED: int(connect.connector_failed),
        m.CONNECTOR_TASK_FAILED: int(bool(connect.failed_tasks)),
        m.CONNECTOR_NOT_RUNNING: int(is_sustained_not_running(streak, runs)),
    }


def _ecs_signals(ecs: EcsFindings) -> dict[str, float]:
    # An ECS API failure says nothing about the service: it is the check's own trouble (HealthCheckFailed).
    values: dict[str, float] = {} if ecs.unknown else {m.ECS_SERVICE_UNHEALTHY: int(not ecs.healthy)}
    if ecs.desired is not None:
        values[m.ECS_DESIRED_TASKS] = ecs.desired
        values[m.ECS_RUNNING_TASKS] = ecs.running or 0
    return values


def _capture_signals(capture: CaptureFindings | None, topics: TopicFindings | None) -> dict[str, float]:
    values: dict[str, float] = {}
    if capture:
        optional = {
            m.REPLICATION_LAG_MS: capture.lag_ms,
            m.SOURCE_CONNECTED: None if capture.connected is None else int(capture.connected),
            m.MS_SINCE_LAST_EVENT: capture.ms_since_last_event,
            m.SNAPSHOT_RUNNING: None if capture.snapshot_running is None else int(capture.snapshot_running),
            m.SNAPSHOT_TABLES_REMAINING: capture.snapshot_tables_remaining,
            m.ACTIVE_TRANSACTIONS: capture.active_transactions,
            m.OVERSIZED_TRANSACTIONS: capture.oversized_transactions,
            m.ABANDONED_TRANSACTIONS: capture.abandoned_transactions,
            m.SCN_FREEZE_COUNT: capture.scn_freeze_count,
            m.MINING_PGA_BYTES: capture.pga_bytes,
            m.HEAP_USED_PERCENT: capture.heap_used_percent,
            m.SCHEMA_PARSE_ERRORS: capture.schema_parse_errors,
            m.CAPTURE_WARNINGS: capture.warning_count,
            m.CAPTURE_ERRORS: capture.error_count,
        }
        values.update({k: v for k, v in optional.items() if v is not None})
    if topics and topics.stalled is not None:
        values[m.TOPIC_OFFSETS_STALLED] = int(topics.stalled)
    if topics and topics.events_captured is not None:
        values[m.EVENTS_CAPTURED] = topics.events_captured
    return values


def _oracle_signals(report: RunReport) -> dict[str, float]:
    values: dict[str, float] = dict(report.growth)
    freshness = report.freshness
    if freshness and freshness.age_ms is not None:
        values[m.CAPTURE_FRESHNESS_MS] = freshness.age_ms
    if freshness and freshness.db_clock_ahead_ms is not None:
        values[m.DATABASE_CLOCK_SKEW_MS] = abs(freshness.db_clock_ahead_ms)
    if freshness and freshness.topic_read:
        values[m.TOPICS_WRITTEN_BY_ANOTHER_STAGE] = int(bool(freshness.foreign_writers))
    runway = report.runway
    if runway and runway.read_back_ms is not None:
        values[m.RESTART_READ_BACK_HOURS] = round(runway.read_back_ms / 3_600_000, 3)
        values[m.ARCHIVE_LOG_RUNWAY_USED_PERCENT] = round(runway.used_percent, 2)
        values[m.ARCHIVE_LOG_RUNWAY_HOURS_LEFT] = round(runway.hours_left, 3)
    values.update(_probe_signals(report.probe))
    catching = report.catch_up
    if catching and catching.scn_lag is not None:
        values[m.SCN_LAG] = catching.scn_lag
    if catching and catching.eta_ms is not None:
        values[m.CATCH_UP_ESTIMATE_MINUTES] = round(catching.eta_ms / 60_000, 1)
    return values


def _probe_signals(probe: ProbeFindings | None) -> dict[str, float]:
    if probe is None:
        return {}
    values: dict[str, float] = {m.DATABASE_PROBE_MS: round(probe.seconds * 1000)}
    if probe.error:
        return values
    values[m.SUPPLEMENTAL_LOGGING_DROPPED] = int(bool(probe.supplemental_logging_dropped))
    values[m.ARCHIVELOG_MODE_OFF] = int(probe.archivelog is False)
    if probe.position_gone is not None:
        values[m.RESTART_POSITION_LOG_GONE] = int(probe.position_gone)
    if probe.on_disk_hours is not None:
        values[m.ARCHIVE_LOGS_ON_DISK_HOURS] = round(probe.on_disk_hours, 2)
    return values


def _restart_signals(restart: RestartReport) -> dict[str, float]:
    values: dict[str, float] = {
        m.AUTO_RESTART_ATTEMPTED: int(bool(restart.granted)),
        # Waiting out the backoff is not a spent budget (AutoRestartNotHelped already says restarts do not help).
        m.AUTO_RESTART_BUDGET_EXCEEDED: int(restart.granted is False and restart.backoff_until_ms is None),
    }
    if restart.budget_remaining is not None:
        values[m.RESTART_BUDGET_REMAINING] = restart.budget_remaining
    if restart.previous_outcome is not None:
        helped = restart.previous_outcome == "helped"
        values[m.AUTO_RESTART_HELPED] = int(helped)
        values[m.AUTO_RESTART_NOT_HELPED] = int(not helped)
    return values


def signals(report: RunReport) -> dict[str, float]:
    """Every metric value of the run; HealthCheckFailed and HealthCheckRan included."""
    values = {
        **_connect_signals(report.connect, report.not_running_streak, report.not_running_runs, report.reconcile),
        **_ecs_signals(report.ecs),
        **_capture_signals(report.capture, report.topics),
        **({m.SOURCE_CONNECTED: 0} if not_started(report.connect, report.capture) else {}),
        **_restart_signals(report.restart),
        **_oracle_signals(report),
        m.CONNECTOR_HELD: int(report.hold is not None),
    }
    if report.hold is not None:
        values[m.HOLD_MINUTES_LEFT] = max(0, (report.hold.expires_at_ms - report.now_ms) // 60000)
    if report.db.reachable is not None:
        values[m.DB_TCP_UNREACHABLE] = int(not report.db.reachable)
    # Only the check's own trouble: each problem it finds already has its own alarm, and one incident
    # should page once, not twice.
    values[m.HEALTH_CHECK_FAILED] = int(bool(unexplained_errors(report)))
    values[m.HEALTH_CHECK_RAN] = 1
    return values


def problems(values: dict[str, float]) -> list[str]:
    found = [
        name
        for name in m.ALARMED_SIGNALS
        if name not in (m.HEALTH_CHECK_FAILED, m.AUTO_RESTART_ATTEMPTED) and values.get(name, 0) >= 1
    ]
    if values.get(m.SOURCE_CONNECTED) == 0:
        found.append("SourceDisconnected")
    return found


def unexplained_errors(report: RunReport) -> dict[str, str]:
    """The check errors no specific signal already reports: an unreachable API or database, a missing ECS
    service, and a worker that cannot be scraped because it is down each have their own alarm."""
    errors = dict(report.errors)
    connect_down = report.connect.reachable is False
    if connect_down:
        errors.pop("connect", None)
    if report.db.reachable is False:
        errors.pop("database", None)
    if report.ecs.error and not report.ecs.unknown:
        errors.pop("ecs", None)
    if connect_down or report.ecs.running == 0:
        errors.pop("capture", None)
    return errors


def check_errors(report: RunReport) -> dict[str, str]:
    errors = {}
    for name, finding in (
        ("connect", report.connect),
        ("ecs", report.ecs),
        ("database", report.db),
        ("capture", report.capture),
        ("topics", report.topics),
    ):
        if finding is not None and finding.error:
            errors[name] = finding.error
    return errors

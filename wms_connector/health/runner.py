"""One health-check run: look at everything, restart when that can help and the budget allows, publish the
metrics, and log one JSON summary line.

Nothing here reads the environment or builds a client: the Lambda handler does that, tests pass their own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient, ConnectError
from wms_connector.connector.config_rule import ConfigRule
from wms_connector.health import metric_names as m
from wms_connector.health.catch_up import catch_up
from wms_connector.health.checks.capture import CaptureFindings, Fetch, check_capture_on_workers
from wms_connector.health.checks.connect import ConnectFindings, check_connect
from wms_connector.health.checks.database import DbFindings, Probe, check_database, probe_tcp
from wms_connector.health.checks.database_probe import DatabaseConnect, probe_database
from wms_connector.health.checks.ecs_service import EcsFindings, check_ecs_service
from wms_connector.health.checks.freshness import check_freshness
from wms_connector.health.checks.topics import ConsumerFactory, check_topics
from wms_connector.health.checks.worker_tasks import exporter_urls
from wms_connector.health.config import HealthConfig
from wms_connector.health.decision import CONNECT_RESTART, RestartNeed, restart_helped, restart_need
from wms_connector.health.metrics import publish
from wms_connector.health.reconcile import (
    Declared,
    Drift,
    ReconcileReport,
    RepairFailed,
    declared_key,
    find_drift,
    load_declared,
    repair,
)
from wms_connector.health.redeploy import force_new_deployment
from wms_connector.health.report import RestartReport, RunReport, check_errors, problems, signals
from wms_connector.health.restart_budget import Clock, RestartBudget, connector_id
from wms_connector.health.run_state import RunState, RunStateStore, next_not_running_streak
from wms_connector.health.runway import held_back_ms, is_capturing, runway, with_disk
from wms_connector.holds import Hold, HoldStore, hold_key
from wms_connector.preflight.probe import ProbeFindings
from wms_connector.redaction import redact
from wms_connector.registration import Registrar

# Debezium counters whose growth between runs is published: metric -> CaptureFindings field. Each only grows while
# the task runs and is zeroed when it starts (the metrics' reset()). An unparsable DDL statement Debezium skips is
# counted in TotalSchemaChangeParseErrorCount (OracleSchemaChangeEventEmitter); a transaction over
# log.mining.buffer.transaction.events.threshold in NumberOfOversizedTransactions
# (BufferedLogMinerStreamingChangeEventSource.abandonTransactionOverEventThreshold).
GROWING_COUNTERS = {
    m.UNPARSABLE_DDL_GROWTH: "schema_parse_errors",
    m.CAPTURE_ERROR_GROWTH: "error_count",
    m.OVERSIZED_TRANSACTION_GROWTH: "oversized_transactions",
}


def counter_growth(
    capture: CaptureFindings | None, previous: dict[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """(counters to keep, growth per metric). A counter lower than last time was reset by a task restart: all of
    it is new. Without a previous value there is nothing to compare (0)."""
    if capture is None:
        return dict(previous), {}
    counters, growth = {}, {}
    for metric, field_name in GROWING_COUNTERS.items():
        value = getattr(capture, field_name)
        if value is None:
            continue
        counters[field_name] = value
        before = previous.get(field_name)
        growth[metric] = 0 if before is None else (value - before if value >= before else value)
    return counters, growth


class HealthCheckIncomplete(RuntimeError):
    """The run could not publish its metrics; raised after the summary is logged so the Lambda counts an error."""


@dataclass
class HealthClients:
    connect: ConnectClient
    ecs: Any
    secrets: Any
    cloudwatch: Any
    table: Any  # boto3 DynamoDB Table resource
    consumer_factory: ConsumerFactory | None = None  # None: topic offsets are not checked
    fetch: Fetch | None = None  # None: the JMX exporter is not scraped
    # Registers a repaired connector whose database is unreachable (the stack's opt-in); None: Connect only.
    config_writer: ConfigTopicWriter | None = None
    db_probe: Probe = probe_tcp
    # Connects as the CDC user for the database probe (the stage's databaseProbe); None: no probe.
    database_connect: DatabaseConnect | None = None
    clock: Clock = time.time
    emit: Callable[[str], None] = print


class HealthRun:
    def __init__(self, config: HealthConfig, clients: HealthClients):
        self.config = config
        self.clients = clients
        key = connector_id(config.stage.name, config.connector)
        self.budget = RestartBudget(
            clients.table,
            key,
            limit=config.restart_limit,
            window_seconds=config.restart_window_seconds,
            clock=clients.clock,
        )
        self.state_store = RunStateStore(clients.table, key)
        self.holds = HoldStore(clients.table, hold_key(config.stage.name, config.connector), clients.clock)

    # -- steps ---------------------------------------------------------------------------------------------

    def _look(self, previous: RunState) -> tuple[ConnectFindings, EcsFindings, DbFindings, Any, Any]:
        c, cfg = self.clients, self.config
        connect = check_connect(c.connect, cfg.connector)
        ecs = check_ecs_service(c.ecs, cfg.ecs_cluster, cfg.ecs_service)
        db = check_database(c.secrets, cfg.db_secret_arn, c.db_probe)
        capture = self._capture() if c.fetch and cfg.jmx_url else None
        topics = (
            check_topics(
                c.consumer_factory,
                previous.topic_offsets if previous.last_run_ms is not None else None,
                cfg.topics.data_topics,
                cfg.topics.heartbeat_topic,
            )
            if c.consumer_factory
            else None
        )
        return connect, ecs, db, capture, topics

    def _capture(self) -> CaptureFindings:
        cfg = self.config
        try:
            urls = exporter_urls(cfg.jmx_url, self.clients.ecs, cfg.ecs_cluster, cfg.ecs_service)
        except Exception as exc:  # no task list means no scrape, not a failed run
            return CaptureFindings(error=f"could not list the worker tasks: {type(exc).__name__}: {exc}")
        return check_capture_on_workers(self.clients.fetch, urls, cfg.topics.topic_prefix)

    def _probe(self, capture: CaptureFindings | None, previous: RunState) -> ProbeFindings | None:
        cfg, c = self.config, self.clients
        if not cfg.database_probe or c.database_connect is None:
            return None
        # Where a restart would read from: Debezium's offset now, or the last one seen while it was reporting.
        restart_scn = capture.offset_scn if capture and capture.offset_scn else None
        if restart_scn is None and previous.scn_sample is not None:
            restart_scn = previous.scn_sample.offset_scn
        return probe_database(
            c.secrets, cfg.db_secret_arn, c.database_connect, use_pdb=cfg.use_pdb,
            archive_destination_name=cfg.archive_destination_name, restart_scn=restart_scn,
        )

    def _judge_previous_restart(
        self, connect: ConnectFindings, started_ms: int, report: RestartReport, declared: Declared | None
    ) -> None:
        pending = self.budget.pending()
        if pending is None or pending.at_ms >= started_ms:
            return
        helped = restart_helped(connect, declared.state if declared else None)
        if self.budget.record_outcome(pending.at_ms, helped):
            report.previous_outcome = "helped" if helped else "not_helped"

    def _reserve(self, report: RestartReport) -> bool:
        """One claim on the restart budget (a restart or a repair), its answer recorded in the run's report."""
        decision = self.budget.reserve()
        report.budget_remaining, report.next_free_at_ms = decision.remaining, decision.next_free_at_ms
        report.backoff_until_ms = decision.backoff_until_ms
        return decision.granted

    def _restart(self, need: RestartNeed, report: RestartReport) -> None:
        report.needed, report.action, report.held_back = need.reason, need.action, need.held_back
        if need.held_back:
            return
        report.granted = self._reserve(report)
        if not report.granted:
            return
        try:
            if need.action == CONNECT_RESTART:
                self.clients.connect.restart(self.config.connector, include_tasks=True, only_failed=True)
            else:
                force_new_deployment(self.clients.ecs, self.config.ecs_cluster, self.config.ecs_service)
            report.done = True
        except ConnectError as exc:
            report.error = exc.message
        except Exception as exc:  # the restart was attempted and counted; say why it did not go through
            report.error = f"{type(exc).__name__}: {exc}"

    def _drift(
        self, connect: ConnectFindings, declared: Declared | None, capture: CaptureFindings | None
    ) -> Drift:
        """The live connector against the declared one; nothing to compare while Connect is down or nothing is
        declared (a stack that has not registered the connector yet, or is being destroyed)."""
        if declared is None or not connect.reachable:
            return Drift()
        if connect.missing:
            return find_drift(declared, None, None)
        live = self.clients.connect.get_config(self.config.connector)
        return find_drift(declared, live, connect.connector_state, capture.connected if capture else None)

    def _repair(self, declared: Declared, reconcile: ReconcileReport, restart: RestartReport) -> None:
        reconcile.granted = self._reserve(restart)
        if not reconcile.granted:
            return
        rule = ConfigRule(self.config.stage, self.config.bootstrap_servers, self.config.security_protocol)
        registrar = Registrar(self.clients.connect, self.config.stage, self.clients.config_writer, rule=rule)
        try:
            reconcile.repaired = repair(registrar, self.config.connector, declared, reconcile.drift)
        except ConnectError as exc:
            reconcile.error = exc.message
        except RepairFailed as exc:
            reconcile.error = str(exc)

    # -- the run -------------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        started_ms = int(self.clients.clock() * 1000)
        errors: dict[str, str] = {}
        try:
            previous = self.state_store.load()
        except Exception as exc:  # a missing table or no permission must not stop the checks themselves
            previous, errors["state"] = RunState(), f"{type(exc).__name__}: {exc}"
        connect, ecs, db, capture, topics = self._look(previous)
        hold: Hold | None = None
        try:
            hold = self.holds.current()
        except Exception as exc:  # without the hold's answer the run acts as before: it cannot know of one
            errors["hold"] = f"{type(exc).__name__}: {exc}"
        # A held connector is where its holder put it: a paused or stopped one is not a streak towards an alarm.
        streak = 0 if hold else next_not_running_streak(previous.not_running_streak, connect.all_states)

        restart = RestartReport()
        reconcile = ReconcileReport(repair=self.config.repair_drift)
        declared = None
        try:
            declared = load_declared(self.clients.table, declared_key(self.config.stage.name, self.config.connector))
            reconcile.declared = declared is not None
            reconcile.drift = self._drift(connect, declared, capture)
        except Exception as exc:  # the restart logic still runs without the comparison
            errors["reconcile"] = f"{type(exc).__name__}: {exc}"
        try:
            self._judge_previous_restart(connect, started_ms, restart, declared)
            need = restart_need(connect, ecs)
            if hold is not None:
                # Someone holds the connector (ops, pulumi up): no restart and no repair until the hold ends.
                restart.needed, restart.held_back = need.reason if need else None, f"held by {hold.holder}"
            elif reconcile.drift.found and reconcile.repair and declared is not None:
                self._repair(declared, reconcile, restart)  # a repair (re-register, re-apply) is this run's action
            elif need:
                self._restart(need, restart)
            if restart.budget_remaining is None:
                restart.budget_remaining = self.budget.remaining()
        except Exception as exc:
            errors["restart_budget"] = f"{type(exc).__name__}: {exc}"
        if restart.error:
            errors["restart"] = restart.error
        if reconcile.error:
            errors["repair"] = reconcile.error

        freshness = check_freshness(
            self.clients.consumer_factory,
            self.config.heartbeat_table_topic,
            self.config.stage.name,
            self.clients.clock,
            lag_from_source_ms=capture.lag_from_source_ms if capture and is_capturing(connect, capture) else None,
        )
        probe = self._probe(capture, previous)
        runway_now = runway(
            retention_hours=self.config.archive_log_retention_hours,
            held_ms=held_back_ms(connect, capture),
            now_ms=started_ms,
            previous=previous.runway,
            offset_scn=capture.offset_scn if capture else None,
            current_scn=capture.current_scn if capture else None,
        )
        if probe and not probe.error:
            runway_now = with_disk(runway_now, probe.on_disk_hours, probe.position_gone)
        catching_up = catch_up(
            offset_scn=capture.offset_scn if capture else None,
            current_scn=capture.current_scn if capture else None,
            lag_from_source_ms=capture.lag_from_source_ms if capture else None,
            now_ms=started_ms,
            previous=previous.scn_sample,
        )
        counters, growth = counter_growth(capture, previous.counters)
        report = RunReport(
            connect, ecs, db, capture, topics, streak, restart, not_running_runs=self.config.not_running_runs,
            freshness=freshness, runway=runway_now, catch_up=catching_up, probe=probe, growth=growth,
            reconcile=reconcile, hold=hold, now_ms=started_ms,
        )
        report.errors = {**check_errors(report), **errors}
        values = signals(report)

        state = RunState(
            streak,
            topics.offsets if topics else previous.topic_offsets,
            started_ms,
            runway=runway_now.memory,
            scn_sample=catching_up.sample,
            counters=counters,
        )
        try:
            self.state_store.save(state)
        except Exception as exc:
            report.errors["state_save"] = f"{type(exc).__name__}: {exc}"
        publish_error = None
        try:
            published = publish(self.clients.cloudwatch, self._scope(), values, started_ms / 1000)
        except Exception as exc:
            published, publish_error = 0, f"{type(exc).__name__}: {exc}"
            report.errors["metrics"] = publish_error

        summary = self._summary(report, values, published, time.monotonic() - started)
        self.clients.emit(redact(json.dumps(summary, sort_keys=True, default=str)))
        if publish_error:
            raise HealthCheckIncomplete(f"Health metrics were not published: {publish_error}")
        return summary

    def _scope(self) -> m.MetricScope:
        return m.MetricScope.for_stage(self.config.stage, self.config.connector)

    def _summary(self, report: RunReport, values: dict[str, float], published: int, seconds: float) -> dict:
        connect, restart = report.connect, report.restart
        return {
            "event": "health_check",
            "stage": self.config.stage.name,
            "connector": self.config.connector,
            "healthy": not (problems(values) or values[m.HEALTH_CHECK_FAILED]),
            "problems": problems(values),
            "connect": {
                "reachable": connect.reachable,
                "missing": connect.missing,
                "state": connect.connector_state,
                "tasks": {str(k): v for k, v in connect.task_states.items()},
                "notRunningStreak": report.not_running_streak,
            },
            "ecs": {"desired": report.ecs.desired, "running": report.ecs.running},
            "database": {"reachable": report.db.reachable},
            "capture": {
                "freshness": report.freshness.summary if report.freshness else None,
                "databaseClock": report.freshness.clock_summary if report.freshness else None,
                "topicsWrittenByStages": list(report.freshness.foreign_writers) if report.freshness else [],
                "runway": report.runway.summary if report.runway else None,
                "runwayHoursLeft": report.runway.hours_left if report.runway else None,
                # For context: where Debezium's offset stands against the database's current SCN.
                "offsetScn": report.capture.offset_scn if report.capture else None,
                "currentScn": report.capture.current_scn if report.capture else None,
                "catchUp": report.catch_up.summary if report.catch_up else None,
                "database": report.probe.summary if report.probe else None,
            },
            "restart": {
                "needed": restart.needed,
                "action": restart.action,
                "heldBack": restart.held_back,
                "granted": restart.granted,
                "done": restart.done,
                "budgetRemaining": restart.budget_remaining,
                "nextFreeAtMs": restart.next_free_at_ms,
                "backoffUntilMs": restart.backoff_until_ms,
                "previousOutcome": restart.previous_outcome,
            },
            # What the run found against the declared connector and what it put back.
            "reconcile": report.reconcile.to_dict(),
            # Who holds the connector, why and until when: while held, nothing above was restarted or repaired.
            "hold": report.hold.summary(report.now_ms) if report.hold else None,
            "metrics": values,
            "metricsPublished": published,
            "errors": report.errors,
            "durationMs": round(seconds * 1000),
        }

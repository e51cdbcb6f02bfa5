"""The on-call operations on top of the reconciler: offsets (show, reset, set), lag from the worker's JMX exporter,
Debezium's snapshot signal, and the deletion of an ephemeral stage's topics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from wms_connector.admin.checks import check_name, check_state
from wms_connector.admin.control import Control
from wms_connector.admin.errors import (
    AdminError,
    AdminMisconfigured,
    BadRequest,
    DatabaseUnreachable,
    Refused,
    not_found,
)
from wms_connector.admin.positions import StartPositions, check_scn
from wms_connector.admin.reconciler import Reconciler, connector_state
from wms_connector.connect_rules import DEFAULT_STATE_TIMEOUT
from wms_connector.connect_status import ConnectorStatus
from wms_connector.connector.config import SIGNAL_TABLE_KEY
from wms_connector.connector.first_start import first_start_config, first_start_pending
from wms_connector.health.checks.capture import check_capture, http_fetch, not_started
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.reconcile import Declared
from wms_connector.holds import ACTION_HOLD_MARGIN_SECONDS, BadHold, Hold, HoldRefused
from wms_connector.preflight import PreflightTarget, run_preflight
from wms_connector.preflight.connect import PreflightConnectError
from wms_connector.preflight.connect import connect as connect_as_cdc_user
from wms_connector.snapshot_signal import SignalRefused, SignalWriter, snapshot_signal
from wms_connector.task_cause import cause_from_records, hides_cause
from wms_connector.topics import StageTopics
from wms_connector.worker_env import TASK_IP_PLACEHOLDER, exporter_url


@dataclass
class ConnectorAdmin(StartPositions, Reconciler):
    """The reconciler and the on-call operations: what the admin Lambda, the provider's direct transport and
    `ops` run."""

    # The worker's JMX exporter; `{task_ip}` stands for the host of the worker that runs the connector's task.
    jmx_url: str | None = None
    signal_writer: SignalWriter | None = None
    # The preflight's database: the dbInfo keys (read when asked, never kept) and how to connect with them.
    database_info: Callable[[], Mapping[str, Any]] | None = field(default=None, repr=False)
    database_connect: Callable[[Mapping[str, Any]], Any] = field(default=connect_as_cdc_user, repr=False)
    # The worker's log records (its log file locally, its CloudWatch log group in AWS), for causes Debezium hides.
    worker_log_records: Callable[[], Iterable[str]] | None = field(default=None, repr=False)
    # The hold and the declared connector in the stage's health table; None where no health run watches the
    # connector (the local stack): then nothing is held or declared.
    control: Control | None = None

    # -- one controller at a time ---------------------------------------------------------------------------------

    @contextmanager
    def holding(
        self, holder: Any, command: str, timeout: float, reason: Any = None
    ) -> Iterator[Hold | None]:
        """The connector held for one action by `holder` (its own standing hold, or one taken for the action's
        `timeout` plus a margin and given back after); Refused when someone else holds it."""
        if self.control is None:
            yield None
            return
        try:
            hold, taken = self.control.holds.acquire(
                holder or "an unnamed caller", reason or command, command, timeout + ACTION_HOLD_MARGIN_SECONDS
            )
        except HoldRefused as exc:
            raise Refused(str(exc)) from None
        except BadHold as exc:
            raise BadRequest(str(exc)) from None
        try:
            yield hold
        finally:
            if taken:
                self.control.holds.release(hold)

    def take_hold(self, holder: Any, reason: Any, seconds: Any, command: str) -> Hold:
        """A standing hold (`ops pause --hold`): the health run leaves the connector alone until it ends."""
        if self.control is None:
            raise BadRequest(
                "This admin keeps no holds: no health run watches this connector (the local stack), so a pause or "
                "stop stays until it is undone."
            )
        try:
            return self.control.holds.take(holder, reason, command, seconds, standing=True)
        except HoldRefused as exc:
            raise Refused(str(exc)) from None
        except BadHold as exc:
            raise BadRequest(str(exc)) from None

    def release_hold(self) -> dict[str, Any]:
        """End whatever hold is in force (`ops release`)."""
        if self.control is None:
            return {"released": None}
        now_ms = int(self.control.clock() * 1000)
        ended = self.control.holds.release_any()
        return {"released": ended.summary(now_ms) if ended else None}

    def hold(self) -> dict[str, Any] | None:
        """The hold in force, as the status shows it, or None."""
        if self.control is None:
            return None
        current = self.control.holds.current()
        return current.summary(int(self.control.clock() * 1000)) if current else None

    @contextmanager
    def _declaring(self, declared: Declared | None) -> Iterator[None]:
        if self.control is None:
            yield
            return
        with self.control.declaring(declared):
            yield

    def delete(self, name: str) -> bool:
        """The declaration first (no health run re-registers what is being removed), then the connector."""
        with self._declaring(None):
            return super().delete(check_name(name))

    def apply(
        self, name: str, config: Mapping[str, str], *, allow_unreachable_database: bool = False,
        initial_state: str | None = None,
    ) -> Any:
        """The reconciler's apply, declared first; the declared state is `initial_state` or the one declared."""
        self.check_rule(config, check_name(name))  # nothing is declared that the rule refuses
        current = self.control.declared() if self.control is not None else None
        state = check_state(initial_state) if initial_state else (current.state if current else "running")
        with self._declaring(Declared(dict(config), state, allow_unreachable_database)):
            return super().apply(
                name, config, allow_unreachable_database=allow_unreachable_database, initial_state=initial_state
            )

    def hidden_causes(self, status: ConnectorStatus | None) -> dict[str, list[str]]:
        """For each task whose trace is only Debezium's NullPointerException, the cause the worker logged."""
        hiding = [task for task in (status.tasks if status else ()) if hides_cause(task.trace)]
        if not hiding or self.worker_log_records is None:
            return {}
        records = list(self.worker_log_records())
        causes = {str(task.id): cause_from_records(records, status.name, task.id) for task in hiding}
        return {task: cause for task, cause in causes.items() if cause}

    def start_retries(
        self, status: ConnectorStatus | None, fetch: Callable[[str], str] | None = None
    ) -> dict[str, list[str]] | None:
        """For a connector RUNNING with every task RUNNING whose worker exports no Debezium metrics: each task's
        newest startup failure from the worker log (empty lines when none is logged). None when it captures, is not
        running, or the exporter cannot tell.

        Debezium 3.6 (BaseSourceTask.start) takes a failed start, such as an unreachable database
        (OracleConnection.resolveOracleDatabaseVersion throws a RetriableException), as retriable: it logs WARN
        "Failed to start connector, will re-attempt during polling." and retries from poll() every
        retriable.restart.connector.wait.ms, forever with errors.max.retries=-1, while Connect shows the task
        RUNNING. The rule is the health check's (capture.not_started)."""
        connect = ConnectFindings(reachable=True, status=status)
        if not self.jmx_url or not connect.all_running:
            return None
        findings = check_capture(fetch or http_fetch(), _exporter_url(self.jmx_url, status),
                                 StageTopics(self.stage).topic_prefix)
        if not not_started(connect, findings):
            return None
        records = list(self.worker_log_records()) if self.worker_log_records else []
        return {str(task.id): cause_from_records(records, status.name, task.id) or [] for task in status.tasks}

    def preflight(
        self, heartbeat_table: str | None = None, use_pdb: bool = False, *,
        archive_destination_name: tuple[str, ...] = (), rac_nodes: tuple[str, ...] = (),
        signal_table: str | None = None,
    ) -> dict[str, Any]:
        """The database side of capture, checked as the CDC user (wms_connector/preflight): a checklist with the
        SQL that fixes each failure."""
        if self.database_info is None:
            raise AdminMisconfigured(
                "This admin has no database settings (DB_INFO_SECRET_ARN in AWS, the env file locally), so the "
                "preflight cannot connect."
            )
        info = self.database_info()
        if use_pdb and not info.get("pdb"):
            raise BadRequest("use_pdb needs the dbInfo key 'pdb' (the pluggable database's name).")
        try:
            connection = self.database_connect(info)
        except PreflightConnectError as exc:
            raise DatabaseUnreachable(str(exc)) from None
        try:
            port = str(info.get("port") or "")
            target = PreflightTarget(
                pdb=str(info["pdb"]) if use_pdb else None, heartbeat_table=heartbeat_table, signal_table=signal_table,
                archive_destination_name=",".join(archive_destination_name) or None, rac_nodes=rac_nodes,
                port=int(port) if port.isdigit() else None,
            )
            return run_preflight(connection, target).to_dict()
        finally:
            connection.close()

    def _require_stopped(self, name: str, doing: str) -> None:
        status = self.connect.status(check_name(name))
        if status is None:
            raise not_found(name)
        if status.state != "STOPPED":
            raise Refused(
                f"Refusing to {doing} of connector `{name}`: it is {status.state}. Connect changes offsets only "
                "while a connector is STOPPED; stop it first."
            )

    def offsets(self, name: str) -> dict[str, Any]:
        """The connector's source offsets (Connect ≥ 3.6): `{"offsets": [{"partition": …, "offset": …}]}`."""
        if self.connect.get_config(check_name(name)) is None:
            raise not_found(name)
        return self.connect.get_offsets(name)

    def reset_offsets(self, name: str) -> dict[str, Any]:
        """Forget the source offsets (only while STOPPED): the next start snapshots again per `snapshot.mode`."""
        self._require_stopped(name, "reset the offsets")
        return self.connect.reset_offsets(name)

    def ensure(
        self,
        name: str,
        config: Mapping[str, str],
        state: str,
        *,
        timeout: float = DEFAULT_STATE_TIMEOUT,
        allow_unreachable_database: bool = False,
        start_scn: int | None = None,
        accept_unknown: bool = False,
    ) -> dict[str, Any]:
        """The reconciler's ensure, declared first (control.py). A new connector with a `start_scn` is created
        stopped in the first start's snapshot mode (first_start.py), its offset set to the exact position for that
        SCN, and only then brought to `state`: its first read starts there instead of an initial snapshot. An
        existing connector keeps its offsets (a start position is for the creation only), and keeps the first
        start's mode until it has streamed."""
        if start_scn is not None:
            check_scn(start_scn, "start_scn")
        self.check_rule(config, check_name(name))  # nothing is declared that the rule refuses
        declared = Declared(dict(config), check_state(state), allow_unreachable_database)
        live = self.connect.get_config(check_name(name))
        with self._declaring(declared):
            # Only a connector still in its first start's mode is worth a look at Debezium's metrics.
            if live is not None and first_start_pending(config, live, None) and first_start_pending(
                    config, live, self._streaming(name)):
                config = first_start_config(config)
            if start_scn is None or live is not None:
                return super().ensure(
                    name, config, state, timeout=timeout, allow_unreachable_database=allow_unreachable_database
                )
            position = self.start_position(start_scn, config=config, current=None, accept_unknown=accept_unknown)
            super().ensure(name, first_start_config(config), "stopped", timeout=timeout,
                           allow_unreachable_database=allow_unreachable_database)
            self._write_position(name, position)
            status = self.set_state(name, state, timeout=timeout, require_tasks=not allow_unreachable_database)
        return {"name": name, "state": connector_state(status), "status": status.to_dict(),
                "startPosition": position.to_dict(), "warnings": list(position.warnings)}

    def _streaming(self, name: str) -> bool | None:
        """Debezium's StreamingMetrics Connected on the connector's worker; None when it cannot be read."""
        if not self.jmx_url:
            return None
        status = self.connect.status(name)
        prefix = StageTopics(self.stage).topic_prefix
        try:
            findings = check_capture(http_fetch(), _exporter_url(self.jmx_url, status), prefix)
        except Exception:
            return None
        return findings.connected

    def lag(self, name: str, *, fetch: Callable[[str], str] | None = None) -> dict[str, Any]:
        """Debezium's capture metrics from the JMX exporter of the worker that runs the connector's task."""
        if not self.jmx_url:
            raise AdminError("This admin has no JMX exporter URL configured, so it cannot read lag.")
        status = self.connect.status(check_name(name))
        if status is None:
            raise not_found(name)
        url = _exporter_url(self.jmx_url, status)
        findings = check_capture(fetch or http_fetch(), url, StageTopics(self.stage).topic_prefix)
        return {
            "state": connector_state(status),
            "tasks": {str(task.id): task.state for task in status.tasks},
            "exporter": url,
            "lag_ms": findings.lag_ms,
            "connected": findings.connected,
            "ms_since_last_event": findings.ms_since_last_event,
            "snapshot_running": findings.snapshot_running,
            "snapshot_tables_remaining": findings.snapshot_tables_remaining,
            "debezium_metrics_seen": findings.debezium_seen,
            "error": findings.error,
        }

    def signal_snapshot(self, name: str, tables: list[str] | None, snapshot_type: str) -> dict[str, Any]:
        """Send `execute-snapshot` for `tables` (default: every captured table) to the stage's signal topic."""
        if self.signal_writer is None:
            raise AdminError("This admin has no Kafka connection configured, so it cannot send signals.")
        try:
            signal = snapshot_signal(self.stage, tables, snapshot_type)
        except SignalRefused as exc:
            raise BadRequest(str(exc)) from None
        config = self.connect.get_config(check_name(name))
        if config is None:
            raise not_found(name)
        signal_topic = StageTopics(self.stage).signal_topic
        channels = [c.strip() for c in config.get("signal.enabled.channels", "").split(",")]
        if "kafka" not in channels or config.get("signal.kafka.topic") != signal_topic:
            raise Refused(
                f"Connector `{name}` does not read signals from {signal_topic}; its live config predates the "
                "signal channel. Apply the current config (`pulumi up`) first."
            )
        if config.get("topic.prefix") != signal.key:
            raise Refused(f"Connector `{name}` has topic.prefix {config.get('topic.prefix')!r}, not {signal.key!r}.")
        if snapshot_type == "incremental" and not config.get(SIGNAL_TABLE_KEY):
            raise Refused(
                "An incremental snapshot on Oracle needs a signalling table for its watermarks, and this connector "
                f"has none: set `{SIGNAL_TABLE_KEY}` (e.g. ORCLPDB1.WMS.DEBEZIUM_SIGNAL) in the stack config's "
                "`wms-connector:connector` extraProperties and `pulumi up`, or use a blocking snapshot."
            )
        self._ensure_signal_topic(config)
        sent = self.signal_writer.send(self.stage, signal)
        # Debezium reads the signal topic only while its task runs: the state says whether it will act now.
        return {"id": signal.signal_id, "key": signal.key, "value": signal.value, **sent,
                "state": connector_state(self.connect.status(name))}

    def delete_stage_topics(self, *, batch_size: int = 100) -> dict[str, Any]:
        if self.topic_admin_factory is None:
            raise AdminError("This admin has no Kafka connection configured, so it cannot delete topics.")
        with self.topic_admin_factory() as topics:
            return topics.delete_stage_topics(self.stage, batch_size=batch_size).to_dict()


def _exporter_url(template: str, status: ConnectorStatus) -> str:
    """`template` as is, or with `{task_ip}` replaced by the host of the worker that runs the task."""
    if TASK_IP_PLACEHOLDER not in template:
        return template
    workers = [t.worker_id for t in status.tasks if t.worker_id] or ([status.worker_id] if status.worker_id else [])
    if not workers:
        raise AdminError(f"Connector `{status.name}` runs on no worker yet ({status.state}): no lag to read.")
    host = workers[0].rsplit(":", 1)[0]
    return exporter_url(template, host)

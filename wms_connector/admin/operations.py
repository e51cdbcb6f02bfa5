"""The on-call operations on top of the reconciler: offsets (show, reset, set), lag from the worker's JMX exporter,
Debezium's snapshot signal, and the deletion of an ephemeral stage's topics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wms_connector.admin.checks import check_name
from wms_connector.admin.errors import (
    AdminError,
    AdminMisconfigured,
    BadRequest,
    DatabaseUnreachable,
    Refused,
    not_found,
)
from wms_connector.admin.reconciler import Reconciler, connector_state
from wms_connector.connect_rules import DEFAULT_STATE_TIMEOUT
from wms_connector.connect_status import ConnectorStatus
from wms_connector.connector.config import SIGNAL_TABLE_KEY
from wms_connector.health.checks.capture import check_capture, http_fetch, not_started
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.preflight import PreflightTarget, run_preflight
from wms_connector.preflight.connect import PreflightConnectError
from wms_connector.preflight.connect import connect as connect_as_cdc_user
from wms_connector.snapshot_signal import SignalRefused, SignalWriter, snapshot_signal
from wms_connector.task_cause import cause_from_records, hides_cause
from wms_connector.topics import StageTopics
from wms_connector.worker_env import TASK_IP_PLACEHOLDER, exporter_url


def check_scn(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(f"{what} {value!r} is not allowed: a whole number of at least 1.")


def commit_scn_at(scn: int, current: Any) -> str:
    """Debezium's `commit_scn` offset value (`<scn>:<redo thread>:<transaction ids>`, comma-separated per thread,
    as CommitScn reads it) with every redo thread of `current` at `scn` and no transaction handled past it."""
    threads = sorted({part.split(":")[1] for part in str(current or "").split(",") if part.count(":") == 2})
    return ",".join(f"{scn}:{thread}:" for thread in threads or ["1"])


def offset_at(scn: int, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The source offset that starts mining at `scn`: Debezium's `scn` and `commit_scn` keys (OracleOffsetContext,
    read back by the pinned plugin's own loader in tests/integration/test_pinned_jar_facts.py), the other keys of
    `current` as they are."""
    offset = dict(current or {})
    offset["scn"] = str(scn)
    offset["commit_scn"] = commit_scn_at(scn, offset.get("commit_scn"))
    return offset


@dataclass
class ConnectorAdmin(Reconciler):
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

    def alter_offsets(self, name: str, scn: int) -> dict[str, Any]:
        """Point the source offset at `scn` (only while STOPPED): mining starts there (`scn`) and transactions
        committed at or before it count as handled (`commit_scn`, for each redo thread the offset names; thread 1
        when it names none). Other offset keys stay as they are."""
        check_scn(scn, "SCN")
        self._require_stopped(name, "alter the offsets")
        partition = {"server": StageTopics(self.stage).topic_prefix}
        current = [e for e in self.connect.get_offsets(name).get("offsets") or [] if e.get("partition") == partition]
        offset = offset_at(scn, current[0].get("offset") if current else None)
        answer = self.connect.alter_offsets(name, [{"partition": partition, "offset": offset}])
        return {"partition": partition, "offset": offset, "message": (answer or {}).get("message")}

    def start_from(self, name: str, scn: int, *, timeout: float = DEFAULT_STATE_TIMEOUT) -> dict[str, Any]:
        """A start position as one operation: stop, set the offset to `scn`, start again."""
        check_scn(scn, "SCN")
        self.set_state(name, "stopped", timeout=timeout, require_tasks=False)
        offset = self.alter_offsets(name, scn)
        self.set_state(name, "running", timeout=timeout, require_tasks=False)
        return offset

    def ensure(
        self,
        name: str,
        config: Mapping[str, str],
        state: str,
        *,
        timeout: float = DEFAULT_STATE_TIMEOUT,
        allow_unreachable_database: bool = False,
        start_scn: int | None = None,
    ) -> dict[str, Any]:
        """The reconciler's ensure; a new connector with a `start_scn` is created stopped, its offset set to
        that SCN, and only then brought to `state`: its first read starts there instead of an initial snapshot.
        An existing connector keeps its offsets (a start position is for the creation only)."""
        if start_scn is not None:
            check_scn(start_scn, "start_scn")
        if start_scn is None or self.connect.get_config(check_name(name)) is not None:
            return super().ensure(
                name, config, state, timeout=timeout, allow_unreachable_database=allow_unreachable_database
            )
        super().ensure(name, config, "stopped", timeout=timeout, allow_unreachable_database=allow_unreachable_database)
        self.alter_offsets(name, start_scn)
        status = self.set_state(name, state, timeout=timeout, require_tasks=not allow_unreachable_database)
        return {"name": name, "state": connector_state(status), "status": status.to_dict()}

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
        return {"id": signal.signal_id, "key": signal.key, "value": signal.value, **sent}

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

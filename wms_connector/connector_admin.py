"""Connector admin operations over a Connect client and a topic admin, and the JSON protocol that carries them.

`ConnectorAdmin` is what tests and local use call directly; `handle(request)` is the same operations behind a
JSON request/response protocol, shared by the admin Lambda (functions/connector_admin.py) and by the dynamic
provider's local transport. Errors come back as data (`{"ok": false, "error": {...}}`), never as tracebacks, so the
caller can show them to a person as they are.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient, ConnectError, ConnectorStatus, ConnectUnreachable, FieldErrors
from wms_connector.connector_config import (
    CONNECTOR_CLASS,
    SIGNAL_TABLE_KEY,
    STATES,
    credential_problems,
    redact_credentials,
)
from wms_connector.snapshot_signal import SignalRefused, SignalWriter, snapshot_signal
from wms_connector.stages import Stage
from wms_connector.topic_admin import TopicAdmin, TopicDeletionRefused
from wms_connector.topics import StageTopics

# Connect's connector states for each desired state.
_CONNECT_STATE = {"running": "RUNNING", "paused": "PAUSED", "stopped": "STOPPED"}
_CONNECTOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,248}")
# Debezium reports an unreachable database as an error on the connection field of the validation result.
_CONNECTION_FIELDS = ("database.hostname", "database.url")
_CONNECTION_FAILURE = re.compile(r"(?i)unable to connect|connection|could not|timed out|refused|IO Error|ORA-")

DEFAULT_STATE_TIMEOUT = 180.0
MAX_STATE_TIMEOUT = 840.0  # stays under the Lambda's 15-minute ceiling


class AdminError(Exception):
    """An admin operation failed in a way a person should read; `type` and `fields` travel over the protocol."""

    type = "AdminError"

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class BadRequest(AdminError):
    type = "BadRequest"


class ConfigInvalid(AdminError):
    type = "ConfigInvalid"


class StateTimeout(AdminError):
    type = "StateTimeout"


class ConnectorNotFound(AdminError):
    type = "ConnectorNotFound"


class Refused(AdminError):
    """The operation is not safe in the connector's present state; nothing was changed."""

    type = "Refused"


def connector_state(status: ConnectorStatus | None) -> str:
    """`running|paused|stopped|failed|unassigned|restarting` for a status, or `absent`."""
    return "absent" if status is None else status.state.lower()


@dataclass
class ConnectorAdmin:
    connect: ConnectClient
    stage: Stage
    topic_admin_factory: Callable[[], TopicAdmin] | None = None
    config_writer: ConfigTopicWriter | None = None  # for configs whose database is not reachable (opt-in)
    poll_interval: float = 1.0
    state_request_interval: float = 10.0  # how long set_state waits before asking Connect again
    registration_timeout: float = 60.0
    # The worker's JMX exporter; `{task_ip}` stands for the host of the worker that runs the connector's task.
    jmx_url: str | None = None
    signal_writer: SignalWriter | None = None

    # -- single operations ---------------------------------------------------------------------------------------

    def validate(self, config: Mapping[str, str]) -> FieldErrors:
        _check_config(config)
        return self.connect.validate(config.get("connector.class", CONNECTOR_CLASS), config)

    def apply(self, name: str, config: Mapping[str, str], *, allow_unreachable_database: bool = False) -> FieldErrors:
        """Validate, then `PUT …/config`. Refuses an invalid config with its field errors. An unreachable
        database is tolerated only when asked: Connect would refuse the PUT, so the config (valid in every other
        field) is written to the stage's config topic (see config_topic.py) and its task reports the failure."""
        _check_name(name)
        _check_config(config, name)
        result = self.validate(config)
        blocking = _blocking_errors(result, allow_unreachable_database)
        if blocking:
            listed = "\n".join(f"  {field}: {'; '.join(messages)}" for field, messages in sorted(blocking.items()))
            raise ConfigInvalid(
                f"Connector `{name}` config is invalid ({sum(len(m) for m in blocking.values())} error(s)):\n{listed}",
                fields=blocking,
            )
        if self.connect.get_config(name) == {**config, "name": name}:
            return result  # already live: a PUT would only restart the connector for nothing
        if result.ok:
            self.connect.put_config(name, config)
        else:
            self._register_unreachable(name, config)
        return result

    def _register_unreachable(self, name: str, config: Mapping[str, str]) -> None:
        if self.config_writer is None:
            raise AdminError(
                f"Connector `{name}`: the database is unreachable and this admin has no Kafka connection to "
                "register the connector without Connect's database check."
            )
        self.config_writer.register(self.stage, name, config)
        deadline = time.monotonic() + self.registration_timeout
        while self.connect.get_config(name) != {**config, "name": name}:
            if time.monotonic() >= deadline:
                raise AdminError(
                    f"Connector `{name}` was written to {self.stage}'s config topic but Connect did not show "
                    f"that config within {self.registration_timeout:.0f}s; is the worker's group "
                    "the stage's?"
                )
            time.sleep(self.poll_interval)

    def status(self, name: str) -> ConnectorStatus | None:
        return self.connect.status(_check_name(name))

    def restart(self, name: str, *, include_tasks: bool = True, only_failed: bool = True) -> None:
        self.connect.restart(_check_name(name), include_tasks=include_tasks, only_failed=only_failed)

    def delete(self, name: str) -> bool:
        return self.connect.delete(_check_name(name))

    def set_state(
        self, name: str, state: str, *, timeout: float = DEFAULT_STATE_TIMEOUT, require_tasks: bool = True
    ) -> ConnectorStatus:
        """Ask Connect for `state` and wait until the connector (and, for running, its tasks) reach it."""
        _check_name(name)
        _check_state(state)
        deadline = time.monotonic() + _check_timeout(timeout)
        current = self.connect.status(name)
        # Right after a PUT the status can lag behind the config for a moment.
        while current is None and self.connect.get_config(name) is not None and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
            current = self.connect.status(name)
        if current is None:
            raise AdminError(f"Connector `{name}` does not exist, so it cannot be set {state}.")
        self._request_state(name, state, current, restart_failed_tasks=True)
        remaining = max(self.poll_interval, deadline - time.monotonic())
        return self.wait_for_state(
            name,
            state,
            timeout=remaining,
            require_tasks=require_tasks,
            on_slow=lambda last: self._request_state(name, state, last, restart_failed_tasks=False),
        )

    def _request_state(self, name: str, state: str, current: ConnectorStatus, *, restart_failed_tasks: bool) -> None:
        """One request for `state`, given the connector's `current` status. Safe to repeat: Connect's pause,
        resume and stop only write the target state again."""
        failed_tasks = any(t.state == "FAILED" for t in current.tasks)
        if state == "running":
            if current.state == "FAILED" or (restart_failed_tasks and failed_tasks):
                self.connect.restart(name, include_tasks=True, only_failed=True)
            if current.state in ("PAUSED", "STOPPED"):
                self.connect.resume(name)
        elif state == "paused":
            self.connect.pause(name)
            # A FAILED connector cannot move to PAUSED; restarted, it comes up in the (new) target state.
            if current.state == "FAILED":
                self.connect.restart(name, include_tasks=False, only_failed=True)
        else:
            self.connect.stop(name)

    def wait_for_state(
        self,
        name: str,
        state: str,
        *,
        timeout: float = DEFAULT_STATE_TIMEOUT,
        require_tasks: bool = True,
        on_slow: Callable[[ConnectorStatus], None] | None = None,
    ) -> ConnectorStatus:
        """Poll until `state` is reached. `on_slow(last_status)` runs every `state_request_interval` seconds
        without it: a worker applies a target-state change only to a connector it holds at that moment, so one
        that arrives while the connector is between a stop and a start (a config update's rebalance) is lost,
        and the request has to be made again."""
        target = _CONNECT_STATE[_check_state(state)]
        deadline = time.monotonic() + timeout
        next_request = time.monotonic() + self.state_request_interval
        last: ConnectorStatus | None = None
        while True:
            last = self.connect.status(name)
            if last is not None and _reached(last, target, require_tasks):
                return last
            now = time.monotonic()
            if now >= deadline:
                shown = last.describe() if last else f"connector {name}: absent"
                raise StateTimeout(
                    f"Connector `{name}` did not reach {state} within {timeout:.0f}s. Last status:\n{shown}"
                )
            if on_slow is not None and last is not None and now >= next_request:
                on_slow(last)
                next_request = now + self.state_request_interval
            time.sleep(self.poll_interval)

    def ensure(
        self,
        name: str,
        config: Mapping[str, str],
        state: str,
        *,
        timeout: float = DEFAULT_STATE_TIMEOUT,
        allow_unreachable_database: bool = False,
    ) -> dict[str, Any]:
        """Validate, apply and bring to `state`: what `pulumi up` needs for create and update."""
        _check_state(state)
        self._ensure_signal_topic(config)
        self.apply(name, config, allow_unreachable_database=allow_unreachable_database)
        # A fresh or updated connector restarts its tasks; when the database may be unreachable, only the
        # connector itself is required to reach the state (its task reports the database failure).
        status = self.set_state(name, state, timeout=timeout, require_tasks=not allow_unreachable_database)
        return {"name": name, "state": connector_state(status), "status": status.to_dict()}

    def read(self, name: str) -> dict[str, Any]:
        """The live config (plaintext credentials redacted) and state, for drift detection; `exists` False when
        there is no such connector."""
        config = self.connect.get_config(_check_name(name))
        if config is None:
            return {"name": name, "exists": False, "config": None, "state": "absent", "status": None}
        status = self.connect.status(name)
        return {
            "name": name,
            "exists": True,
            "config": redact_credentials(config),
            "state": connector_state(status),
            "status": status.to_dict() if status else None,
        }

    def _ensure_signal_topic(self, config: Mapping[str, str]) -> None:
        """The connector's signal consumer reads partition 0 of its signal topic from the start, and warns in a
        loop while the topic is missing (MSK does not auto-create), so the topic exists before the connector."""
        topic = config.get("signal.kafka.topic")
        if self.topic_admin_factory is None or topic != StageTopics(self.stage).signal_topic:
            return
        replication = int(config.get("topic.creation.default.replication.factor", "1"))
        with self.topic_admin_factory() as topics:
            topics.ensure_topic(topic, partitions=1, replication_factor=replication)

    # -- on-call operations --------------------------------------------------------------------------------------

    def _require_stopped(self, name: str, doing: str) -> None:
        status = self.connect.status(_check_name(name))
        if status is None:
            raise ConnectorNotFound(f"Connector `{name}` does not exist on this Connect cluster.")
        if status.state != "STOPPED":
            raise Refused(
                f"Refusing to {doing} of connector `{name}`: it is {status.state}. Connect changes offsets only "
                "while a connector is STOPPED; stop it first."
            )

    def offsets(self, name: str) -> dict[str, Any]:
        """The connector's source offsets (Connect ≥ 3.6): `{"offsets": [{"partition": …, "offset": …}]}`."""
        if self.connect.get_config(_check_name(name)) is None:
            raise ConnectorNotFound(f"Connector `{name}` does not exist on this Connect cluster.")
        return self.connect.get_offsets(name)

    def reset_offsets(self, name: str) -> dict[str, Any]:
        """Forget the source offsets (only while STOPPED): the next start snapshots again per `snapshot.mode`."""
        self._require_stopped(name, "reset the offsets")
        return self.connect.reset_offsets(name)

    def alter_offsets(self, name: str, scn: int) -> dict[str, Any]:
        """Point the source offset at `scn` (only while STOPPED). Its `commit_scn` is dropped: it names a
        position past the old SCN, and the connector would skip transactions committed before it."""
        if isinstance(scn, bool) or not isinstance(scn, int) or scn < 1:
            raise BadRequest(f"SCN {scn!r} is not allowed: a whole number of at least 1.")
        self._require_stopped(name, "alter the offsets")
        partition = {"server": StageTopics(self.stage).topic_prefix}
        current = [e for e in self.connect.get_offsets(name).get("offsets") or [] if e.get("partition") == partition]
        offset = {k: v for k, v in (current[0].get("offset") or {}).items() if k != "commit_scn"} if current else {}
        offset["scn"] = str(scn)
        answer = self.connect.alter_offsets(name, [{"partition": partition, "offset": offset}])
        return {"partition": partition, "offset": offset, "message": (answer or {}).get("message")}

    def lag(self, name: str, *, fetch: Callable[[str], str] | None = None) -> dict[str, Any]:
        """Debezium's capture metrics from the JMX exporter of the worker that runs the connector's task."""
        from wms_connector.health.checks.capture import check_capture, http_fetch

        if not self.jmx_url:
            raise AdminError("This admin has no JMX exporter URL configured, so it cannot read lag.")
        status = self.connect.status(_check_name(name))
        if status is None:
            raise ConnectorNotFound(f"Connector `{name}` does not exist on this Connect cluster.")
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
        config = self.connect.get_config(_check_name(name))
        if config is None:
            raise ConnectorNotFound(f"Connector `{name}` does not exist on this Connect cluster.")
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

    # -- the JSON protocol -------------------------------------------------------------------------------------

    def handle(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run one request: `{"action": …, …}` → `{"ok": true, "result": …}` or `{"ok": false, "error": …}`."""
        try:
            if not isinstance(request, Mapping):
                raise BadRequest(f"A request must be a JSON object, got {type(request).__name__}.")
            action = request.get("action")
            operation = _ACTIONS.get(action) if isinstance(action, str) else None
            if operation is None:
                raise BadRequest(f"Unknown action {action!r}; allowed: {', '.join(sorted(_ACTIONS))}.")
            requested_stage = request.get("stage")
            if requested_stage is not None and requested_stage != self.stage.name:
                raise BadRequest(
                    f"Request is for stage {requested_stage!r} but this admin serves stage `{self.stage}`."
                )
            return {"ok": True, "result": operation(self, request)}
        except AdminError as exc:
            return _error(exc.type, exc.message, exc.fields)
        except TopicDeletionRefused as exc:
            return _error("TopicDeletionRefused", str(exc))
        except ConnectUnreachable as exc:
            return _error("ConnectUnreachable", str(exc))
        except ConnectError as exc:
            return _error("ConnectError", str(exc))
        except Exception as exc:  # the protocol boundary: the caller gets a message, not a traceback
            return _error(type(exc).__name__, str(exc) or repr(exc))


def _error(kind: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"ok": False, "error": {"type": kind, "message": message, "fields": dict(fields or {})}}


# -- request checks ------------------------------------------------------------------------------------------------


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _CONNECTOR_NAME.fullmatch(name):
        raise BadRequest(
            f"Connector name {name!r} is not allowed: 1-249 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit."
        )
    return name


def _check_state(state: object) -> str:
    if state not in STATES:
        raise BadRequest(f"Connector state {state!r} is not allowed: one of {', '.join(STATES)}.")
    return str(state)


def _check_timeout(timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_STATE_TIMEOUT:
        raise BadRequest(
            f"Timeout {timeout!r} is not allowed: seconds, more than 0 and at most {MAX_STATE_TIMEOUT:.0f}."
        )
    return float(timeout)


def _check_config(config: object, name: str | None = None) -> Mapping[str, str]:
    if not isinstance(config, Mapping) or not config:
        raise BadRequest("Connector config must be a non-empty object of property names to string values.")
    not_strings = sorted(str(k) for k, v in config.items() if not isinstance(k, str) or not isinstance(v, str))
    if not_strings:
        raise BadRequest(f"Connector config values must be strings; not strings: {', '.join(not_strings)}.")
    if name is not None and config.get("name", name) != name:
        raise BadRequest(f"Connector config `name` is {config['name']!r} but the connector is `{name}`.")
    problems = credential_problems(config)
    if problems:
        raise BadRequest("; ".join(problems) + ".", fields={p.split("`")[1]: [p] for p in problems})
    return config


def _blocking_errors(result: FieldErrors, allow_unreachable_database: bool) -> dict[str, list[str]]:
    if not allow_unreachable_database:
        return dict(result.errors)
    return {
        field: messages
        for field, messages in result.errors.items()
        if not (field in _CONNECTION_FIELDS and all(_CONNECTION_FAILURE.search(m) for m in messages))
    }


def _reached(status: ConnectorStatus, target: str, require_tasks: bool) -> bool:
    if status.state != target:
        return False
    if target == "RUNNING" and require_tasks:
        return bool(status.tasks) and all(task.state == "RUNNING" for task in status.tasks)
    if target == "STOPPED":
        return not status.tasks
    return True


def _exporter_url(template: str, status: ConnectorStatus) -> str:
    """`template` as is, or with `{task_ip}` replaced by the host of the worker that runs the task."""
    from wms_connector.health.checks.worker_tasks import TASK_IP_PLACEHOLDER

    if TASK_IP_PLACEHOLDER not in template:
        return template
    workers = [t.worker_id for t in status.tasks if t.worker_id] or ([status.worker_id] if status.worker_id else [])
    if not workers:
        raise AdminError(f"Connector `{status.name}` runs on no worker yet ({status.state}): no lag to read.")
    host = workers[0].rsplit(":", 1)[0]
    return template.replace(TASK_IP_PLACEHOLDER, host)


def _flag(request: Mapping[str, Any], key: str, default: bool) -> bool:
    value = request.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"Request field `{key}` must be true or false, got {value!r}.")
    return value


def _timeout(request: Mapping[str, Any]) -> float:
    return _check_timeout(request.get("timeout_seconds", DEFAULT_STATE_TIMEOUT))


def _status_result(status: ConnectorStatus | None) -> dict[str, Any]:
    return {"state": connector_state(status), "status": status.to_dict() if status else None}


_ACTIONS: dict[str, Callable[[ConnectorAdmin, Mapping[str, Any]], Any]] = {
    "server_info": lambda admin, r: admin.connect.server_info(),
    "validate": lambda admin, r: _validation_result(admin.validate(_check_config(r.get("config")))),
    "apply": lambda admin, r: _validation_result(
        admin.apply(
            r.get("name"),
            _check_config(r.get("config")),
            allow_unreachable_database=_flag(r, "allow_unreachable_database", False),
        )
    ),
    "ensure": lambda admin, r: admin.ensure(
        r.get("name"),
        _check_config(r.get("config")),
        r.get("state", "running"),
        timeout=_timeout(r),
        allow_unreachable_database=_flag(r, "allow_unreachable_database", False),
    ),
    "set_state": lambda admin, r: _status_result(
        admin.set_state(
            r.get("name"), r.get("state"), timeout=_timeout(r), require_tasks=_flag(r, "require_tasks", True)
        )
    ),
    "restart": lambda admin, r: admin.restart(
        r.get("name"),
        include_tasks=_flag(r, "include_tasks", True),
        only_failed=_flag(r, "only_failed", True),
    ),
    "status": lambda admin, r: _status_result(admin.status(r.get("name"))),
    "read": lambda admin, r: admin.read(r.get("name")),
    "delete": lambda admin, r: {"deleted": admin.delete(r.get("name"))},
    "delete_stage_topics": lambda admin, r: admin.delete_stage_topics(),
    "offsets": lambda admin, r: admin.offsets(r.get("name")),
    "reset_offsets": lambda admin, r: admin.reset_offsets(r.get("name")),
    "alter_offsets": lambda admin, r: admin.alter_offsets(r.get("name"), r.get("scn")),
    "lag": lambda admin, r: admin.lag(r.get("name")),
    "signal_snapshot": lambda admin, r: admin.signal_snapshot(
        r.get("name"), r.get("tables"), r.get("snapshot_type", "blocking")
    ),
}


def _validation_result(result: FieldErrors) -> dict[str, Any]:
    return {"error_count": result.error_count, "errors": result.errors}


# -- built from the environment (the admin Lambda) ---------------------------------------------------------------

ENV_STAGE = "STAGE"
ENV_CONNECT_URL = "CONNECT_URL"
ENV_CONNECT_CA = "CONNECT_CA"  # PEM text or a file path
ENV_PRIVATE_CA_ARN = "PRIVATE_CA_ARN"  # the endpoint's private CA; its certificate is fetched from ACM PCA
ENV_CONNECT_DEADLINE = "CONNECT_DEADLINE_SECONDS"
ENV_BOOTSTRAP_SERVERS = "BOOTSTRAP_SERVERS"
ENV_SECURITY_PROTOCOL = "KAFKA_SECURITY_PROTOCOL"
ENV_JMX_URL = "JMX_URL"  # the workers' JMX exporter; `{task_ip}` stands for the worker running the task

DEFAULT_CONNECT_DEADLINE = 60


class AdminEnvironmentError(AdminError):
    type = "AdminMisconfigured"


@dataclass(frozen=True)
class AdminEnvironment:
    stage: Stage
    connect_url: str
    connect_ca: str | None
    private_ca_arn: str | None
    connect_deadline: float
    bootstrap_servers: str | None
    security_protocol: str
    jmx_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AdminEnvironment:
        missing = [name for name in (ENV_STAGE, ENV_CONNECT_URL) if not env.get(name, "").strip()]
        if missing:
            raise AdminEnvironmentError(f"The admin function's environment is missing {', '.join(missing)}.")
        try:
            stage = Stage.parse(env[ENV_STAGE].strip())
        except ValueError as exc:
            raise AdminEnvironmentError(f"{ENV_STAGE}: {exc}") from None
        url = env[ENV_CONNECT_URL].strip()
        if not url.startswith(("http://", "https://")):
            raise AdminEnvironmentError(f"{ENV_CONNECT_URL} must start with http:// or https://, got {url!r}.")
        protocol = env.get(ENV_SECURITY_PROTOCOL, "SSL").strip().upper() or "SSL"
        if protocol not in ("SSL", "PLAINTEXT"):
            raise AdminEnvironmentError(f"{ENV_SECURITY_PROTOCOL} must be SSL or PLAINTEXT, got {protocol!r}.")
        deadline = env.get(ENV_CONNECT_DEADLINE, "").strip() or str(DEFAULT_CONNECT_DEADLINE)
        if not deadline.isdigit() or not 1 <= int(deadline) <= 600:
            raise AdminEnvironmentError(
                f"{ENV_CONNECT_DEADLINE} must be whole seconds from 1 to 600, got {deadline!r}."
            )
        jmx_url = env.get(ENV_JMX_URL, "").strip() or None
        if jmx_url and not jmx_url.startswith(("http://", "https://")):
            raise AdminEnvironmentError(f"{ENV_JMX_URL} must start with http:// or https://, got {jmx_url!r}.")
        return cls(
            stage=stage,
            connect_url=url,
            connect_ca=env.get(ENV_CONNECT_CA, "").strip() or None,
            private_ca_arn=env.get(ENV_PRIVATE_CA_ARN, "").strip() or None,
            connect_deadline=float(deadline),
            bootstrap_servers=env.get(ENV_BOOTSTRAP_SERVERS, "").strip() or None,
            security_protocol=protocol,
            jmx_url=jmx_url,
        )


def private_ca_pem(acm_pca: Any, ca_arn: str) -> str:
    """The private CA's certificate (and chain) as PEM, which the endpoint's certificate is issued from."""
    answer = acm_pca.get_certificate_authority_certificate(CertificateAuthorityArn=ca_arn)
    return "\n".join(part.strip() for part in (answer["Certificate"], answer.get("CertificateChain")) if part) + "\n"


def build_admin(environment: AdminEnvironment, *, acm_pca: Any = None) -> ConnectorAdmin:
    """The admin the Lambda runs; `acm_pca` (a boto3 client) is needed only when the CA comes by ARN."""
    ca = environment.connect_ca
    if ca is None and environment.private_ca_arn:
        if acm_pca is None:
            raise AdminEnvironmentError(f"{ENV_PRIVATE_CA_ARN} is set but no ACM PCA client was given.")
        ca = private_ca_pem(acm_pca, environment.private_ca_arn)
    connect = ConnectClient(
        environment.connect_url,
        ca=ca,
        request_timeout=min(30.0, environment.connect_deadline),
        deadline=environment.connect_deadline,
    )
    if not environment.bootstrap_servers:
        return ConnectorAdmin(connect=connect, stage=environment.stage, jmx_url=environment.jmx_url)
    servers, protocol = environment.bootstrap_servers, environment.security_protocol
    return ConnectorAdmin(
        connect=connect,
        stage=environment.stage,
        topic_admin_factory=lambda: TopicAdmin(servers, security_protocol=protocol),
        config_writer=ConfigTopicWriter(servers, protocol),
        jmx_url=environment.jmx_url,
        signal_writer=SignalWriter(servers, protocol),
    )

"""The reconciler: make one connector on a Connect cluster what is declared (config and state) and report what is
live. Validate, apply, bring to a state, read, delete: what `pulumi up`, `refresh` and `destroy` need.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector.admin.checks import check_config, check_name, check_state, check_timeout
from wms_connector.admin.errors import AdminError, BadRequest, ConfigInvalid, ConnectorNotFound, StateTimeout, not_found
from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient, ConnectError
from wms_connector.connect_rules import CONNECT_STATE, DEFAULT_STATE_TIMEOUT
from wms_connector.connect_status import ConnectorStatus, FieldErrors
from wms_connector.connector.config_rule import ConfigRule, ConfigRuleBroken
from wms_connector.connector.credentials import redact_credentials
from wms_connector.redaction import salted_keys_shown
from wms_connector.registration import Registrar, RegistrationRefused, RegistrationUnconfirmed
from wms_connector.stages import Stage
from wms_connector.task_starts import Mark, TaskStartLog
from wms_connector.topic_admin import TopicAdmin
from wms_connector.topics import StageTopics

# Debezium reports an unreachable database as an error on the connection field of the validation result.


def connector_state(status: ConnectorStatus | None) -> str:
    """`running|paused|stopped|failed|unassigned|restarting` for a status, or `absent`."""
    return "absent" if status is None else status.state.lower()


@dataclass
class Reconciler:
    connect: ConnectClient
    stage: Stage
    topic_admin_factory: Callable[[], TopicAdmin] | None = None
    config_writer: ConfigTopicWriter | None = None  # for configs whose database is not reachable (opt-in)
    poll_interval: float = 1.0
    state_request_interval: float = 10.0  # how long set_state waits before asking Connect again
    registration_timeout: float = 60.0
    # Without it, an update's verdict is taken on the REST status, which shows the old tasks until they restart.
    task_starts: TaskStartLog | None = None
    config_rule: ConfigRule | None = None  # the stage's rule for every config sent (by default from the stage alone)

    def validate(self, config: Mapping[str, str]) -> FieldErrors:
        self.check_rule(config)
        return self._registrar().validate(config)

    def check_rule(self, config: Mapping[str, str], name: str | None = None) -> None:
        """The request's config against the stage's config rule (config_rule.py), before anything is declared or
        sent: BadRequest names each key that breaks it."""
        check_config(config, name)
        try:
            self._registrar().check(config, name)
        except ConfigRuleBroken as broken:
            raise BadRequest(str(broken), fields=broken.fields) from None

    def _registrar(self) -> Registrar:
        return Registrar(
            self.connect, self.stage, self.config_writer, self.poll_interval, self.registration_timeout,
            self.config_rule,
        )

    def apply(
        self,
        name: str,
        config: Mapping[str, str],
        *,
        allow_unreachable_database: bool = False,
        initial_state: str | None = None,
    ) -> FieldErrors:
        return self._apply(
            name, config, allow_unreachable_database=allow_unreachable_database, initial_state=initial_state
        )

    def _apply(
        self,
        name: str,
        config: Mapping[str, str],
        *,
        allow_unreachable_database: bool = False,
        initial_state: str | None = None,
    ) -> FieldErrors:
        """Validate, then `PUT …/config`, or, for a connector that does not exist yet and an `initial_state`
        (running, paused, stopped), create it in that state. Refuses an invalid config with its field errors. An
        unreachable database is tolerated only when asked: Connect would refuse the PUT, so the config (valid in
        every other field) is written to the stage's config topic (see config_topic.py) and its task reports the
        failure."""
        self.check_rule(config, check_name(name))
        result = self.validate(config)
        # A new connector starts in its declared state: one declared stopped never gets a task, not even once.
        initial = CONNECT_STATE[check_state(initial_state)] if initial_state else None
        try:
            return self._registrar().register(
                name, config, allow_unreachable_database=allow_unreachable_database, initial_state=initial,
                result=result,
            )
        except RegistrationRefused as refused:
            raise ConfigInvalid(refused.message, fields=refused.fields) from None
        except RegistrationUnconfirmed as unconfirmed:
            raise AdminError(str(unconfirmed)) from None

    def status(self, name: str) -> ConnectorStatus | None:
        return self.connect.status(check_name(name))

    def restart(self, name: str, *, include_tasks: bool = True, only_failed: bool = True) -> dict[str, Any]:
        """Restart, and say what a settled status must wait for: the tasks Connect is restarting (its 202 answer
        marks them RESTARTING) and where Connect's status topic ended just before (`since`, task_starts.py)."""
        mark = self._mark()
        try:
            answer = self.connect.restart(check_name(name), include_tasks=include_tasks, only_failed=only_failed)
        except ConnectError as error:
            if error.status == 404:
                raise not_found(name) from None
            raise
        tasks = (answer or {}).get("tasks") if isinstance(answer, Mapping) else None
        restarting = sorted(t["id"] for t in tasks or [] if isinstance(t, Mapping) and t.get("state") == "RESTARTING")
        connector = (answer or {}).get("connector") if isinstance(answer, Mapping) else None
        return {
            "restarting": restarting,
            "connector_restarting": isinstance(connector, Mapping) and connector.get("state") == "RESTARTING",
            "since": {str(p): o for p, o in mark.items()} if mark is not None else None,
        }

    def _mark(self) -> Mark | None:
        if self.task_starts is None:
            return None
        try:
            return self.task_starts.mark()
        except Exception:  # the status topic unreadable: the settle falls back to waiting out its window
            return None

    def settle(
        self, name: str, *, settle_seconds: float, timeout: float = DEFAULT_STATE_TIMEOUT,
        since: Mapping[str, int] | None = None, restarting: Collection[int] = (), connector_restarting: bool = False,
    ) -> ConnectorStatus | None:
        """The connector's status once it has settled after a restart or a resume, so a verdict is never taken on
        a task that is only starting: a FAILED connector or task ends the wait at once; otherwise the connector
        and every task must stay RUNNING for `settle_seconds`. Bounded by `timeout`; the last status is returned
        whatever it is.

        After a restart, a status from before it must not end the wait: Connect restarts asynchronously, and for a
        moment after its 202 the REST status still shows the old attempt FAILED. So with `since` (the restart's
        mark of the status topic) a FAILED status counts only once every task in `restarting` has started again
        after the mark (a new start record, task_starts.py); without a mark, or when the connector itself restarts,
        only after `settle_seconds`."""
        deadline = time.monotonic() + check_timeout(timeout)
        began = time.monotonic()
        mark = {int(p): int(o) for p, o in since.items()} if since else None
        waiting_for = set(restarting)
        running_since: float | None = None
        while True:
            status = self.connect.status(check_name(name))
            now = time.monotonic()
            if status is None:
                return None
            if waiting_for and mark is not None and self.task_starts is not None:
                waiting_for -= self.task_starts.started_since(mark, name)
            if restarting and mark is not None and self.task_starts is not None and not connector_restarting:
                fresh = not waiting_for
            else:
                fresh = not (restarting or connector_restarting) or now - began >= settle_seconds
            failed = status.state == "FAILED" or any(task.state == "FAILED" for task in status.tasks)
            if failed and fresh:
                return status
            if not failed and _reached(status, "RUNNING", require_tasks=True):
                running_since = running_since if running_since is not None else now
                if now - running_since >= settle_seconds:
                    return status
            else:
                running_since = None
            if now >= deadline:
                return status
            time.sleep(self.poll_interval)

    def delete(self, name: str) -> bool:
        return self.connect.delete(check_name(name))

    def set_state(
        self, name: str, state: str, *, timeout: float = DEFAULT_STATE_TIMEOUT, require_tasks: bool = True
    ) -> ConnectorStatus:
        """Ask Connect for `state` and wait until the connector (and, for running, its tasks) reach it."""
        check_name(name)
        check_state(state)
        deadline = time.monotonic() + check_timeout(timeout)
        current = self.connect.status(name)
        # Right after a PUT the status can lag behind the config for a moment.
        while current is None and self.connect.get_config(name) is not None and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
            current = self.connect.status(name)
        if current is None:
            raise ConnectorNotFound(f"Connector `{name}` does not exist, so it cannot be set {state}.")
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
        target = CONNECT_STATE[check_state(state)]
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
        check_state(state)
        deadline = time.monotonic() + check_timeout(timeout)
        self._ensure_signal_topic(config)
        before = self.connect.get_config(check_name(name))
        updating = before is not None and before != {**config, "name": name}
        # Only a running connector's tasks restart with an update; a paused or stopped one's are started (or
        # resumed) by set_state, after the update.
        running = updating and state == "running" and self.task_starts is not None and _reached(
            self.connect.status(name) or _ABSENT, "RUNNING", require_tasks=True)
        mark = self.task_starts.mark() if running and self.task_starts else None
        self._apply(name, config, allow_unreachable_database=allow_unreachable_database, initial_state=state)
        if mark is not None:
            self._wait_for_tasks_restarted(name, mark, deadline)
        # A fresh or updated connector restarts its tasks; when the database may be unreachable, only the
        # connector itself is required to reach the state (its task reports the database failure).
        remaining = max(self.poll_interval, deadline - time.monotonic())
        status = self.set_state(name, state, timeout=remaining, require_tasks=not allow_unreachable_database)
        return {"name": name, "state": connector_state(status), "status": status.to_dict()}

    def _wait_for_tasks_restarted(self, name: str, mark: Mark, deadline: float) -> None:
        """Until every task of `name` has started since `mark` (so with the config applied after it)."""
        assert self.task_starts is not None
        while True:
            status = self.connect.status(name)
            # A connector or task that is FAILED is not restarted by the update: set_state restarts it, and it
            # starts with the new config then.
            if status is None or status.state == "FAILED" or any(t.state == "FAILED" for t in status.tasks):
                return
            tasks = {task.id for task in status.tasks}
            if tasks and tasks <= self.task_starts.started_since(mark, name):
                return
            if time.monotonic() >= deadline:
                shown = status.describe() if status else f"connector {name}: absent"
                raise StateTimeout(
                    f"Connector `{name}`: the new config was applied but its tasks did not restart with it in time. "
                    f"Last status:\n{shown}"
                )
            time.sleep(self.poll_interval)

    def read(self, name: str) -> dict[str, Any]:
        """The live config (plaintext credentials redacted, a hash salt in a key replaced by its fingerprint) and
        state, for drift detection; `exists` False when there is no such connector."""
        config = self.connect.get_config(check_name(name))
        if config is None:
            return {"name": name, "exists": False, "config": None, "state": "absent", "status": None}
        status = self.connect.status(name)
        return {
            "name": name,
            "exists": True,
            "config": salted_keys_shown(redact_credentials(config)),
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

_ABSENT = ConnectorStatus(name="", state="ABSENT", worker_id=None, trace=None, tasks=())


def _reached(status: ConnectorStatus, target: str, require_tasks: bool) -> bool:
    if status.state != target:
        return False
    if target == "RUNNING" and require_tasks:
        return bool(status.tasks) and all(task.state == "RUNNING" for task in status.tasks)
    if target == "STOPPED":
        return not status.tasks
    return True

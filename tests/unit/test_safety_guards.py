"""Guards whose mistake loses data or crosses a boundary, each held where `make unit` runs it.

The integration tests hold the same guards against the real Kafka, Connect and Debezium; these hold them without
servers, so that breaking a guard fails the fast suite too. The doubles answer in the shapes the real clients
return (kafka-python's admin client, `ConnectClient`), and record every call that would change something.
"""

from __future__ import annotations

import pytest
from moto import mock_aws

from tests.unit.aws_fixtures import Clock, fake_credentials, health_check_aws
from tests.unit.test_health_runner import CLUSTER, PASSWORD, SERVICE, T0, TABLE, _run
from wms_connector.admin.errors import Refused
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.connect_client import ConnectError, ConnectUnreachable
from wms_connector.connect_status import ConnectorStatus, TaskStatus
from wms_connector.health.checks.connect import check_connect
from wms_connector.health.reconcile import Declared, declared_key
from wms_connector.stages import Stage
from wms_connector.topic_admin import TopicAdmin, TopicDeletionRefused
from wms_connector.topics import StageTopics

EPHEMERAL = Stage.parse("feat-guard")


# -- the health check: a Connect that answers 5xx is down -------------------------------------------------------


class AnsweringConnect:
    """`GET /` and the status answer as scripted: a dict/ConnectorStatus, or an exception to raise."""

    def __init__(self, server_info, status) -> None:
        self._server_info, self._status = server_info, status

    @staticmethod
    def _answer(answer):
        if isinstance(answer, Exception):
            raise answer
        return answer

    def server_info(self):
        return self._answer(self._server_info)

    def status(self, name):
        return self._answer(self._status)


def _running(name: str = "wms-oracle-cdc") -> ConnectorStatus:
    return ConnectorStatus(name=name, state="RUNNING", worker_id="w", trace=None, tasks=(TaskStatus(0, "RUNNING"),))


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_connect_that_answers_5xx_is_down(code):
    error = ConnectError(f"Connect answered {code}", status=code)
    assert check_connect(AnsweringConnect(error, _running()), "wms-oracle-cdc").reachable is False
    assert check_connect(AnsweringConnect({"version": "4.3.2"}, error), "wms-oracle-cdc").reachable is False


@pytest.mark.parametrize(
    ("error", "reachable"),
    [
        (ConnectUnreachable("refused"), False),
        (ConnectError("no status code"), False),
        (ConnectError("bad request", status=400), True),  # the API answers; the connector is the trouble
        (ConnectError("conflict", status=409), True),
    ],
)
def test_only_an_api_that_does_not_answer_properly_is_down(error, reachable):
    findings = check_connect(AnsweringConnect({"version": "4.3.2"}, error), "wms-oracle-cdc")
    assert findings.reachable is reachable and findings.status is None


def test_a_connect_that_answers_is_reachable_with_its_status():
    findings = check_connect(AnsweringConnect({"version": "4.3.2"}, _running()), "wms-oracle-cdc")
    assert findings.reachable and findings.all_running


# -- topic deletion: the guard and the live-worker check at the point of deletion --------------------------------


class KafkaAdminDouble:
    """kafka-python's KafkaAdminClient as far as topic deletion uses it: topics listed, the Connect group's state
    as `list_groups` returns it, and every delete request recorded."""

    def __init__(self, topics, group_states=()) -> None:
        self.topics = set(topics)
        self.group_states = list(group_states)  # the group's state on each ask; the last one repeats
        self.deleted: list[list[str]] = []
        self.group_polls = 0

    def list_topics(self):
        return sorted(self.topics)

    def list_groups(self):
        # A wait that does not end at its deadline keeps polling: fail it instead of hanging the suite.
        self.group_polls += 1
        if self.group_polls > 1000:
            raise AssertionError("the Connect group was polled past the end of the wait")
        if not self.group_states:
            return []
        state = self.group_states.pop(0) if len(self.group_states) > 1 else self.group_states[0]
        return [{"group_id": StageTopics(EPHEMERAL).connect_group_id, "group_state": state}]

    def delete_topics(self, topics, timeout_ms, raise_errors):
        self.deleted.append(list(topics))
        return {"topics": [{"name": t, "error_code": 0} for t in topics]}


def _topic_admin(client: KafkaAdminDouble) -> TopicAdmin:
    admin = TopicAdmin.__new__(TopicAdmin)  # the kafka-python client is the double's; nothing connects
    admin._client = client
    return admin


OWN = StageTopics(EPHEMERAL).all_topics


def test_a_stage_deletes_its_own_topics_once_its_workers_are_gone():
    client = KafkaAdminDouble([*OWN, "shared.orders"], group_states=["Empty"])
    report = _topic_admin(client).delete_stage_topics(EPHEMERAL, workers_gone_within=0)
    assert sorted(report.deleted) == sorted(OWN) and "shared.orders" not in sum(client.deleted, [])


@pytest.mark.parametrize(
    "foreign", ["shared.orders", "main.aws.wms.cdc.ORDERS", "feat-guard-2.aws.wms.cdc.X", "__consumer_offsets"]
)
@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_foreign_topic_given_to_the_deletion_is_refused_and_nothing_is_deleted(foreign, batch_size):
    # With one topic per request the foreign one comes last: refused before the first request, not at the last.
    client = KafkaAdminDouble([*OWN, foreign], group_states=["Empty"])
    with pytest.raises(TopicDeletionRefused, match="not stage `feat-guard`'s own"):
        _topic_admin(client).delete_stage_topics(
            EPHEMERAL, [*OWN, foreign], batch_size=batch_size, workers_gone_within=0
        )
    assert client.deleted == []


@pytest.mark.parametrize("named", ["main", "val", "production"])
def test_a_named_stages_topics_are_never_deleted(named):
    client = KafkaAdminDouble(StageTopics(Stage.parse(named)).all_topics, group_states=["Empty"])
    with pytest.raises(TopicDeletionRefused, match="named stages' topics are never deleted"):
        _topic_admin(client).delete_stage_topics(Stage.parse(named), workers_gone_within=0)
    with pytest.raises(TopicDeletionRefused):
        _topic_admin(client).delete_stage_topics(Stage.parse(named), ["anything"], workers_gone_within=0)
    assert client.deleted == []


@pytest.mark.parametrize("state", ["Stable", "PreparingRebalance", "CompletingRebalance", "Unknown"])
def test_topics_are_not_deleted_while_the_stages_workers_are_in_their_group(state):
    client = KafkaAdminDouble(OWN, group_states=[state])
    with pytest.raises(TopicDeletionRefused, match=f"workers are still running .*still {state}"):
        _topic_admin(client).delete_stage_topics(EPHEMERAL, workers_gone_within=0)
    assert client.deleted == []


def test_the_deletion_waits_for_workers_that_are_leaving(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("wms_connector.topic_admin.time.sleep", slept.append)
    client = KafkaAdminDouble(OWN, group_states=["Stable", "PreparingRebalance", "Empty"])
    report = _topic_admin(client).delete_stage_topics(EPHEMERAL, workers_gone_within=60)
    assert len(slept) == 2 and sorted(report.deleted) == sorted(OWN)


def test_a_stage_with_no_connect_group_has_no_live_worker():
    client = KafkaAdminDouble(OWN)
    assert sorted(_topic_admin(client).delete_stage_topics(EPHEMERAL, workers_gone_within=0).deleted) == sorted(OWN)


# -- offsets change only while the connector is STOPPED ---------------------------------------------------------


class OffsetsConnect:
    """A connector in `state`; every offsets write recorded."""

    def __init__(self, state: str | None) -> None:
        self.state = state
        self.writes: list[str] = []

    def status(self, name):
        if self.state is None:
            return None
        tasks = () if self.state == "STOPPED" else (TaskStatus(0, self.state),)
        return ConnectorStatus(name=name, state=self.state, worker_id="w", trace=None, tasks=tasks)

    def get_config(self, name):
        return {"name": name} if self.state else None

    def reset_offsets(self, name):
        self.writes.append("reset")
        return {"message": "reset"}


@pytest.mark.parametrize("state", ["RUNNING", "PAUSED", "FAILED", "UNASSIGNED", "RESTARTING"])
def test_offsets_are_not_changed_unless_the_connector_is_stopped(state):
    connect = OffsetsConnect(state)
    admin = ConnectorAdmin(connect=connect, stage=EPHEMERAL, poll_interval=0.01)
    with pytest.raises(Refused, match=f"it is {state}.*only while a connector is STOPPED"):
        admin.reset_offsets("wms-oracle-cdc")
    with pytest.raises(Refused, match=f"it is {state}"):
        admin.alter_offsets("wms-oracle-cdc", 1_000_000)
    assert connect.writes == []


def test_a_stopped_connectors_offsets_may_be_reset():
    connect = OffsetsConnect("STOPPED")
    ConnectorAdmin(connect=connect, stage=EPHEMERAL, poll_interval=0.01).reset_offsets("wms-oracle-cdc")
    assert connect.writes == ["reset"]


# -- a drift repair spends the restart budget like a restart ---------------------------------------------------


class DriftedConnect(AnsweringConnect):
    """A reachable Connect whose connector RUNS while the stage declares it paused; state changes recorded."""

    def __init__(self, config: dict[str, str]) -> None:
        super().__init__({"version": "4.3.2"}, _running())
        self.config = config
        self.changes: list[str] = []

    def get_config(self, name):
        return dict(self.config)

    def pause(self, name):
        self.changes.append("pause")

    def __getattr__(self, name):  # any other write (restart, put_config, stop…) is recorded, not answered
        def call(*args, **kwargs):
            self.changes.append(name)

        return call


@pytest.fixture
def aws(monkeypatch):
    fake_credentials(monkeypatch)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    with mock_aws():
        yield health_check_aws(CLUSTER, SERVICE, TABLE, "wms/main/dbInfo", {"ip": "127.0.0.1", "password": PASSWORD})


def _declare_paused(aws, config: dict[str, str]) -> None:
    key = declared_key("main", "wms-oracle-cdc")
    aws["table"].put_item(Item=Declared(config, "paused").to_item(key))


def test_a_drift_repair_is_granted_by_the_budget_when_it_has_room(aws):
    config = {"connector.class": "io.debezium.connector.oracle.OracleConnector"}
    _declare_paused(aws, config)
    connect = DriftedConnect(config)
    summary = _run(aws, Clock(T0), [], connect=connect)
    assert summary["reconcile"]["drift"]["state"] == {"live": "RUNNING", "declared": "PAUSED"}
    assert summary["reconcile"]["granted"] is True and summary["restart"]["budgetRemaining"] == 2


def test_a_drift_repair_waits_when_the_restart_budget_is_spent(aws):
    clock, lines = Clock(T0), []
    for minute in (0, 10, 20):  # Connect down: three redeploys spend the window's budget
        clock.now = T0 + minute * 60
        assert _run(aws, clock, lines)["restart"]["granted"] is True
    config = {"connector.class": "io.debezium.connector.oracle.OracleConnector"}
    _declare_paused(aws, config)
    connect = DriftedConnect(config)
    clock.now = T0 + 30 * 60
    summary = _run(aws, clock, lines, connect=connect)
    assert summary["reconcile"]["drift"]["state"] == {"live": "RUNNING", "declared": "PAUSED"}
    assert summary["reconcile"]["granted"] is False and summary["reconcile"]["repaired"] == []
    assert connect.changes == []

"""TopicAdmin: what it asks of Kafka, what it reports, and the exact refusals on-call reads.

These tests use a double of kafka-python's `KafkaAdminClient` (the real Kafka is in tests/integration): `kafka.
KafkaAdminClient` is replaced by `AdminClientDouble`, which accepts only the options the real client accepts and
answers `list_topics`, `list_groups`, `create_topics` and `delete_topics` in the shapes kafka-python 3 returns.
The per-topic and per-group answers are built with kafka-python's own protocol classes at a chosen protocol
version (older brokers leave out fields such as `group_state` and `error_message`), errors are raised as the real
client raises them when `raise_errors` is true, and a request without a timeout gets the client's
`request_timeout_ms`, as the real client does. `Broker` holds the cluster state and records every request that
would change the cluster, with the timeout the broker is given.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

import kafka.errors as kafka_errors
import pytest
from kafka.admin.client import KafkaAdminClient as RealKafkaAdminClient
from kafka.protocol.admin import CreateTopicsResponse, DeleteTopicsResponse, ListGroupsResponse

from tests.unit.stepped_time import SteppedTime
from wms_connector.kafka_producer import CLIENT_ID
from wms_connector.stages import Stage
from wms_connector.topic_admin import CleanupReport, TopicAdmin, TopicDeletionRefused, check_deletable, is_stage_topic
from wms_connector.topics import StageTopics

EPHEMERAL = Stage.parse("feat-guard")
OWN = StageTopics(EPHEMERAL).all_topics
GROUP = StageTopics(EPHEMERAL).connect_group_id
DATA = StageTopics(EPHEMERAL).data_topics
TOPIC_DELETION_DISABLED = 73
UNKNOWN_TOPIC_MESSAGE = "This server does not host this topic-partition."
# Enough for any wait these tests ask for; a wait that does not end at its deadline keeps polling and hits it.
MAX_GROUP_POLLS = 100


def connect_group(state: str | None, *, group_id: str = GROUP, version: int = 4) -> dict:
    """One ListGroups entry as kafka-python returns it; brokers before ListGroups v4 send no `group_state`."""
    listed = ListGroupsResponse.ListedGroup(
        version=version, group_id=group_id, protocol_type="connect", group_state=state or ""
    )
    return listed.to_dict()


@dataclass
class Broker:
    """The cluster behind the client double."""

    topics: set[str] = field(default_factory=set)
    # What each `list_groups` answers, in turn; the last answer repeats.
    group_answers: list[list[dict]] = field(default_factory=list)
    # Topics whose deletion the broker refuses: name -> error code.
    delete_errors: dict[str, int] = field(default_factory=dict)
    delete_version: int = 6
    # Topics another client creates between our listing and our create request.
    created_concurrently: set[str] = field(default_factory=set)
    clients: list[AdminClientDouble] = field(default_factory=list)  # every admin client built, in order
    deletes: list[tuple[list[str], int]] = field(default_factory=list)
    creates: list[tuple[dict, int, bool]] = field(default_factory=list)
    group_polls: int = 0


class AdminClientDouble:
    """kafka-python's KafkaAdminClient as TopicAdmin uses it, in front of `Broker`."""

    def __init__(self, broker: Broker, **configs) -> None:
        unknown = set(configs) - set(RealKafkaAdminClient.DEFAULT_CONFIG)
        if unknown:
            raise kafka_errors.KafkaConfigurationError(f"Unrecognized configs: {unknown}")
        self.broker = broker
        self.configs = configs
        self.config = {**RealKafkaAdminClient.DEFAULT_CONFIG, **configs}
        self.closed = False
        broker.clients.append(self)

    def close(self) -> None:
        self.closed = True

    def _timeout(self, timeout_ms):
        return timeout_ms or self.config["request_timeout_ms"]

    def list_topics(self):
        return sorted(self.broker.topics)

    def list_groups(self, broker_ids=None, states_filter=None, types_filter=None):
        self.broker.group_polls += 1
        if self.broker.group_polls > MAX_GROUP_POLLS:
            raise AssertionError("the Connect group was polled past the end of the wait")
        answers = self.broker.group_answers
        if not answers:
            return []
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def create_topics(self, new_topics, timeout_ms=None, validate_only=False, raise_errors=True,
                      wait_for_metadata=False):
        self.broker.creates.append((new_topics, self._timeout(timeout_ms), bool(wait_for_metadata)))
        self.broker.topics |= self.broker.created_concurrently
        results = []
        for name, spec in new_topics.items():
            code = 36 if name in self.broker.topics else 0  # TOPIC_ALREADY_EXISTS
            if raise_errors and code:
                raise kafka_errors.for_code(code)(f"Request failed for {name}")
            self.broker.topics.add(name)
            result = CreateTopicsResponse.CreatableTopicResult(
                version=5, name=name, error_code=code, error_message=None,
                num_partitions=spec["num_partitions"], replication_factor=spec["replication_factor"],
            ).to_dict()
            result.pop("configs")
            results.append(result)
        return {"topics": results}

    def delete_topics(self, topics, timeout_ms=None, raise_errors=True):
        topics = list(topics)
        self.broker.deletes.append((topics, self._timeout(timeout_ms)))
        version, results = self.broker.delete_version, []
        for name in topics:
            if name in self.broker.delete_errors:
                code = self.broker.delete_errors[name]
                message = kafka_errors.for_code(code).description
            elif name in self.broker.topics:
                self.broker.topics.discard(name)
                code, message = 0, None
            else:
                code, message = 3, UNKNOWN_TOPIC_MESSAGE  # UNKNOWN_TOPIC_OR_PARTITION
            results.append(
                DeleteTopicsResponse.DeletableTopicResult(
                    version=version, name=name, error_code=code, error_message=message
                ).to_dict()
            )
        if raise_errors:
            for result in results:
                if result["error_code"]:
                    raise kafka_errors.for_code(result["error_code"])(f"Request failed: {result}")
        return {"topics": results}


@pytest.fixture
def broker(monkeypatch) -> Broker:
    broker = Broker()
    monkeypatch.setattr("kafka.KafkaAdminClient", lambda **configs: AdminClientDouble(broker, **configs))
    return broker


@pytest.fixture
def clock(monkeypatch) -> SteppedTime:
    fake = SteppedTime()
    monkeypatch.setattr("wms_connector.topic_admin.time.monotonic", fake.monotonic)
    monkeypatch.setattr("wms_connector.topic_admin.time.sleep", fake.sleep)
    return fake


def _admin(**options) -> TopicAdmin:
    return TopicAdmin("b-1.kafka:9092,b-2.kafka:9092", **options)


# -- the kafka-python client it builds -----------------------------------------------------------------------


def test_the_admin_client_gets_every_bootstrap_server_and_the_default_options(broker):
    _admin()
    assert broker.clients[0].configs == {
        "bootstrap_servers": ["b-1.kafka:9092", "b-2.kafka:9092"],
        "security_protocol": "PLAINTEXT",
        "request_timeout_ms": 30_000,
        "client_id": CLIENT_ID,
    }


def test_the_admin_client_gets_the_tls_options_it_is_given(broker):
    TopicAdmin(
        "b-1.kafka:9094", security_protocol="SSL", ssl_cafile="/etc/ssl/msk-ca.pem", request_timeout_ms=5_000,
        client_id="cleanup",
    )
    assert broker.clients[0].configs == {
        "bootstrap_servers": ["b-1.kafka:9094"],
        "security_protocol": "SSL",
        "request_timeout_ms": 5_000,
        "client_id": "cleanup",
        "ssl_cafile": "/etc/ssl/msk-ca.pem",
    }


def test_the_admin_talks_to_the_client_it_built_and_closes_it(broker):
    broker.topics = {"shared.orders", *OWN}
    with _admin() as admin:
        assert admin.list_topics() == {"shared.orders", *OWN}
        assert admin.stage_topics(EPHEMERAL) == sorted(OWN)
        assert [client.closed for client in broker.clients] == [False]
    assert [client.closed for client in broker.clients] == [True]


# -- creating a topic: never changes one that exists ---------------------------------------------------------


def test_a_missing_topic_is_created_and_waited_for(broker):
    signal = StageTopics(EPHEMERAL).signal_topic
    admin = _admin(request_timeout_ms=10_000)
    assert admin.ensure_topic(signal, partitions=1, replication_factor=3) is True
    # The broker gets 30 s whatever the client's request timeout, and the call returns once the topic is usable.
    assert broker.creates == [({signal: {"num_partitions": 1, "replication_factor": 3}}, 30_000, True)]
    assert signal in broker.topics


def test_an_existing_topic_is_left_alone(broker):
    signal = StageTopics(EPHEMERAL).signal_topic
    broker.topics = {signal}
    assert _admin().ensure_topic(signal, partitions=1, replication_factor=3) is False
    assert broker.creates == []


def test_a_topic_created_concurrently_counts_as_existing(broker):
    signal = StageTopics(EPHEMERAL).signal_topic
    broker.created_concurrently = {signal}
    assert _admin().ensure_topic(signal, partitions=1, replication_factor=3) is False
    assert len(broker.creates) == 1


# -- the Connect group's state -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "state"),
    [
        ([], None),
        ([connect_group("Stable", group_id="connect-cluster")], None),
        ([connect_group("Stable", group_id="connect-cluster"), connect_group("PreparingRebalance")],
         "PreparingRebalance"),
        ([connect_group("Empty")], "Empty"),
        # A broker before ListGroups v4 does not say the state: the group exists, its state is unknown.
        ([connect_group("Stable", version=2)], "Unknown"),
        ([connect_group(None)], "Unknown"),
    ],
)
def test_the_connect_group_state_is_read_from_the_listed_groups(broker, groups, state):
    broker.group_answers = [groups]
    assert _admin().connect_group_state(EPHEMERAL) == state


def test_a_group_of_unknown_state_blocks_the_deletion(broker):
    broker.topics, broker.group_answers = set(OWN), [[connect_group("Stable", version=2)]]
    with pytest.raises(TopicDeletionRefused, match=f"group {GROUP} is still Unknown after 0s"):
        _admin().delete_stage_topics(EPHEMERAL, workers_gone_within=0)
    assert broker.deletes == []


# -- waiting for the stage's workers to leave their group ----------------------------------------------------


def test_the_refusal_while_workers_run_says_why_topics_wait(broker, clock):
    broker.topics, broker.group_answers = set(OWN), [[connect_group("Stable")]]
    with pytest.raises(TopicDeletionRefused) as refused:
        _admin().delete_stage_topics(EPHEMERAL)
    assert str(refused.value) == (
        "Refusing to delete stage `feat-guard`'s topics: its Connect workers are still running (group "
        "feat-guard.mgmt.connect.wms-connector-feat-guard is still Stable after 90s). A live worker recreates its "
        "internal topics, so topics are deleted only after the Connect service is gone."
    )
    assert sum(clock.slept) == 90 and broker.deletes == []


def test_the_wait_polls_every_two_seconds_and_ends_at_its_deadline(broker, clock):
    broker.topics, broker.group_answers = set(OWN), [[connect_group("Stable")]]
    with pytest.raises(TopicDeletionRefused, match="still Stable after 2s"):
        _admin().delete_stage_topics(EPHEMERAL, workers_gone_within=2.5)
    assert clock.slept == [2.0, 0.5]  # the last sleep is only what is left of the wait
    assert broker.group_polls == 3 and broker.deletes == []


def test_the_deletion_goes_ahead_once_the_workers_have_left(broker, clock):
    broker.topics = set(OWN)
    broker.group_answers = [[connect_group("Stable")], [connect_group("PreparingRebalance")], [connect_group("Dead")]]
    report = _admin().delete_stage_topics(EPHEMERAL, workers_gone_within=60)
    assert clock.slept == [2.0, 2.0] and sorted(report.deleted) == sorted(OWN)


@pytest.mark.parametrize("groups", [[], [connect_group("Empty")], [connect_group("Dead")]])
def test_a_stage_without_live_workers_does_not_wait(broker, clock, groups):
    broker.topics, broker.group_answers = set(OWN), [groups]
    report = _admin().delete_stage_topics(EPHEMERAL)
    assert clock.slept == [] and broker.group_polls == 1 and sorted(report.deleted) == sorted(OWN)


# -- what a deletion reports ---------------------------------------------------------------------------------


def test_the_report_tells_deleted_absent_and_failed_topics_apart(broker):
    present, gone, refused = DATA[0], DATA[1], DATA[2]
    broker.topics = {present, refused, "shared.orders"}
    broker.delete_errors = {refused: TOPIC_DELETION_DISABLED}
    report = _admin().delete_stage_topics(EPHEMERAL, [present, gone, refused], workers_gone_within=0)
    assert report.to_dict() == {
        "stage": "feat-guard",
        "deleted": [present],
        "already_absent": [gone],
        "failed": {refused: "Topic deletion is disabled."},
    }
    assert broker.topics == {refused, "shared.orders"}


@pytest.mark.parametrize("version", [1, 4])  # DeleteTopics before v5 carries no error message
def test_a_failure_without_a_message_is_reported_by_its_error_code(broker, version):
    broker.topics, broker.delete_version = {DATA[0]}, version
    broker.delete_errors = {DATA[0]: TOPIC_DELETION_DISABLED}
    report = _admin().delete_stage_topics(EPHEMERAL, [DATA[0]], workers_gone_within=0)
    assert report.failed == {DATA[0]: "Kafka error code 73"} and report.deleted == []


def test_the_deletion_summary_is_logged(broker, caplog):
    caplog.set_level(logging.INFO, logger="wms_connector.topic_admin")
    broker.topics = {DATA[0], DATA[1], DATA[3]}
    broker.delete_errors = {DATA[3]: TOPIC_DELETION_DISABLED}
    _admin().delete_stage_topics(EPHEMERAL, DATA[:4], workers_gone_within=0)
    assert caplog.messages == ["stage feat-guard: deleted 2 topic(s), 1 already absent, 1 failed"]


def test_an_empty_report_has_every_field():
    assert CleanupReport(stage="feat-guard").to_dict() == {
        "stage": "feat-guard", "deleted": [], "already_absent": [], "failed": {}
    }


# -- the delete requests -------------------------------------------------------------------------------------


def test_topics_are_deleted_in_batches_with_a_minute_for_each_by_default(broker):
    broker.topics = set(OWN)
    _admin(request_timeout_ms=10_000).delete_stage_topics(EPHEMERAL, batch_size=4, workers_gone_within=0)
    own = sorted(OWN)
    assert broker.deletes == [(own[0:4], 60_000), (own[4:8], 60_000), (own[8:], 60_000)]


def test_each_delete_request_gets_the_timeout_asked_for(broker):
    broker.topics = set(OWN)
    _admin().delete_stage_topics(EPHEMERAL, timeout_ms=5_000, workers_gone_within=0)
    assert broker.deletes == [(sorted(OWN), 5_000)]


@pytest.mark.parametrize("batch_size", [0, -1])
def test_a_batch_size_below_one_is_refused_before_anything_is_asked(broker, batch_size):
    broker.topics = set(OWN)
    with pytest.raises(ValueError) as refused:
        _admin().delete_stage_topics(EPHEMERAL, batch_size=batch_size, workers_gone_within=0)
    assert str(refused.value) == f"batch_size must be at least 1, got {batch_size}."
    assert broker.group_polls == 0 and broker.deletes == []


# -- the guard's refusals, word for word ---------------------------------------------------------------------

FAMILIES = (
    "A stage deletes only its own topics "
    "(feat-guard.aws.wms.cdc., feat-guard.__debezium-heartbeat., feat-guard.mgmt.connect.wms-connector-feat-guard.…)."
)


def _foreign(count: int) -> list[str]:
    return [f"shared.t{i:02}" for i in range(count)]


@pytest.mark.parametrize(
    ("topics", "shown"),
    [
        (["shared.orders"], "1 topic(s) that are not stage `feat-guard`'s own: 'shared.orders'."),
        # Sorted, and each named once however often it is given.
        (["z.b", *OWN, "a.c", "z.b"], "2 topic(s) that are not stage `feat-guard`'s own: 'a.c', 'z.b'."),
        (
            _foreign(10),
            "10 topic(s) that are not stage `feat-guard`'s own: 'shared.t00', 'shared.t01', 'shared.t02', "
            "'shared.t03', 'shared.t04', 'shared.t05', 'shared.t06', 'shared.t07', 'shared.t08', 'shared.t09'.",
        ),
        (
            _foreign(11),
            "11 topic(s) that are not stage `feat-guard`'s own: 'shared.t00', 'shared.t01', 'shared.t02', "
            "'shared.t03', 'shared.t04', 'shared.t05', 'shared.t06', 'shared.t07', 'shared.t08', 'shared.t09' "
            "and 1 more.",
        ),
        (
            _foreign(25),
            "25 topic(s) that are not stage `feat-guard`'s own: 'shared.t00', 'shared.t01', 'shared.t02', "
            "'shared.t03', 'shared.t04', 'shared.t05', 'shared.t06', 'shared.t07', 'shared.t08', 'shared.t09' "
            "and 15 more.",
        ),
        # kafka-python also deletes by topic id: an id is not one of the stage's names, and is named as such.
        (
            [uuid.UUID("0b7a6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"), "shared.orders"],
            "2 topic(s) that are not stage `feat-guard`'s own: UUID('0b7a6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'), "
            "'shared.orders'.",
        ),
    ],
)
def test_the_refusal_names_the_foreign_topics(topics, shown):
    with pytest.raises(TopicDeletionRefused) as refused:
        check_deletable(EPHEMERAL, topics)
    assert str(refused.value) == f"Refusing to delete {shown} {FAMILIES}"


@pytest.mark.parametrize(("stage", "kind"), [("feat-guard", "str"), ({"name": "feat-guard"}, "dict")])
def test_the_guard_names_what_it_got_instead_of_a_stage(stage, kind):
    with pytest.raises(TopicDeletionRefused) as refused:
        check_deletable(stage, [])
    assert str(refused.value) == f"Topic deletion needs a validated Stage, got {kind}."


def test_a_family_prefix_alone_is_not_a_topic_under_it():
    for family in ("feat-guard.aws.wms.cdc.", "feat-guard.__debezium-heartbeat.",
                   "feat-guard.mgmt.connect.wms-connector-feat-guard."):
        assert not is_stage_topic(EPHEMERAL, family)
        assert is_stage_topic(EPHEMERAL, family + "x")

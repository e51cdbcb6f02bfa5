"""Topic cleanup on the real local broker: it holds topics of main, val, production, the stage being cleaned,
stages named like it, the live stage of the fixture and unrelated teams; only the cleaned stage's go."""

from __future__ import annotations

import threading
import time

import pytest
from kafka import KafkaConsumer
from kafka.admin import NewTopic

from devtools.local.kafka_tools import kafka_admin
from tests.integration.local_admin import local_admin, wait_until
from wms_connector.admin.protocol import handle
from wms_connector.providers.topic_cleanup import StageTopicCleanupProvider
from wms_connector.providers.transport import direct_spec
from wms_connector.stages import NAMED_STAGES, Stage
from wms_connector.topic_admin import TopicAdmin, TopicDeletionRefused
from wms_connector.topics import StageTopics

pytestmark = pytest.mark.integration

STAGE = Stage.parse("feat")
LOOKALIKES = ("feat-2", "feat2", "fea", "feat-feat", "x-feat", "featx")
# Debezium may add topics under the stage's own families (e.g. the transaction topic).
STAGE_EXTRAS = ("feat.aws.wms.cdc.transaction", "feat.aws.wms.cdc.MMDL.SOME_OTHER_TBL")
# Under the stage's namespace but outside its families: someone else's, kept.
UNRELATED = ("feat.orders", "feat.aws.wms.cdcx", "aws.wms.cdc.feat", "orders.feat.aws.wms.cdc", "feat")


def _topics(stage_name: str) -> set[str]:
    return set(StageTopics(Stage.parse(stage_name)).all_topics)


def _create(admin, names: set[str]) -> None:
    existing = set(admin.list_topics())
    missing = sorted(names - existing)
    if missing:
        admin.create_topics([NewTopic(name, 1, 1) for name in missing], timeout_ms=30_000)
    wait_until(lambda: names <= set(admin.list_topics()), "creating the topics")


@pytest.fixture
def broker_topics(local_stack):
    admin = kafka_admin(local_stack.bootstrap_servers)
    others = set(UNRELATED)
    for name in (*NAMED_STAGES, *LOOKALIKES):
        others |= _topics(name)
    stage_topics = _topics(STAGE.name) | set(STAGE_EXTRAS)
    _create(admin, others | stage_topics)
    try:
        yield admin, stage_topics, others
    finally:
        leftovers = sorted((others | stage_topics) & set(admin.list_topics()))
        if leftovers:
            admin.delete_topics(leftovers, timeout_ms=30_000, raise_errors=False)
        # Deletion is asynchronous; the next test recreates the same names.
        deadline = time.monotonic() + 30
        while (others | stage_topics) & set(admin.list_topics()) and time.monotonic() < deadline:
            time.sleep(0.2)
        admin.close()


def test_cleanup_deletes_exactly_the_stage_topics(local_stack, broker_topics):
    admin, stage_topics, others = broker_topics
    live_stage = set(admin.list_topics()) & _topics(local_stack.stage.name)
    assert live_stage, "the fixture's worker should have created its internal topics"

    cleanup_admin = local_admin(local_stack, stage=STAGE, connect_deadline=10)
    response = handle(cleanup_admin, {"action": "delete_stage_topics", "stage": STAGE.name})
    assert response["ok"], response
    report = response["result"]
    assert sorted(report["deleted"]) == sorted(stage_topics)
    assert report["failed"] == {}

    wait_until(lambda: not set(admin.list_topics()) & stage_topics, "deleted topics leaving the listing")
    remaining = set(admin.list_topics())
    assert others <= remaining
    assert live_stage <= remaining


def test_cleanup_provider_deletes_on_destroy_and_reports(local_stack, broker_topics, capsys):
    admin, stage_topics, others = broker_topics
    props = {
        "stage": STAGE.name,
        "transport": direct_spec(local_stack.connect_url, STAGE, bootstrap_servers=local_stack.bootstrap_servers),
    }
    provider = StageTopicCleanupProvider()
    assert provider.check({}, props).failures == []
    created = provider.create(props)
    assert created.id == "topic-cleanup-feat"
    assert stage_topics <= set(admin.list_topics())  # creating it deletes nothing

    provider.delete(created.id, created.outs)
    reported = capsys.readouterr().err
    for topic in stage_topics:
        assert topic in reported
    assert others <= set(admin.list_topics())


@pytest.mark.parametrize("named", NAMED_STAGES)
def test_named_stage_cleanup_is_refused_where_deletion_happens(local_stack, broker_topics, named):
    admin, _, others = broker_topics
    with TopicAdmin(local_stack.bootstrap_servers) as topics:
        with pytest.raises(TopicDeletionRefused, match="named stage"):
            topics.delete_stage_topics(Stage.parse(named))
        with pytest.raises(TopicDeletionRefused, match="not stage `feat`'s own"):
            topics.delete_stage_topics(STAGE, [*sorted(_topics(STAGE.name)), *sorted(_topics(named))])
    assert others <= set(admin.list_topics())
    assert _topics(STAGE.name) <= set(admin.list_topics())  # a refused batch deletes nothing at all


def test_cleanup_with_nothing_to_delete_is_fine(local_stack):
    with TopicAdmin(local_stack.bootstrap_servers) as topics:
        report = topics.delete_stage_topics(Stage.parse("nothing-here"))
    assert report.deleted == [] and report.failed == {}


def test_cleanup_is_refused_while_the_stages_workers_run(local_stack):
    live = local_stack.stage  # the fixture's worker is running for this stage
    with TopicAdmin(local_stack.bootstrap_servers) as topics:
        assert topics.connect_group_state(live) == "Stable"
        with pytest.raises(TopicDeletionRefused, match="Connect workers are still running.*still Stable after 1s"):
            topics.delete_stage_topics(live, workers_gone_within=1)
        assert topics.connect_group_state(STAGE) is None
    admin = kafka_admin(local_stack.bootstrap_servers)
    try:
        assert set(StageTopics(live).connect_internal_topics) <= set(admin.list_topics())
    finally:
        admin.close()


def test_cleanup_waits_for_workers_that_are_leaving_their_group(local_stack, broker_topics):
    # A member in the stage's worker group, as a worker of a service being deleted would be, leaving a few
    # seconds after the cleanup started.
    admin, stage_topics, others = broker_topics
    member = KafkaConsumer(
        bootstrap_servers=local_stack.bootstrap_servers, group_id=StageTopics(STAGE).connect_group_id
    )
    member.subscribe(["feat.orders"])  # another team's topic: the cleanup leaves it
    leaving = threading.Timer(3.0, member.close)
    with TopicAdmin(local_stack.bootstrap_servers) as topics:
        wait_until(
            lambda: member.poll(timeout_ms=200) is not None and topics.connect_group_state(STAGE) == "Stable",
            "the member joining the stage's worker group",
            timeout=60,
        )
        with pytest.raises(TopicDeletionRefused, match="still running"):
            topics.delete_stage_topics(STAGE, workers_gone_within=0)
        leaving.start()
        report = topics.delete_stage_topics(STAGE, workers_gone_within=60)
    leaving.join()
    assert sorted(report.deleted) == sorted(stage_topics)
    assert others <= set(admin.list_topics())

"""Property tests for the never-delete guard over generated stage names and topic sets."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wms_connector.stages import NAMED_STAGES, InvalidStageError, Stage
from wms_connector.topic_admin import (
    TopicDeletionRefused,
    check_deletable,
    deletable_topics,
    is_stage_topic,
    stage_topic_families,
)
from wms_connector.topics import StageTopics

_STAGE_TEXT = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?", fullmatch=True)


def _valid(name: str) -> Stage | None:
    try:
        return Stage.parse(name)
    except InvalidStageError:
        return None


ephemeral_stages = _STAGE_TEXT.map(_valid).filter(lambda s: s is not None and s.is_ephemeral)
named_stages = st.sampled_from(NAMED_STAGES).map(Stage.parse)
any_stages = st.one_of(named_stages, ephemeral_stages)

# What turns a stage's name into a relative's: `feat` -> `feat-2`, `feat2`, `feat-x`, … (the usual ones, and any).
lookalike_suffixes = st.one_of(
    st.sampled_from(["-2", "2", "-x", "x", "-" + "a" * 5, "0"]),
    st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True),
)


def _suffix_extras(stage: Stage) -> st.SearchStrategy[str]:
    """Topics Debezium or Connect could add under the stage's own families."""
    return st.builds(
        lambda family, tail: family + tail,
        st.sampled_from(stage_topic_families(stage)),
        st.from_regex(r"[A-Za-z0-9_-]{1,20}(\.[A-Za-z0-9_-]{1,10})?", fullmatch=True),
    )


def _topics_of(stage: Stage) -> set[str]:
    return set(StageTopics(stage).all_topics)


@given(stage=ephemeral_stages)
def test_every_topic_of_an_ephemeral_stage_is_deletable_by_it(stage):
    own = sorted(_topics_of(stage))
    assert check_deletable(stage, own) == own
    assert deletable_topics(stage, own) == own


@given(stage=named_stages, topics=st.lists(st.text(min_size=1, max_size=40), max_size=5))
def test_named_stage_is_always_refused(stage, topics):
    with pytest.raises(TopicDeletionRefused, match="named stage"):
        check_deletable(stage, topics + list(_topics_of(stage)))
    with pytest.raises(TopicDeletionRefused, match="named stage"):
        deletable_topics(stage, _topics_of(stage))
    assert not any(is_stage_topic(stage, t) for t in _topics_of(stage))


@given(stage=ephemeral_stages, other=any_stages, data=st.data())
def test_no_stage_can_delete_another_stages_topics(stage, other, data):
    assume(stage != other)
    others = _topics_of(other)
    if other.is_ephemeral:
        others |= set(data.draw(st.lists(_suffix_extras(other), max_size=5)))
    assert not any(is_stage_topic(stage, t) for t in others)
    with pytest.raises(TopicDeletionRefused):
        check_deletable(stage, [data.draw(st.sampled_from(sorted(others)))])


@given(stage=ephemeral_stages, suffix=lookalike_suffixes, cut=st.integers(min_value=1, max_value=40), data=st.data())
def test_lookalike_stages_are_never_confused(stage, suffix, cut, data):
    # Longer (`feat-2`), shorter (`fea`, any prefix of the name), wrapped (`x-feat`) and doubled names.
    shorter = stage.name[: max(1, len(stage.name) - cut)]
    for name in (stage.name + suffix, shorter, f"x-{stage.name}", f"{stage.name}-{stage.name}"):
        lookalike = _valid(name)
        if lookalike is None or lookalike == stage:
            continue
        theirs = _topics_of(lookalike)
        if lookalike.is_ephemeral:
            theirs |= set(data.draw(st.lists(_suffix_extras(lookalike), max_size=3)))
        assert deletable_topics(stage, theirs | _topics_of(stage)) == sorted(_topics_of(stage))


@given(stage=ephemeral_stages, data=st.data())
def test_mixed_broker_selects_exactly_the_stages_topics(stage, data):
    extras = set(data.draw(st.lists(_suffix_extras(stage), max_size=10)))
    foreign = set(data.draw(st.lists(st.text(min_size=1, max_size=60), max_size=20)))
    for name in NAMED_STAGES:
        foreign |= _topics_of(Stage.parse(name))
    # Topics merely starting with the namespace but outside the stage's families stay (another team's topic).
    foreign |= {f"{stage.name}.orders", f"{stage.name}.aws.wms.cdcx", f"{stage.name}."}
    foreign -= _topics_of(stage) | extras
    broker = foreign | extras | _topics_of(stage)
    selected = deletable_topics(stage, broker)
    assert set(selected) == _topics_of(stage) | extras
    assert not set(selected) & foreign


@given(stage=ephemeral_stages, junk=st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_a_single_foreign_topic_refuses_the_whole_batch(stage, junk):
    junk = [t for t in junk if not is_stage_topic(stage, t)]
    assume(junk)
    with pytest.raises(TopicDeletionRefused, match="not stage"):
        check_deletable(stage, sorted(_topics_of(stage)) + junk)


@settings(max_examples=25)
@given(name=st.sampled_from(["aws", "mgmt", "cdc", "wms", "connect", "debezium-heartbeat", "wms-connector-main"]))
def test_stages_named_like_namespace_segments_own_nothing_of_named_stages(name):
    stage = _valid(name)
    assume(stage is not None)
    for named in NAMED_STAGES:
        assert not any(is_stage_topic(stage, t) for t in _topics_of(Stage.parse(named)))


def test_guard_requires_a_validated_stage():
    with pytest.raises(TopicDeletionRefused, match="validated Stage"):
        check_deletable("feat", ["feat.aws.wms.cdc"])


@given(stage=ephemeral_stages, other=any_stages)
def test_signal_topic_is_deleted_only_with_its_own_ephemeral_stage(stage, other):
    assume(stage != other)
    assert StageTopics(stage).signal_topic in deletable_topics(stage, [StageTopics(stage).signal_topic])
    assert not is_stage_topic(stage, StageTopics(other).signal_topic)
    if other.is_named:
        with pytest.raises(TopicDeletionRefused, match="named stage"):
            check_deletable(other, [StageTopics(other).signal_topic])

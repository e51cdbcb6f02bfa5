"""Properties of the stage model and of every name derived from a stage, over generated stage names."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wms_connector.aws_names import RULES, aws_name
from wms_connector.stages import MAX_STAGE_LENGTH, NAMED_STAGES, RESERVED_STAGES, InvalidStageError, Stage
from wms_connector.topics import StageTopics

_ALNUM = string.ascii_lowercase + string.digits
# Suffixes the program and its components use; each kind is checked with each of them.
SUFFIXES = ("", "alerts", "tasks", "alb", "lambda", "kafka-connect", "connect-execution", "task-stopped", "x" * 40)


# AWS's documented limits for each name, written here from the API references (not read from `RULES`, the table
# under test): (maximum length, the characters allowed, where it is documented).
AWS_DOCUMENTED: dict[str, tuple[int, str, str]] = {
    "ecs-cluster": (255, r"[A-Za-z0-9_-]+", "ECS CreateCluster clusterName"),
    "ecs-service": (255, r"[A-Za-z0-9_-]+", "ECS CreateService serviceName"),
    "task-family": (255, r"[A-Za-z0-9_-]+", "ECS RegisterTaskDefinition family"),
    "iam-role": (64, r"[\w+=,.@-]+", "IAM CreateRole RoleName"),
    "iam-policy": (128, r"[\w+=,.@-]+", "IAM PutRolePolicy PolicyName"),
    "lambda": (64, r"[A-Za-z0-9_-]+", "Lambda CreateFunction FunctionName (a name, not an ARN)"),
    "log-group": (512, r"[A-Za-z0-9_./#-]+", "CloudWatch Logs CreateLogGroup logGroupName"),
    "security-group": (255, r"(?!sg-)[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+", "EC2 CreateSecurityGroup GroupName"),
    "load-balancer": (
        32, r"(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", "ELBv2 CreateLoadBalancer Name"
    ),
    "target-group": (32, r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", "ELBv2 CreateTargetGroup Name"),
    "sns-topic": (256, r"[A-Za-z0-9_-]+", "SNS CreateTopic Name"),
    "event-rule": (64, r"[A-Za-z0-9._-]+", "EventBridge PutRule Name"),
    "dynamodb-table": (255, r"[A-Za-z0-9_.-]{3,}", "DynamoDB CreateTable TableName"),
    "ecr-repository": (256, r"[a-z0-9]+(?:[._-][a-z0-9]+)*", "ECR CreateRepository repositoryName"),
    "alarm": (255, r"[ -~]+", "CloudWatch PutMetricAlarm AlarmName"),
    "dashboard": (255, r"[A-Za-z0-9_-]+", "CloudWatch PutDashboard DashboardName"),
    "metric-namespace": (255, r"[A-Za-z0-9.\-_/#:]+", "CloudWatch PutMetricData Namespace"),
    "dns-label": (63, r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", "RFC 1035 label (Route 53 private zone)"),
}


def _valid(kind: str, name: str) -> bool:
    max_length, pattern, _documented = AWS_DOCUMENTED[kind]
    return len(name) <= max_length and bool(re.fullmatch(pattern, name))


def test_every_kind_of_name_has_its_documented_limit_here() -> None:
    assert set(RULES) == set(AWS_DOCUMENTED)


def _admissible(name: str) -> bool:
    return name not in RESERVED_STAGES


def _stage_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Alphanumeric segments joined by single hyphens, cut or padded to a length in [min_size, max_size]."""
    segments = st.lists(st.text(alphabet=_ALNUM, min_size=1, max_size=12), min_size=1, max_size=8).map("-".join)

    def fit(joined: str, length: int, pad: str) -> str:
        cut = joined[:length].rstrip("-")
        return cut + pad * (length - len(cut))

    return st.builds(fit, segments, st.integers(min_size, max_size), st.sampled_from(_ALNUM))


single_char = st.sampled_from(_ALNUM)
short = _stage_text(2, 12)
long_ = _stage_text(MAX_STAGE_LENGTH - 8, MAX_STAGE_LENGTH)
named = st.sampled_from(NAMED_STAGES)
any_stage_name = st.one_of(named, single_char, short, long_).filter(_admissible)


@st.composite
def look_alike_pair(draw) -> tuple[str, str]:
    """Two stages that differ by a hyphen, a digit or a cut: `feat` / `feat-2` / `feat2` / `fea`."""
    base = draw(st.one_of(named, short, long_))
    variants = [
        base + "-2",
        base + "2",
        base + "-" + draw(short),
        base[:-1] if len(base) > 1 and base[-2] != "-" else base + "x",
        base.replace("-", "", 1) if "-" in base else base + "-a",
        (base[: MAX_STAGE_LENGTH - 1] + ("0" if base[-1] != "0" else "1")),
    ]
    other = draw(st.sampled_from(variants))
    assume(len(other) <= MAX_STAGE_LENGTH and other != base)
    assume(_admissible(base) and _admissible(other))
    return base, other


stage_pairs = st.one_of(
    st.tuples(any_stage_name, any_stage_name).filter(lambda pair: pair[0] != pair[1]),
    look_alike_pair(),
)


def derived_names(stage: Stage) -> dict[tuple[str, str], str]:
    """(kind, suffix) -> name, for every topic and AWS name a stage derives."""
    topics = StageTopics(stage)
    names: dict[tuple[str, str], str] = {("topic", t): t for t in topics.all_topics}
    names[("group", "")] = topics.connect_group_id
    names[("topic.prefix", "")] = topics.topic_prefix
    for kind in RULES:
        for suffix in SUFFIXES:
            names[(kind, suffix)] = aws_name(stage, kind, suffix)
    names[("log-group", "/aws/fargate/")] = aws_name(stage, "log-group", "kafka-connect", prefix="/aws/fargate/")
    return names


def shared_by_design(first: Stage, second: Stage) -> set[str]:
    """Named stages all write the data topics existing consumers read (and Debezium's schema-change topic,
    which is named exactly `topic.prefix`); nothing else may be shared."""
    if first.is_named and second.is_named:
        topics = StageTopics(first)
        return {*topics.data_topics, topics.schema_change_topic, topics.topic_prefix}
    return set()


@settings(max_examples=300)
@given(stage_pairs)
def test_no_name_of_one_stage_equals_another_stages(pair: tuple[str, str]) -> None:
    first, second = (Stage.parse(name) for name in pair)
    ours, theirs = derived_names(first), derived_names(second)
    shared = shared_by_design(first, second)
    their_topics = set(StageTopics(second).all_topics)
    for key, name in ours.items():
        if name in shared:
            continue
        if key[0] == "topic":
            assert name not in their_topics, (pair, name)
        else:
            assert name != theirs[key], (pair, key, name)


def test_named_stages_share_only_the_consumer_facing_topics() -> None:
    main, val = Stage.parse("main"), Stage.parse("val")
    common = set(StageTopics(main).all_topics) & set(StageTopics(val).all_topics)
    assert common == {*StageTopics(main).data_topics, StageTopics(main).schema_change_topic}


@settings(max_examples=300)
@given(stage_pairs)
def test_no_ephemeral_namespace_is_a_prefix_of_another_stages_topics(pair: tuple[str, str]) -> None:
    for owner_name, other_name in (pair, pair[::-1]):
        owner, other = Stage.parse(owner_name), Stage.parse(other_name)
        if not owner.is_ephemeral:
            continue
        namespace = owner.topic_namespace
        other_topics = StageTopics(other)
        for topic in (*other_topics.all_topics, other_topics.connect_group_id, other_topics.heartbeat_prefix):
            assert not topic.startswith(namespace), (owner_name, topic)


@settings(max_examples=300)
@given(any_stage_name)
def test_every_aws_name_passes_its_rule(name: str) -> None:
    stage = Stage.parse(name)
    for (kind, _suffix), derived in derived_names(stage).items():
        if kind in AWS_DOCUMENTED:
            assert _valid(kind, derived), (kind, derived, AWS_DOCUMENTED[kind][2])
    assert aws_name(stage, "log-group", "kafka-connect", prefix="/aws/fargate/").startswith("/aws/fargate/")


_KAFKA_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")


@settings(max_examples=200)
@given(any_stage_name)
def test_admissible_names_parse_and_are_classified(name: str) -> None:
    stage = Stage.parse(name)
    assert stage.is_named == (name in NAMED_STAGES)
    assert stage.topic_namespace == ("" if stage.is_named else f"{name}.")
    for topic in StageTopics(stage).all_topics:
        assert topic.startswith(stage.topic_namespace)
        assert _KAFKA_TOPIC.fullmatch(topic), topic


@given(any_stage_name)
def test_long_names_are_shortened_deterministically(name: str) -> None:
    stage = Stage.parse(name)
    assert aws_name(stage, "load-balancer") == aws_name(Stage.parse(name), "load-balancer")


# ---------------------------------------------------------------------------------------------------------------
# Invalid names: each generated with exactly one defect, each rejected with a message naming that rule.

_EXCLUDED_ASCII = sorted(set(string.printable) - set(_ALNUM + "-") - set(string.ascii_uppercase))
excluded_char = st.sampled_from([*_EXCLUDED_ASCII, "é", "ß", "€", "\u00a0", "✓"])


def _rejected(name: str) -> str:
    with pytest.raises(InvalidStageError) as caught:
        Stage.parse(name)
    message = str(caught.value)
    assert repr(name) in message
    assert "lowercase letters" in message  # every message also says what is allowed
    return message


@given(short, excluded_char, st.integers(min_value=1, max_value=11))
def test_excluded_characters_are_rejected_naming_the_character(base: str, char: str, position: int) -> None:
    position = min(position, len(base) - 1)
    name = base[:position] + char + base[position:]
    message = _rejected(name)
    assert f"contains {char!r}" in message or f"contains '{char}'" in message


@given(short, st.integers(min_value=0, max_value=11))
def test_uppercase_is_rejected(base: str, position: int) -> None:
    letters = [i for i, c in enumerate(base) if c.isalpha()]
    assume(letters)
    index = letters[position % len(letters)]
    name = base[:index] + base[index].upper() + base[index + 1 :]
    assert "uppercase" in _rejected(name)


@given(st.integers(min_value=MAX_STAGE_LENGTH + 1, max_value=300), single_char)
def test_too_long_is_rejected(length: int, char: str) -> None:
    assert f"{length} characters long (at most {MAX_STAGE_LENGTH})" in _rejected(char * length)


@given(short, st.sampled_from(["leading", "trailing", "both"]))
def test_leading_or_trailing_hyphen_is_rejected(base: str, where: str) -> None:
    name = {"leading": "-" + base, "trailing": base + "-", "both": "-" + base + "-"}[where]
    assume(len(name) <= MAX_STAGE_LENGTH)
    assert "hyphen" in _rejected(name)


@given(short, short)
def test_double_hyphen_is_rejected(left: str, right: str) -> None:
    assume(len(left) + len(right) + 2 <= MAX_STAGE_LENGTH)
    assert "contains '--'" in _rejected(f"{left}--{right}")


@pytest.mark.parametrize("name", sorted(RESERVED_STAGES))
def test_reserved_names_are_rejected_with_the_reason(name: str) -> None:
    message = _rejected(name)
    assert "reserved" in message and RESERVED_STAGES[name] in message


def test_empty_and_non_string_names_are_rejected() -> None:
    assert "empty" in _rejected("")
    with pytest.raises(InvalidStageError, match="must be a string"):
        Stage.parse(None)


def test_look_alikes_get_distinct_load_balancer_names() -> None:
    names = {aws_name(Stage.parse(s), "load-balancer") for s in ("feat", "feat-2", "feat2", "feat-20", "feat20")}
    assert len(names) == 5
    assert all(_valid("load-balancer", n) for n in names)


# The whole refusal, word for word: it is what a person who picked the stack name reads, and each reason names the
# rule and why it exists.
_MUST_BE = (
    "A stage must be 1-64 characters of lowercase letters a-z, digits 0-9 and single hyphens, starting and ending "
    "with a letter or digit; main, val, production are the named stages, any other valid name is ephemeral."
)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "it is empty"),
        ("a" * 65, "it is 65 characters long (at most 64)"),
        (
            "feat.x",
            "it contains '.': a stage's topic namespace is `<stage>.`, so a dot would let one stage's namespace be a "
            "prefix of another's (stage `feat` would own `feat.x.` topics)",
        ),
        (
            "feat_x",
            "it contains '_': Kafka treats '.' and '_' as colliding in metric names, and AWS load balancer, target "
            "group and DNS names do not allow '_'",
        ),
        (
            "Feat",
            "it contains uppercase letters: DNS names, ECR repositories and load balancers are case-insensitive or "
            "lowercase-only, so `Feat` and `feat` would collide",
        ),
        ("a@b!c@", "it contains '!', '@'"),
        ("feat x", "it contains ' '"),
        (
            "feat--x",
            "it contains '--': ECR repository names allow only single separators, and DNS reserves '--' in labels "
            "(punycode)",
        ),
        ("-feat", "it starts or ends with a hyphen"),
        ("feat-", "it starts or ends with a hyphen"),
        (
            "aws",
            "`aws` is reserved: its topic namespace `aws.` would cover the named stages' data topics `aws.wms.cdc.*`",
        ),
    ],
)
def test_each_refusal_says_exactly_what_is_wrong_and_what_is_allowed(name: str, reason: str) -> None:
    with pytest.raises(InvalidStageError) as caught:
        Stage.parse(name)
    assert str(caught.value) == f"Invalid stage (stack name) {name!r}: {reason}. {_MUST_BE}"


@pytest.mark.parametrize(("value", "type_name"), [(None, "NoneType"), (7, "int"), (b"feat", "bytes")])
def test_a_stage_that_is_not_text_is_refused_naming_what_it_was(value: object, type_name: str) -> None:
    with pytest.raises(InvalidStageError) as caught:
        Stage.parse(value)
    assert str(caught.value) == f"Stage must be a string, got {type_name}."

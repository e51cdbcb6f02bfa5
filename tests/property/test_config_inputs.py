"""Property tests for the two ways configuration comes in.

Stack config: whatever a key is given (wrong types, integers of thousands of digits, JSON nested thousands deep,
huge strings, well-formed values), a value the key's rule refuses ends in SettingsError naming the key, never any
other Python error and never a success; a value it takes is loaded as the rule reads it (or, for the keys that a
rule across keys involves, refused naming the key).

The Lambdas' environment: every value the stack also checks is accepted exactly when the stack would accept the
same value (nothing trimmed, case-folded or loosened into validity), and a refusal names the variable.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_health_config import GOOD
from wms_connector import kafka_settings
from wms_connector.health import config as c
from wms_connector.lambda_env import LambdaEnvironmentError
from wms_connector.secrets_lookup import SecretError, parse_broker_string
from wms_connector.settings import SettingsError, known_keys, load_settings
from wms_connector.stages import InvalidStageError, Stage

KEYS = sorted(known_keys())

_json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
json_like = st.recursive(
    _json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
huge_numbers = st.integers(min_value=4300, max_value=20000).map(lambda digits: 10**digits - 1)
huge_digit_strings = st.integers(min_value=13, max_value=6000).map(lambda digits: "9" * digits)
deep_json_text = st.integers(min_value=500, max_value=50_000).map(lambda depth: "[" * depth + "]" * depth)
deep_objects = st.integers(min_value=500, max_value=5000).map(
    lambda depth: json.loads('{"a":' * min(depth, 900) + "1" + "}" * min(depth, 900))
)
padded = st.sampled_from(["3", "10", "true", "flat", "us-east-1", "[]", "{}"]).flatmap(
    lambda text: st.sampled_from([f" {text}", f"{text} ", f"\t{text}\n"])
)
junk = json_like | huge_numbers | huge_digit_strings | deep_json_text | deep_objects | padded | st.text(max_size=3000)
# Well-formed values of every kind a key takes (whole numbers as numbers and as text, flags, names, lists, the
# connector's options), so that many values are valid for the key they meet and the loading must succeed.
plausible = (
    st.integers(min_value=-10, max_value=100_000)
    | st.integers(min_value=-10, max_value=100_000).map(str)
    | st.sampled_from([0, 1, 3, 7, 14, 30, 256, 512, 1024, 2048, 4096, 60_000, 120_000, 900_000, 86_400_000])
    | st.booleans()
    | st.sampled_from([
        "true", "false", "TRUE", "us-east-1", "eu-west-2", "us-gov-west-1", "wms", "wms/team", "sg-0123abcd",
        '["pl-0123abcd"]', "pl-0123abcd,pl-4567cdef", '["10.0.0.0/8"]', "10.1.0.0/16,10.2.0.0/16", ["10.3.0.0/16"],
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/wms/connect:1.2.3", "{}", {"recordFormat": "flat"},
        '{"state": "paused"}', {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"},
    ])
)
# Junk that no key takes: numbers past every range (and not a string), lists nested past any use, objects of an
# unknown option nested hundreds deep. (Long digit strings are a valid secretRoot, and padded JSON is still the
# same JSON for the connector key, so those are in `junk` only.)
never_valid = huge_numbers | deep_json_text | deep_objects

# Values each key takes, written from docs/configuration.md (not read from the parsers under test): the whole
# numbers at and inside each documented range, as a number and as the text Pulumi hands over.
def _whole(low: int, high: int) -> list[object]:
    return [low, high, str(low), str(high), str((low + high) // 2)]


VALID: dict[str, list[object]] = {
    "taskCpu": [256, "512", "1024", 2048, "4096", 8192, "16384"],
    "taskMemory": _whole(512, 122880),
    "connectCpu": _whole(128, 16384),
    "connectMemory": _whole(1024, 122880),
    "heapPercent": _whole(10, 90),
    "desiredCount": _whole(0, 4),
    "logRetentionDays": [1, "3", "14", 30, "365", "3653"],
    "region": ["us-east-1", "us-west-2", "eu-central-1", "us-gov-west-1"],
    "secretRoot": ["wms", "wms/team-a", "a_b+c=d.e@f-g/h"],
    "image": ["123456789012.dkr.ecr.us-east-1.amazonaws.com/wms/connect:1.2.3",
              "registry.example:5000/team/connect@sha256:" + "a" * 64],
    "healthCheckGraceSeconds": _whole(600, 7200),
    "ecsExec": [True, False, "true", "false"],
    "oracleCidrs": ['["10.0.0.0/8"]', "10.1.0.0/16,10.2.0.0/16", ["192.168.10.0/24"]],
    "oraclePort": _whole(1, 65535),
    "kafkaCidrs": ['["10.20.0.0/16"]', "172.16.0.0/12", ["10.30.1.0/24", "10.30.2.0/24"]],
    "awsEndpointSecurityGroup": ["sg-0123abcd", "sg-0123456789abcdef0"],
    "awsPrefixLists": ['["pl-0123abcd"]', "pl-0123abcd,pl-0123456789abcdef0"],
    "connectReplicationFactor": _whole(1, 5),
    "healthScheduleMinutes": _whole(1, 60),
    "restartLimit": _whole(1, 10),
    "restartWindowMinutes": _whole(10, 1440),
    "lagAlarmThresholdMs": _whole(1000, 86_400_000),
    "lagAlarmPeriods": _whole(1, 24),
    "healthMissingRuns": _whole(1, 6),
    "notRunningRuns": _whole(1, 12),
    "disconnectedAlarmPeriods": _whole(1, 24),
    "unknownTopicAlarmThreshold": _whole(1, 1000),
    "retriedErrorAlarmThreshold": _whole(1, 1000),
    "logAlarmPeriodMinutes": _whole(1, 60),
    "repairDrift": [True, False, "true", "false"],
    "freshnessAlarmThresholdMs": _whole(60_000, 86_400_000),
    "freshnessAlarmPeriods": _whole(1, 24),
    "archiveLogRetentionHours": _whole(1, 8760),
    "runwayAlarmPercent": _whole(10, 95),
    "heapAlarmPercent": _whole(50, 99),
    "heapAlarmPeriods": _whole(1, 24),
    # The documented top (1 TiB) as text is in test_the_documented_top_pga_threshold_is_taken_as_pulumi_passes_it.
    "pgaAlarmBytes": [0, 1_099_511_627_776, "0", "2000000000", "999999999999"],
    "databaseProbe": [True, False, "true", "false"],
    "connector": ["{}", {"recordFormat": "flat"}, '{"state": "paused"}', {"snapshotMode": "no_data"}],
}


def test_every_key_has_values_it_takes_here():
    assert sorted(VALID) == KEYS


def test_the_documented_top_pga_threshold_is_taken_as_pulumi_passes_it():
    loaded = load_settings(Stage.parse("feat-x"), {"pgaAlarmBytes": "1099511627776"})
    assert loaded.capture.pga_alarm_bytes == 1_099_511_627_776


# Keys whose value, valid alone, can still be refused by a rule across keys against the stage's defaults: the
# Fargate task size and the heap (taskCpu, taskMemory, connectCpu, connectMemory, heapPercent), the restart window
# against the schedule, the endpoint group and the prefix lists that go together, and the freshness threshold
# against the connector's heartbeat.
CROSS_CHECKED = frozenset({
    "taskCpu", "taskMemory", "connectCpu", "connectMemory", "heapPercent",
    "restartWindowMinutes", "healthScheduleMinutes",
    "awsEndpointSecurityGroup", "awsPrefixLists",
    "freshnessAlarmThresholdMs", "connector",
})
# Whatever a malformed value makes a parser raise; the loader must turn each into a SettingsError.
_REFUSALS = (SettingsError, ValueError, TypeError, RecursionError, OverflowError, MemoryError)


def _parsed_alone(key: str, value: object) -> tuple[bool, object]:
    """(accepted, parsed value) by the key's own rule, the value on its own (the rules have their tests in
    tests/unit/test_settings.py); any other exception propagates and fails the test."""
    try:
        return True, known_keys()[key][1].parse(key, value)
    except _REFUSALS:
        return False, None


def _loaded(settings, key: str) -> object:
    section, config_key = known_keys()[key]
    return getattr(getattr(settings, section), config_key.field)


def _names(error: SettingsError, key: str) -> bool:
    return f"wms-connector:{key}" in str(error) or key in str(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=never_valid)
def test_any_junk_for_any_key_ends_in_settings_error_naming_the_key(key, value):
    with pytest.raises(SettingsError) as refused:
        load_settings(Stage.parse("main"), {key: value})
    assert _names(refused.value, key)
    assert len(str(refused.value)) < 4000


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=st.sampled_from(KEYS).flatmap(lambda key: st.tuples(
    st.just(key), junk | plausible | st.sampled_from(VALID[key])
)))
def test_any_value_for_any_key_loads_as_its_rule_reads_it_or_ends_in_settings_error_naming_the_key(pair):
    key, value = pair
    accepted, parsed = _parsed_alone(key, value)
    if any(value == valid and type(value) is type(valid) for valid in VALID[key]):
        assert accepted, f"{key} = {value!r}: documented as valid, refused by its rule"
    try:
        loaded = load_settings(Stage.parse("main"), {key: value})
    except SettingsError as error:
        # Refused: its own rule refuses it, or (valid alone) a rule across keys does.
        assert not accepted or key in CROSS_CHECKED, (key, value, str(error))
        assert _names(error, key)
        assert len(str(error)) < 4000
    else:
        assert accepted, f"{key} = {value!r} was loaded, but its rule refuses it"
        assert _loaded(loaded, key) == parsed


def _config_key(raw_key: str) -> str | None:
    """The key a raw stack config key stands for: `<key>` or `wms-connector:<key>` of a known key, else None."""
    namespace, sep, rest = raw_key.partition(":")
    key = rest if sep and namespace == "wms-connector" else None if sep else raw_key
    return key if key in known_keys() else None


# Keys that no rule across keys involves: any mix of their valid values must load.
_ALONE = sorted(set(KEYS) - CROSS_CHECKED)
valid_mappings = st.lists(st.sampled_from(_ALONE), unique=True, max_size=5).flatmap(
    lambda keys: st.fixed_dictionaries({key: st.sampled_from(VALID[key]) for key in keys})
)


@settings(max_examples=100, deadline=None)
@given(overrides=valid_mappings)
def test_a_mapping_of_valid_values_loads_each_as_given(overrides):
    loaded = load_settings(Stage.parse("feat-x"), overrides)
    for key, value in overrides.items():
        accepted, parsed = _parsed_alone(key, value)
        assert accepted, f"{key} = {value!r}: documented as valid, refused by its rule"
        assert _loaded(loaded, key) == parsed


@settings(max_examples=100, deadline=None)
@given(overrides=st.dictionaries(st.text(max_size=30) | st.sampled_from(KEYS), junk | plausible, max_size=4)
       | valid_mappings)
def test_any_junk_mapping_ends_in_settings_error_and_a_valid_one_loads(overrides):
    values = {_config_key(raw_key): value for raw_key, value in overrides.items()}
    verdicts = {key: _parsed_alone(key, value) for key, value in values.items() if key is not None}
    junk_in_it = None in values or not all(accepted for accepted, _ in verdicts.values())
    try:
        loaded = load_settings(Stage.parse("feat-x"), overrides)
    except SettingsError as error:
        assert junk_in_it or CROSS_CHECKED & set(values), (overrides, str(error))
    else:
        assert not junk_in_it, f"{overrides!r} was loaded, but it holds an unknown key or a refused value"
        assert {key: _loaded(loaded, key) for key in verdicts} == {key: parsed for key, (_, parsed) in verdicts.items()}


# -- the Lambdas' environment ----------------------------------------------------------------------------------

# A complete, valid health-check environment; each property below varies one variable of it.
BASE = GOOD


def _stack_accepts_stage(value: str) -> bool:
    try:
        Stage.parse(value)
    except InvalidStageError:
        return False
    return True


def _stack_accepts_setting(key: str):
    def accepts(value: str) -> bool:
        try:
            known_keys()[key][1].parse(key, value)
        except SettingsError:
            return False
        return True

    return accepts


def _stack_accepts_brokers(value: str) -> bool:
    # The stack passes on the brokerString secret as it parses it: `host:port,…` exactly.
    try:
        return parse_broker_string("brokerString", value).bootstrap_servers == value
    except SecretError:
        return False


STACK_RULES = {
    c.STAGE: _stack_accepts_stage,
    c.SECURITY_PROTOCOL: kafka_settings.is_security_protocol,
    c.RESTART_LIMIT: _stack_accepts_setting("restartLimit"),
    c.RESTART_WINDOW_MINUTES: _stack_accepts_setting("restartWindowMinutes"),
    c.NOT_RUNNING_RUNS: _stack_accepts_setting("notRunningRuns"),
    c.BOOTSTRAP_SERVERS: _stack_accepts_brokers,
}
SAMPLES = {
    c.STAGE: ["main", "feature-x", "a"],
    c.SECURITY_PROTOCOL: ["SSL", "PLAINTEXT"],
    c.RESTART_LIMIT: ["1", "3", "10", "11", "0"],
    c.RESTART_WINDOW_MINUTES: ["10", "60", "1440", "9"],
    c.NOT_RUNNING_RUNS: ["1", "3", "12", "13"],
    c.BOOTSTRAP_SERVERS: ["b-1.msk.example:9094,b-2.msk.example:9094", "127.0.0.1:9092"],
}


def _variants(name: str):
    good = st.sampled_from(SAMPLES[name])
    return (
        good
        | good.map(lambda v: f" {v}")
        | good.map(lambda v: f"{v} ")
        | good.map(str.lower)
        | good.map(str.upper)
        | good.map(lambda v: v.replace(",", ", "))
        | st.text(max_size=30)
        | st.from_regex(r"-?\d{1,20}", fullmatch=True)
    ).filter(bool)


@pytest.mark.parametrize("name", sorted(STACK_RULES))
def test_the_lambda_environment_accepts_exactly_what_the_stack_would(name):
    @settings(max_examples=150, deadline=None)
    @given(value=_variants(name))
    def check(value):
        try:
            c.HealthConfig.from_env({**BASE, name: value})
            accepted = True
        except LambdaEnvironmentError as error:
            accepted = False
            assert str(error).startswith(f"{name}:"), str(error)
        assert accepted == STACK_RULES[name](value), (name, value)

    check()

"""Property tests for the two ways configuration comes in.

Stack config: whatever junk a key is given (wrong types, integers of thousands of digits, JSON nested thousands
deep, huge strings), loading the settings either succeeds or raises SettingsError naming the key, never any other
Python error.

The Lambdas' environment: every value the stack also checks is accepted exactly when the stack would accept the
same value (nothing trimmed, case-folded or loosened into validity), and a refusal names the variable.
"""

from __future__ import annotations

import contextlib
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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=junk)
def test_any_junk_for_any_key_ends_in_settings_error_naming_the_key(key, value):
    try:
        load_settings(Stage.parse("main"), {key: value})
    except SettingsError as error:
        assert f"wms-connector:{key}" in str(error) or key in str(error)
        assert len(str(error)) < 4000


@settings(max_examples=100, deadline=None)
@given(overrides=st.dictionaries(st.text(max_size=30) | st.sampled_from(KEYS), junk, max_size=4))
def test_any_junk_mapping_ends_in_settings_error(overrides):
    with contextlib.suppress(SettingsError):
        load_settings(Stage.parse("feat-x"), overrides)


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

"""Typed stage settings: defaults per stage, overrides from stack config, and every kind of bad value."""

from __future__ import annotations

import pytest

from wms_connector.settings import (
    FARGATE_TASK_SIZES,
    LOG_RETENTION_DAYS,
    MIN_NON_HEAP_MIB,
    SECTIONS,
    SettingsError,
    known_keys,
    load_settings,
    stage_defaults,
)
from wms_connector.stages import Stage


def load(stage: str = "main", aws_region: str | None = None, **overrides):
    return load_settings(Stage.parse(stage), overrides, aws_region=aws_region)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("main", (1024, 3072, 512, 2560)),
        ("val", (1024, 3072, 512, 2560)),
        ("production", (2048, 6144, 2048, 4096)),
        ("feature-login", (1024, 3072, 512, 2560)),
    ],
)
def test_sizing_defaults_per_stage_and_ephemeral_takes_mains(stage, expected):
    sizing = load(stage).sizing
    assert (sizing.task_cpu, sizing.task_memory, sizing.connect_cpu, sizing.connect_memory) == expected
    assert sizing.desired_count == 1


def test_other_defaults():
    settings = load("production")
    assert settings.region == "us-east-1"
    assert settings.deployment.secret_root == "wms"
    assert settings.deployment.image is None
    assert settings.deployment.health_check_grace_seconds >= 600
    assert settings.logs.retention_days == 90
    assert settings.kafka.connect_replication_factor == 3
    assert settings.network.oracle_port == 1521
    assert settings.network.kafka_cidrs == ()
    assert set(stage_defaults()) == {"main", "val", "production"}


def test_every_default_is_itself_valid():
    for settings in stage_defaults().values():
        for name in SECTIONS:
            getattr(settings, name).check()


def test_overrides_as_the_engine_hands_them_over_strings_and_json():
    settings = load(
        "feat-a",
        **{
            "wms-connector:taskCpu": "2048",
            "taskMemory": "8192",
            "connectCpu": "1024",
            "connectMemory": "6144",
            "heapPercent": "75",
            "desiredCount": "2",
            "logRetentionDays": "30",
            "secretRoot": "mmdl",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/wms/connect:1.2.3",
            "oracleCidrs": '["10.10.0.0/16", "192.168.4.0/24"]',
            "kafkaCidrs": "10.30.0.0/16",
            "healthCheckGraceSeconds": 900,
        },
    )
    assert settings.sizing.task_cpu == 2048 and settings.sizing.task_memory == 8192
    assert settings.sizing.heap_mib == 6144 * 75 // 100
    assert settings.sizing.desired_count == 2
    assert settings.logs.retention_days == 30
    assert settings.deployment.secret_root == "mmdl"
    assert settings.deployment.image.endswith(":1.2.3")
    assert settings.network.oracle_cidrs == ("10.10.0.0/16", "192.168.4.0/24")
    assert settings.network.kafka_cidrs == ("10.30.0.0/16",)
    assert settings.deployment.health_check_grace_seconds == 900


def test_every_key_is_declared_once_and_known():
    keys = known_keys()
    assert {"taskCpu", "taskMemory", "connectCpu", "connectMemory", "heapPercent", "desiredCount",
            "logRetentionDays", "secretRoot", "region", "image"} <= set(keys)


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"taskCpu": "1000"}, "taskCpu", "one of 256, 512, 1024, 2048, 4096, 8192, 16384"),
        ({"taskCpu": "1024", "taskMemory": "1024"}, "taskMemory", "for taskCpu 1024: 2048-8192 in steps of 1024"),
        ({"taskCpu": "256", "taskMemory": "4096"}, "taskMemory", "for taskCpu 256: 512, 1024, 2048"),
        ({"taskCpu": "8192", "taskMemory": "17408"}, "taskMemory", "16384-61440 in steps of 4096"),
        ({"connectCpu": "2048"}, "connectCpu", "at most taskCpu (1024)"),
        ({"connectMemory": "4096"}, "connectMemory", "at most taskMemory (3072)"),
        ({"heapPercent": "90"}, "heapPercent", f"so that {MIN_NON_HEAP_MIB} MiB stay outside the heap"),
        ({"heapPercent": "10"}, "heapPercent", "a heap of at least 512 MiB"),
        ({"heapPercent": "95"}, "heapPercent", "a whole number from 10 to 90"),
        ({"desiredCount": "-1"}, "desiredCount", "a whole number from 0 to 4"),
        ({"desiredCount": "two"}, "desiredCount", "a whole number from 0 to 4"),
        ({"desiredCount": True}, "desiredCount", "a whole number from 0 to 4"),
        ({"desiredCount": "1.5"}, "desiredCount", "a whole number"),
        ({"logRetentionDays": "10"}, "logRetentionDays", "one of 1, 3, 5, 7, 14, 30"),
        ({"region": "US-East-1"}, "region", "an AWS region name"),
        ({"secretRoot": "/wms/"}, "secretRoot", "separated by single '/'"),
        ({"image": "not an image"}, "image", "an image reference"),
        ({"oracleCidrs": "[\"0.0.0.0/0\"]"}, "oracleCidrs", "each /8 or narrower"),
        ({"oracleCidrs": "10.0.0.1/8"}, "oracleCidrs", "IPv4 CIDR blocks"),
        ({"oracleCidrs": "[]"}, "oracleCidrs", "a non-empty list"),
        ({"oracleCidrs": "[not json"}, "oracleCidrs", "IPv4 CIDR blocks"),
        ({"oraclePort": "70000"}, "oraclePort", "from 1 to 65535"),
        ({"healthCheckGraceSeconds": "300"}, "healthCheckGraceSeconds", "from 600 to 7200"),
        ({"connectReplicationFactor": "0"}, "connectReplicationFactor", "from 1 to 5"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(overrides, key, allowed):
    with pytest.raises(SettingsError) as caught:
        load("main", **overrides)
    message = str(caught.value)
    assert f"`wms-connector:{key}`" in message
    assert str(overrides[key]) in message
    assert allowed in message


def test_unknown_key_lists_the_known_ones():
    with pytest.raises(SettingsError, match=r"Unknown stack config key `wms-connector:taskCPU`; known keys: .*taskCpu"):
        load("main", taskCPU="1024")


def test_keys_of_another_namespace_are_refused():
    with pytest.raises(SettingsError, match="not in the `wms-connector:` namespace"):
        load("main", **{"aws:region": "us-east-1"})


def test_region_rule_wms_region_then_aws_region_then_default():
    assert load("main").region == "us-east-1"
    assert load("main", aws_region="us-west-2").region == "us-west-2"
    assert load("main", aws_region="us-west-2", region="us-west-2").region == "us-west-2"
    assert load("main", region="us-gov-west-1").region == "us-gov-west-1"
    with pytest.raises(SettingsError, match="disagrees with `aws:region` = 'us-east-1'"):
        load("main", aws_region="us-east-1", region="us-west-2")
    with pytest.raises(SettingsError, match="aws:region"):
        load("main", aws_region="nowhere")


def test_every_fargate_pair_in_the_table_is_accepted():
    for cpu, memories in FARGATE_TASK_SIZES.items():
        # A Connect container needs at least 1024 MiB, so the smallest tasks cannot hold one.
        for memory in {m for m in (memories[0], memories[-1]) if m >= 1024}:
            settings = load("main", taskCpu=cpu, taskMemory=memory, connectCpu=min(cpu, 512),
                            connectMemory=min(memory, 1024), heapPercent=50)
            assert (settings.sizing.task_cpu, settings.sizing.task_memory) == (cpu, memory)


def test_a_task_too_small_for_a_connect_container_is_refused():
    with pytest.raises(SettingsError, match="`wms-connector:connectMemory` = 512: allowed a whole number from 1024"):
        load("main", taskCpu=256, taskMemory=512, connectCpu=256, connectMemory=512)


def test_log_retention_accepts_each_cloudwatch_value():
    for days in LOG_RETENTION_DAYS:
        assert load("main", logRetentionDays=str(days)).logs.retention_days == days


def test_settings_are_frozen():
    settings = load("main")
    with pytest.raises(AttributeError):
        settings.sizing.task_cpu = 4096

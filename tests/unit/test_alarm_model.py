"""The CloudWatch alarm model the detection-time benchmark uses (tests/alarm_model.py), as tables."""

from __future__ import annotations

import dataclasses
import math

import pytest

from components.alarms import health_alarm_specs
from tests.alarm_model import (
    Rule,
    capture_stale_rule,
    first_alarm,
    freshness_series,
    worst_silent_stop_to_alarm,
    worst_silent_stop_to_page,
)
from wms_connector.health import metric_names as m
from wms_connector.settings.load import load_settings
from wms_connector.settings.parsers import SettingsError
from wms_connector.stages import Stage

STALE = Rule("Maximum", 60, 1, 180_000, "GreaterThanThreshold", "breaching")
TWO_OF_THREE = Rule("Maximum", 60, 3, 10, "GreaterThanThreshold", "notBreaching", datapoints_to_alarm=2)
LOW = Rule("Minimum", 120, 2, 1, "LessThanThreshold", "notBreaching")


@pytest.mark.parametrize(
    ("rule", "datapoints", "expected"),
    [
        # One datapoint above the threshold: ALARM when its period ends.
        (STALE, [(10, 1000), (70, 200_000)], 120),
        # At the threshold is not above it.
        (STALE, [(t, 180_000) for t in range(10, 400, 60)], None),
        # A run that published nothing is breaching data for this alarm; the missing period itself too.
        (STALE, [(10, 1000), (70, None)], 120),
        (STALE, [(10, 1000), (130, 1000)], 120),
        # Two of three: one breach is not enough, a second within three periods is.
        (TWO_OF_THREE, [(5, 11), (65, 1), (125, 1), (185, 11)], None),
        (TWO_OF_THREE, [(5, 11), (65, 1), (125, 11)], 180),
        # Missing data not breaching never alarms; Minimum over a longer period needs two low periods in a row.
        (TWO_OF_THREE, [], None),
        (LOW, [(0, 1), (121, 0), (200, 1), (250, 0), (300, 0)], 360),
    ],
)
def test_first_alarm(rule, datapoints, expected):
    assert first_alarm(rule, datapoints, start=0, end=400) == expected


def test_rule_is_read_from_the_alarm_the_stack_declares():
    settings = load_settings(
        Stage.parse("production"), {"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}}, aws_region="us-east-1"
    )
    spec = next(s for s in health_alarm_specs(settings, "wms-oracle-cdc") if s.metric == m.CAPTURE_FRESHNESS_MS)
    rule = Rule.of(spec)
    assert (rule.threshold, rule.treat_missing_data, rule.comparison) == (
        settings.capture.freshness_threshold_ms, "breaching", "GreaterThanThreshold")


def _capture_stale(stage: str, **overrides):
    settings = load_settings(
        Stage.parse(stage),
        {"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}, **overrides},
        aws_region="us-east-1",
    )
    return settings, capture_stale_rule(settings)


def test_a_run_reports_the_age_of_the_newest_heartbeat_before_and_after_a_silent_stop():
    # Heartbeats every 60 s, the last 20 s before a stop at 600; runs every 60 s at 30 s past the minute.
    series = dict(freshness_series(600, 60, 20, 60, 30, 800))
    assert series[510] == 50_000  # the heartbeat at 460
    assert series[570] == 50_000  # at 520
    assert series[630] == 50_000  # the last one, at 580
    assert series[750] == 170_000


@pytest.mark.parametrize(
    ("stage", "worst_s", "step_s"),
    [
        # Production: 2 min threshold + up to 1 min to the next run + 2 one-minute periods.
        ("production", 300, 5),
        # The ten-minute stages: 15 min threshold + 10 min to the next run + one 10-minute period.
        ("main", 2100, 30),
    ],
)
def test_how_long_a_silent_stop_takes_to_page_at_the_worst_phase(stage, worst_s, step_s):
    settings, _ = _capture_stale(stage)
    assert worst_silent_stop_to_page(settings, step_s) == worst_s


def test_productions_defaults_page_on_a_silent_stop_within_five_minutes():
    settings, _ = _capture_stale("production")
    assert worst_silent_stop_to_page(settings) <= 5 * 60


def test_a_slower_heartbeat_or_schedule_pages_later():
    settings, _ = _capture_stale("production", healthScheduleMinutes=2)
    assert worst_silent_stop_to_page(settings) == 120 + 120 + 2 * 120
    settings, rule = _capture_stale("production")
    # An alarm that never breaches has no detection time at all.
    never = dataclasses.replace(rule, comparison="LessThanThreshold", threshold=0, treat_missing_data="notBreaching")
    assert worst_silent_stop_to_alarm(never, 60, 60) == math.inf


def test_one_late_run_does_not_page_in_production():
    # A run EventBridge delivers late leaves one period without a datapoint (missing data counts as stale) and
    # puts two in the next.
    _, rule = _capture_stale("production")
    runs = [(t * 60 + 5, 30_000) for t in range(10)] + [(10 * 60 + 65, 30_000)] + [
        (t * 60 + 5, 30_000) for t in range(11, 20)]
    assert first_alarm(rule, runs, start=0, end=19 * 60) is None
    # Two missing periods in a row do page: the health check itself has stopped reporting.
    runs = [(t * 60 + 5, 30_000) for t in range(10)] + [(t * 60 + 5, 30_000) for t in range(12, 20)]
    assert first_alarm(rule, runs, start=0, end=19 * 60) == 12 * 60


def test_a_lag_spike_pages_only_past_the_threshold_for_two_checks():
    _, rule = _capture_stale("production")
    healthy = [(t * 60 + 5, 45_000) for t in range(10)]
    one_spike = [*healthy, (605, 150_000), *[(t * 60 + 5, 45_000) for t in range(11, 20)]]
    assert first_alarm(rule, one_spike, start=0, end=19 * 60) is None
    two = [*healthy, (605, 150_000), (665, 150_000), *[(t * 60 + 5, 45_000) for t in range(12, 20)]]
    assert first_alarm(rule, two, start=0, end=19 * 60) == 12 * 60


def test_a_freshness_threshold_inside_a_heartbeat_interval_is_refused():
    with pytest.raises(SettingsError) as refused:
        load_settings(
            Stage.parse("production"),
            {"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT", "heartbeatIntervalMs": 90_000}},
            aws_region="us-east-1",
        )
    message = str(refused.value)
    assert "freshnessAlarmThresholdMs" in message and "120000" in message and "heartbeatIntervalMs (90000)" in message
    # Without a heartbeat table there is no CaptureStale, so nothing to refuse.
    load_settings(Stage.parse("production"), {"connector": {"heartbeatIntervalMs": 90_000}}, aws_region="us-east-1")
    # Raising the threshold with the interval is accepted.
    _capture_stale("production", freshnessAlarmThresholdMs=150_000, connector={
        "heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT", "heartbeatIntervalMs": 90_000})

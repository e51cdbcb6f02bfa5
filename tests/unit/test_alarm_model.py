"""The CloudWatch alarm model the detection-time benchmark uses (devtools/alarm_model.py), as tables."""

from __future__ import annotations

import pytest

from components.alarms import health_alarm_specs
from devtools.alarm_model import Rule, first_alarm
from wms_connector.health import metric_names as m
from wms_connector.settings.load import load_settings
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

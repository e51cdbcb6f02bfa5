"""When a CloudWatch alarm, as the stack declares it (components/alarms.py `AlarmSpec`), first goes to ALARM for a
given series of health-check datapoints: for the detection-time benchmark, since no CloudWatch runs here.

The model is CloudWatch's documented evaluation, simplified where it does not change the answer for the health
metrics (one datapoint per run, runs on a schedule): periods aligned to multiples of the period, each period's
value the alarm's statistic over the datapoints in it, a period without datapoints treated per
`treat_missing_data` (`missing`/`ignore` count as neither), a period judged when it ends, ALARM once
`datapoints_to_alarm` of the last `evaluation_periods` judged periods breach. CloudWatch's own delay in evaluating
(typically under a minute) is not modelled; the benchmark states it beside the figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from components.alarms import health_alarm_specs
from wms_connector.health import metric_names
from wms_connector.settings.load import StageSettings
from wms_connector.topics import CONNECTOR_NAME

STATISTICS = {
    "Maximum": max,
    "Minimum": min,
    "Sum": sum,
    "Average": lambda values: sum(values) / len(values),
}
COMPARISONS = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


@dataclass(frozen=True)
class Rule:
    """The parts of an alarm that decide when it fires (the same names as components/alarms.py AlarmSpec)."""

    statistic: str
    period_seconds: int
    evaluation_periods: int
    threshold: float
    comparison: str
    treat_missing_data: str = "notBreaching"
    datapoints_to_alarm: int | None = None

    @classmethod
    def of(cls, spec: object) -> Rule:
        return cls(**{name: getattr(spec, name) for name in cls.__dataclass_fields__})


def _period_breaches(rule: Rule, values: Sequence[float]) -> bool | None:
    """True/False for a judged period, None when it does not count (missing data treated as missing)."""
    if not values:
        return {"breaching": True, "notBreaching": False}.get(rule.treat_missing_data)
    return COMPARISONS[rule.comparison](STATISTICS[rule.statistic](values), rule.threshold)


def first_alarm(rule: Rule, datapoints: Sequence[tuple[float, float | None]], start: float, end: float) -> float | None:
    """The time (epoch seconds) at which the alarm first goes to ALARM, judging periods that end within
    (start, end]; `datapoints` are (time, value) with None for a run that published nothing. None: it never does."""
    period = rule.period_seconds
    needed = rule.datapoints_to_alarm or rule.evaluation_periods
    judged: list[bool] = []
    first_period = math.floor(start / period) * period
    period_start = first_period
    while period_start + period <= end:
        period_end = period_start + period
        values = [v for t, v in datapoints if period_start <= t < period_end and v is not None]
        verdict = _period_breaches(rule, values)
        if verdict is not None:
            judged.append(verdict)
            if sum(judged[-rule.evaluation_periods:]) >= needed:
                return period_end
        period_start = period_end
    return None


def freshness_series(
    stop_at: float, heartbeat_s: float, since_heartbeat_s: float, run_every_s: float, run_phase_s: float, until: float
) -> list[tuple[float, float]]:
    """The freshness (ms) each health run reports around a silent stop at `stop_at`: heartbeats commit every
    `heartbeat_s`, the last one `since_heartbeat_s` before the stop, and reach Kafka at once; runs start at
    `run_phase_s` past each multiple of `run_every_s`."""
    last_heartbeat = stop_at - since_heartbeat_s
    series = []
    t = run_phase_s
    while t <= until:
        # The newest heartbeat at or before t: before the stop one of the regular ones, after it the last.
        behind = max(0.0, last_heartbeat - t)
        newest = last_heartbeat - math.ceil(behind / heartbeat_s) * heartbeat_s
        series.append((t, (t - newest) * 1000))
        t += run_every_s
    return series


def worst_silent_stop_to_alarm(rule: Rule, heartbeat_s: float, run_every_s: float, step_s: float = 5) -> float:
    """The longest time from a silent stop to ALARM over every phase of the heartbeat and of the run schedule
    against the stop (and against CloudWatch's period boundaries), in steps of `step_s`."""
    worst = 0.0
    stop_at = 10 * max(rule.period_seconds, run_every_s, heartbeat_s)
    # Far enough past the stop that an alarm that can fire has fired: otherwise it never does.
    periods = (rule.evaluation_periods + 3) * rule.period_seconds
    horizon = stop_at + rule.threshold / 1000 + heartbeat_s + run_every_s + periods
    for since in _steps(heartbeat_s, step_s):
        for phase in _steps(run_every_s, step_s):
            for offset in _steps(rule.period_seconds, step_s):
                series = freshness_series(stop_at + offset, heartbeat_s, since, run_every_s, phase, horizon)
                alarm = first_alarm(rule, series, start=0, end=horizon)
                if alarm is None:
                    return math.inf
                worst = max(worst, alarm - (stop_at + offset))
    return worst


def _steps(span: float, step: float) -> list[float]:
    return [i * step for i in range(max(1, math.ceil(span / step)))]


def capture_stale_rule(settings: StageSettings) -> Rule:
    """The CaptureStale alarm the stack declares for these settings (they must name a heartbeat table)."""
    specs = health_alarm_specs(settings, CONNECTOR_NAME)
    return Rule.of(next(spec for spec in specs if spec.metric == metric_names.CAPTURE_FRESHNESS_MS))


def worst_silent_stop_to_page(settings: StageSettings, step_s: float = 5) -> float:
    """Seconds from a silent stop to CaptureStale's ALARM at the worst phase, with these settings."""
    heartbeat_s = settings.connector.options.heartbeat_interval_ms / 1000
    return worst_silent_stop_to_alarm(
        capture_stale_rule(settings), heartbeat_s, settings.health.schedule_minutes * 60, step_s
    )

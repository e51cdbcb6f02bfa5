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

"""The README tables that repeat numbers the code owns, generated from the code.

`python -m tests.readme_tables` rewrites them in README.md between their `<!-- generated:NAME -->` markers;
tests/unit/test_readme.py fails when the README's copy differs from what the code says.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from components.alarms import BREACHING, AlarmSpec, all_alarm_specs
from wms_connector.settings import stage_defaults
from wms_connector.stages import NAMED_STAGES
from wms_connector.topics import CONNECTOR_NAME

README = Path(__file__).resolve().parents[1] / "README.md"

_OPERATORS = {
    "GreaterThanOrEqualToThreshold": "≥",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
}


def _rule(spec: AlarmSpec) -> str:
    datapoints = spec.datapoints_to_alarm or spec.evaluation_periods
    minutes = spec.period_seconds // 60
    rule = (
        f"{spec.statistic} {_OPERATORS[spec.comparison]} {spec.threshold:g} in {datapoints} of "
        f"{spec.evaluation_periods} × {minutes} min"
    )
    return rule + (", no data breaches" if spec.treat_missing_data == BREACHING else "")


def alarm_thresholds() -> str:
    """Every alarm with its rule on each named stage (defaults; `Pulumi.<stage>.yaml` may change them)."""
    per_stage = {
        name: {spec.key: spec for spec in all_alarm_specs(settings, CONNECTOR_NAME, "health")}
        for name, settings in stage_defaults().items()
    }
    first = per_stage[NAMED_STAGES[0]]
    lines = [
        "| alarm | metric | " + " | ".join(NAMED_STAGES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in NAMED_STAGES) + " |",
    ]
    for key, spec in first.items():
        cells = [_rule(per_stage[stage][key]) for stage in NAMED_STAGES]
        lines.append(f"| `{key}` | `{spec.metric}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


GENERATED: dict[str, Callable[[], str]] = {"alarm-thresholds": alarm_thresholds}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated:{name} -->)(.*?)(<!-- /generated:{name} -->)", re.DOTALL)


def readme_block(text: str, name: str) -> str | None:
    match = _block(name).search(text)
    return match.group(2).strip("\n") if match else None


def rewrite(text: str) -> str:
    for name, render in GENERATED.items():
        text = _block(name).sub(lambda m, r=render: f"{m.group(1)}\n{r()}\n{m.group(3)}", text)
    return text


if __name__ == "__main__":
    README.write_text(rewrite(README.read_text()))
    print(f"rewrote {', '.join(GENERATED)} in {README}", file=sys.stderr)

"""The tables in docs/ that repeat what the code owns, generated from the code.

`python -m tests.docs_tables` rewrites them between their `<!-- generated:NAME -->` markers; tests/unit/test_docs.py
fails when a page's copy differs from what the code says.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from components.alarms import BREACHING, AlarmSpec, all_alarm_specs
from components.deploy_permissions import actions_by_service
from tests.alarm_model import worst_silent_stop_to_page
from wms_connector.preflight import sql
from wms_connector.settings import load_settings, stage_defaults
from wms_connector.stages import NAMED_STAGES, Stage
from wms_connector.topics import CAPTURED_TABLE_NAMES, CONNECTOR_NAME

DOCS = Path(__file__).resolve().parents[1] / "docs"

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


# The settings some alarms exist only with (a heartbeat table: freshness and its clock; a PGA limit).
ALARM_OPTIONS = {"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}, "pgaAlarmBytes": "2000000000"}


def alarm_thresholds() -> str:
    """Every alarm with its rule on each named stage (defaults; `Pulumi.<stage>.yaml` may change them), those that
    exist only with a setting marked so."""
    per_stage = {
        name: {spec.key: spec for spec in all_alarm_specs(
            load_settings(Stage.parse(name), ALARM_OPTIONS, aws_region=settings.region), CONNECTOR_NAME, "health")}
        for name, settings in stage_defaults().items()
    }
    def keys(config: dict) -> set[str]:
        settings = load_settings(Stage.parse(NAMED_STAGES[0]), config, aws_region="us-east-1")
        return {spec.key for spec in all_alarm_specs(settings, CONNECTOR_NAME, "health")}

    plain = keys({})
    needs = {key: option for option, config in (("heartbeatTable", {"connector": ALARM_OPTIONS["connector"]}),
                                                ("pgaAlarmBytes", {"pgaAlarmBytes": ALARM_OPTIONS["pgaAlarmBytes"]}))
             for key in keys(config) - plain}
    first = per_stage[NAMED_STAGES[0]]
    lines = [
        "| alarm | metric | " + " | ".join(NAMED_STAGES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in NAMED_STAGES) + " |",
    ]
    for key, spec in first.items():
        cells = [_rule(per_stage[stage][key]) for stage in NAMED_STAGES]
        only = f" (only with `{needs[key]}`)" if key in needs else ""
        lines.append(f"| `{key}`{only} | `{spec.metric}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def deploy_permissions() -> str:
    """The actions `pulumi up`/`refresh`/`destroy` call, by service (components/deploy_permissions.py)."""
    lines = ["| service | actions |", "| --- | --- |"]
    for service, names in actions_by_service().items():
        lines.append(f"| `{service}` | {', '.join(f'`{name}`' for name in names)} |")
    return "\n".join(lines)


# The CDC user's name in the docs' examples.
DOC_CDC_USER = "c##wmscdc"


def supplemental_logging() -> str:
    """The DBA's statements for the captured tables (the preflight prints the same)."""
    statements = [line for name in CAPTURED_TABLE_NAMES for line in sql.fix_table_supplemental_logging(name)]
    return "\n".join(["```sql", *statements, "```"])


def database_side() -> str:
    """ARCHIVELOG, database supplemental logging and the LogMiner user's grants, from the preflight's SQL."""
    return "\n".join([
        "```sql",
        "-- ARCHIVELOG mode (needs a restart) and database-level supplemental logging",
        " ".join(sql.fix_archivelog()),
        *sql.fix_database_supplemental_logging(),
        "-- The CDC user's LogMiner privileges (add CONTAINER=ALL to each in a multitenant database)",
        *sql.logminer_user_grants(DOC_CDC_USER),
        "-- A quota on the CDC user's default tablespace, where Debezium creates its flush table at the first start",
        "-- (in a multitenant database, in the PDB it captures from: ALTER SESSION SET CONTAINER = <pdb>; first)",
        *sql.fix_quota(DOC_CDC_USER, "<default tablespace>"),
        "```",
    ])


def silent_stop() -> str:
    """Per named stage with a heartbeat table: what decides how fast a silent stop pages, and the worst case."""
    lines = [
        "| stage | heartbeat | health check every | stale after | checks in a row | worst case to ALARM "
        "| health runs a month |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in NAMED_STAGES:
        settings = load_settings(Stage.parse(name), {"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}})
        worst = worst_silent_stop_to_page(settings, step_s=30)
        lines.append(
            f"| {name} | {settings.connector.options.heartbeat_interval_ms // 1000} s "
            f"| {settings.health.schedule_minutes} min | {settings.capture.freshness_threshold_ms // 1000} s "
            f"| {settings.capture.freshness_alarm_periods} | {worst / 60:g} min "
            f"| {30 * 24 * 60 // settings.health.schedule_minutes:,} |"
        )
    return "\n".join(lines)


def heartbeat_table() -> str:
    return "\n".join(["```sql", *sql.fix_heartbeat_table("WMS.DEBEZIUM_HEARTBEAT", DOC_CDC_USER), "```"])


# Block name -> (the page it is in, what renders it).
GENERATED: dict[str, tuple[str, Callable[[], str]]] = {
    "alarm-thresholds": ("operations.md", alarm_thresholds),
    "deploy-permissions": ("deploy.md", deploy_permissions),
    "supplemental-logging": ("deploy.md", supplemental_logging),
    "database-side": ("deploy.md", database_side),
    "heartbeat-table": ("operations.md", heartbeat_table),
    "silent-stop": ("operations.md", silent_stop),
}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated:{name} -->)(.*?)(<!-- /generated:{name} -->)", re.DOTALL)


def page_block(text: str, name: str) -> str | None:
    match = _block(name).search(text)
    return match.group(2).strip("\n") if match else None


def rewrite(text: str, name: str) -> str:
    render = GENERATED[name][1]
    return _block(name).sub(lambda m: f"{m.group(1)}\n{render()}\n{m.group(3)}", text)


if __name__ == "__main__":
    for block, (page, _) in GENERATED.items():
        path = DOCS / page
        path.write_text(rewrite(path.read_text(), block))
        print(f"rewrote {block} in {path}", file=sys.stderr)

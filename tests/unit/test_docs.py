"""The docs repeat what the code owns: the alarm rules and the deploy permissions are generated from the code, and
the config table's keys and defaults are read back and compared with the settings, so none of them can drift."""

from __future__ import annotations

import fnmatch

import pytest

from tests.docs_tables import DOCS, GENERATED, page_block
from wms_connector.settings import known_keys, load_settings, stage_defaults
from wms_connector.stages import NAMED_STAGES, Stage

CONFIGURATION = (DOCS / "configuration.md").read_text()


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_tables_are_current(name):
    page, render = GENERATED[name]
    assert page_block((DOCS / page).read_text(), name) == render(), (
        f"docs/{page}'s `{name}` table is stale: run `.venv/bin/python -m tests.docs_tables`"
    )


def _config_rows() -> dict[str, list[str]]:
    section = CONFIGURATION.split("<!-- section:config -->")[1].split("<!-- /section:config -->")[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows[cells[0].strip("`")] = cells[1:4]
    return rows


def _shown(value: object) -> str | None:
    """How the docs show a default; None for values it describes in words (lists, options, absent)."""
    if isinstance(value, bool) or value is None or isinstance(value, tuple | list | dict):
        return None
    return str(value) if isinstance(value, int | str) else None


def test_config_table_defaults_are_the_settings_defaults():
    rows, defaults = _config_rows(), stage_defaults()
    checked = 0
    for key, (section, spec) in known_keys().items():
        for column, stage in enumerate(NAMED_STAGES):
            value = _shown(getattr(getattr(defaults[stage], section), spec.field))
            cell = rows[key][column]
            if value is None or cell == "same":
                continue
            assert cell == value, f"docs/configuration.md: `{key}` on {stage} says {cell!r}, the code says {value}"
            checked += 1
    assert checked >= 3 * 15  # most keys are plain numbers or words: a table that stopped parsing would show here


def test_every_config_key_is_documented():
    rows = _config_rows()
    assert sorted(set(known_keys()) - set(rows)) == []


def _table_rows(text: str, header: str) -> list[list[str]]:
    lines = text.split(header, 1)[1].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_connector_options_table_defaults_are_the_options_defaults():
    from wms_connector.connector.options import _OPTION_NAMES, ConnectorOptions

    defaults = ConnectorOptions()
    rows = {row[0].strip("`"): row[1] for row in _table_rows(CONFIGURATION, "| option | default | allowed")}
    assert sorted(rows) == sorted(_OPTION_NAMES)
    for option, field in _OPTION_NAMES.items():
        shown = _doc_default(getattr(defaults, field))
        assert rows[option] == shown, f"docs/configuration.md: `{option}` default {rows[option]!r}, code {shown!r}"


def _doc_default(value: object) -> str:
    if value is None or value == ():
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_local_stack_ports_table_is_the_stacks_defaults():
    from devtools.local.settings import PORTS

    text = (DOCS / "local-development.md").read_text()
    rows = {row[2].strip("`"): row for row in _table_rows(text, "| setting | default | environment variable |")}
    for port in PORTS.values():
        assert rows[port.env_var][1] == str(port.default), port.env_var
        assert rows[port.env_var][3] == f"`{port.flag}`", port.env_var


def test_every_alarm_has_a_runbook_entry():
    from components.alarms import all_alarm_specs
    from tests.docs_tables import page_block

    operations = (DOCS / "operations.md").read_text()
    generated = page_block(operations, "alarm-thresholds")
    prose = operations.replace(generated, "")
    settings = load_settings(
        Stage.parse("main"), {"connector": {"heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT"}, "pgaAlarmBytes": "1"}
    )
    missing = [spec.key for spec in all_alarm_specs(settings, "wms-oracle-cdc", "f") if f"`{spec.key}`" not in prose]
    assert missing == []


def test_the_database_clock_alarm_in_the_docs_is_the_policys():
    from wms_connector.health_policy import DATABASE_CLOCK_SKEW_ALARM_MS

    text = " ".join((DOCS / "operations.md").read_text().split())
    assert DATABASE_CLOCK_SKEW_ALARM_MS == 5 * 60_000
    assert text.count("The database's clock is more than five minutes off the workers'") == 1
    assert text.count("the database's clock is more than five minutes off the workers'") == 1


def test_the_budgets_clock_allowance_and_backoff_in_the_docs_are_the_policys():
    from wms_connector import health_policy as policy

    text = " ".join((DOCS / "operations.md").read_text().split())
    base, cap = policy.RESTART_BACKOFF_MINUTES, policy.RESTART_BACKOFF_MAX_MINUTES
    allowance = policy.CLOCK_SKEW_ALLOWANCE_MINUTES
    assert f"`CLOCK_SKEW_ALLOWANCE_MINUTES` in `wms_connector/health_policy.py`, {allowance} minutes" in text
    assert f"({base}, {base * 2}, {base * 4} minutes, capped at `RESTART_BACKOFF_MAX_MINUTES`, {cap})" in text


def test_the_readme_and_the_operations_page_name_every_ops_command():
    import argparse

    from devtools.ops import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    readme = (DOCS.parent / "README.md").read_text()
    operations = (DOCS / "operations.md").read_text()
    for command in commands:
        assert f"`{command}" in readme or f", `{command}`" in readme, command
        assert f"`{command}" in operations or f", `{command}`" in operations, command


def test_the_configuration_page_names_what_debezium_no_longer_checks_and_what_the_image_leaves_out():
    from wms_connector.connector import debezium_properties as dbz

    text = (DOCS / "configuration.md").read_text()
    strategies = ", ".join(f"`{value}`" for value in dbz.LOG_MINING_STRATEGIES)
    buffers = ", ".join(f"`{value}`" for value in dbz.LOG_MINING_BUFFER_TYPES)
    assert f"`log.mining.strategy` must be one of {strategies}" in text
    assert f"`log.mining.buffer.type` one of {buffers}" in text
    for left_out in dbz.LEFT_OUT_BUFFER_TYPES:
        assert f"`log.mining.buffer.type: {left_out}` is refused at preview" in text
    documented = ("log.mining.batch.size.*", "log.mining.sleep.time.*", "log.mining.scn.gap.detection.*")
    for key in dbz.REMOVED_PROPERTIES:
        assert any(fnmatch.fnmatchcase(key, family) for family in documented), key
    for family in documented:
        assert f"`{family}`" in text

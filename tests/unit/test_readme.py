"""The README repeats numbers the code owns: the alarm rules are generated from the code, and the config table's
defaults are read back and compared with the settings, so neither can drift."""

from __future__ import annotations

import pytest

from tests.readme_tables import GENERATED, README, readme_block
from wms_connector.settings import known_keys, stage_defaults
from wms_connector.stages import NAMED_STAGES

TEXT = README.read_text()


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_tables_are_current(name):
    assert readme_block(TEXT, name) == GENERATED[name](), (
        f"README's `{name}` table is stale: run `.venv/bin/python -m tests.readme_tables`"
    )


def _config_rows() -> dict[str, list[str]]:
    section = TEXT.split("<!-- section:config -->")[1].split("<!-- /section:config -->")[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows[cells[0].strip("`")] = cells[1:4]
    return rows


def _shown(value: object) -> str | None:
    """How the README shows a default; None for values it describes in words (lists, options, absent)."""
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
            assert cell == value, f"README config table: `{key}` on {stage} says {cell!r}, the code says {value}"
            checked += 1
    assert checked >= 3 * 15  # most keys are plain numbers or words: a table that stopped parsing would show here

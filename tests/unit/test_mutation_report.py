"""`make mutate`'s verdict (devtools/mutation.py): scores, survivors, the equivalents list, and its settings."""

from __future__ import annotations

import ast
import io
import tomllib
from pathlib import Path

import pytest

from devtools.mutation import EQUIVALENTS_DIR, Mutant, _split_name, load_equivalents, matches, report

REPO = Path(__file__).resolve().parents[2]
SETTINGS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mutmut"]

DIFF = """--- wms_connector/stages.py
+++ wms_connector/stages.py
@@ -1,3 +1,3 @@
 def f(x):
-    return x > 1
+    return x >= 1
"""


def _mutant(status: str = "survived", function: str = "f", diff: str = DIFF, n: int = 1) -> Mutant:
    return Mutant(f"wms_connector.stages.x_{function}__mutmut_{n}", "wms_connector/stages.py", function, status, diff)


def _entry(mutated: str = "return x >= 1", function: str = "f") -> dict[str, str]:
    return {"module": "wms_connector/stages.py", "function": function, "mutated": mutated, "reason": "why"}


@pytest.mark.parametrize(
    ("name", "module", "function"),
    [
        ("wms_connector.stages.x__why_rejected__mutmut_10", "wms_connector.stages", "_why_rejected"),
        ("wms_connector.redaction.x_redact__mutmut_1", "wms_connector.redaction", "redact"),
        ("wms_connector.topic_admin.xǁTopicAdminǁdelete_stage_topics__mutmut_3", "wms_connector.topic_admin",
         "TopicAdmin.delete_stage_topics"),
        ("wms_connector.health.restart_budget.xǁRestartBudgetǁ__init____mutmut_2",
         "wms_connector.health.restart_budget", "RestartBudget.__init__"),
    ],
)
def test_a_mutant_name_gives_its_module_and_function(name, module, function):
    assert _split_name(name) == (module, function)


def test_the_mutated_line_is_the_first_added_line_stripped():
    assert _mutant().mutated_line == "return x >= 1"
    assert _mutant(diff="").mutated_line == ""


def test_an_entry_matches_only_its_module_function_and_line():
    assert matches(_entry(), _mutant())
    assert not matches(_entry(mutated="return x > 2"), _mutant())
    assert not matches(_entry(function="g"), _mutant())
    assert not matches({**_entry(), "module": "wms_connector/redaction.py"}, _mutant())


def test_killed_and_listed_mutants_pass_and_the_score_counts_only_what_is_left():
    out = io.StringIO()
    mutants = [_mutant("killed", n=1), _mutant("timeout", n=2), _mutant("survived", n=3)]
    assert report(mutants, [_entry()], out=out) == 0
    line = next(row for row in out.getvalue().splitlines() if row.startswith("wms_connector/stages.py"))
    assert line.split()[1:] == ["2", "1", "0", "100.0%"]
    assert "0 unexplained survivor(s), 0 stale" in out.getvalue()


@pytest.mark.parametrize("status", ["survived", "no tests", "suspicious"])
def test_an_unlisted_survivor_fails_the_run_and_is_shown_with_its_diff(status):
    out = io.StringIO()
    assert report([_mutant("killed", n=1), _mutant(status, n=2)], [], out=out) == 1
    text = out.getvalue()
    assert f"## wms_connector.stages.x_f__mutmut_2: {status}" in text and "+    return x >= 1" in text
    assert "50.0%" in text


def test_a_listed_entry_that_matches_no_survivor_fails_the_run():
    out = io.StringIO()
    assert report([_mutant("killed")], [_entry()], out=out) == 1
    assert "no survivor matches it any more" in out.getvalue()


def test_an_entry_without_a_reason_is_refused(tmp_path):
    (tmp_path / "stages.toml").write_text(
        '[[equivalent]]\nmodule = "wms_connector/stages.py"\nfunction = "f"\nmutated = "x"\nreason = " "\n'
    )
    with pytest.raises(SystemExit, match="lacks a reason"):
        load_equivalents(tmp_path)
    (tmp_path / "stages.toml").write_text('[[equivalent]]\nmodule = "wms_connector/stages.py"\nfunction = "f"\n')
    with pytest.raises(SystemExit, match="lacks mutated, reason"):
        load_equivalents(tmp_path)


def test_every_module_and_test_the_settings_name_exists():
    for path in [*SETTINGS["only_mutate"], *SETTINGS["pytest_add_cli_args_test_selection"], *SETTINGS["also_copy"]]:
        assert (REPO / path).exists(), path
    assert all(path.startswith(tuple(SETTINGS["source_paths"])) for path in SETTINGS["only_mutate"])


def _functions(module: Path) -> set[str]:
    """`name` and `Class.name` for every function the module defines at its top level or in a top-level class."""
    names = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            methods = [item for item in node.body if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)]
            names |= {f"{node.name}.{item.name}" for item in methods}
    return names


def test_every_listed_equivalent_names_a_guarded_module_and_one_of_its_functions():
    for entry in load_equivalents(EQUIVALENTS_DIR):
        assert entry["module"] in SETTINGS["only_mutate"], entry
        assert entry["function"] in _functions(REPO / entry["module"]), entry

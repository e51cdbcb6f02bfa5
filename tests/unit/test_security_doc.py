"""docs/security.md repeats what the code owns: the read-only on-call statement names the read-only function as
the code names it and nothing more, and the action table lists exactly the actions access.py splits."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatch
from pathlib import Path

from wms_connector.admin.access import READ_ACTIONS
from wms_connector.aws_names import admin_function_name, admin_read_function_name, health_function_name
from wms_connector.stages import Stage

SECURITY = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()


def _on_call_statement() -> dict:
    block = SECURITY.split("<!-- on-call-read-only-policy -->", 1)[1]
    return json.loads(re.search(r"```json\n(.*?)```", block, re.S).group(1))


def test_the_on_call_statement_lets_invoke_the_read_only_function_and_nothing_else():
    statement = _on_call_statement()
    assert statement["Effect"] == "Allow" and statement["Action"] == ["lambda:InvokeFunction"]
    (resource,) = statement["Resource"]
    function = resource.rsplit(":function:", 1)[1]
    for stage in ("main", "val", "production", "feat-x"):
        assert fnmatch(admin_read_function_name(Stage.parse(stage)), function)
        assert not fnmatch(admin_function_name(Stage.parse(stage)), function)
        assert not fnmatch(health_function_name(Stage.parse(stage)), function)


def test_the_table_lists_the_read_actions():
    row = next(line for line in SECURITY.splitlines() if line.startswith("| `wms-connector-<stage>-admin-read`"))
    assert set(re.findall(r"`([a-z_]+)`", row.split("|")[2])) == set(READ_ACTIONS)

"""The library's shape, checked on every run: no import cycle, no import from a lower layer up to a higher one,
developer tooling out of the program and the Lambdas, and no module grown past a size without a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.lambda_package import imported_modules, module_path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PACKAGES = ("wms_connector", "components", "functions", "devtools")

# Lowest first. A module may import its own layer and the layers below it, never one above. The first matching
# prefix decides a module's layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    # Names and rules every part shares.
    (
        "wms_connector.stages", "wms_connector.topics", "wms_connector.aws_names", "wms_connector.worker_env",
        "wms_connector.kafka_settings", "wms_connector.connect_rules", "wms_connector.health_policy",
        "wms_connector.db_info", "wms_connector.redaction", "wms_connector.branch_stage", "wms_connector.cache_dir",
        "wms_connector.flags",
    ),
    # Typed config, the connector config, clients of Connect and Kafka, the Lambdas' shared environment.
    (
        "wms_connector.settings", "wms_connector.connector", "wms_connector.connect_status",
        "wms_connector.connect_client", "wms_connector.lambda_env", "wms_connector.secrets_lookup",
        "wms_connector.kafka_producer", "wms_connector.config_topic", "wms_connector.snapshot_signal",
        "wms_connector.topic_admin", "wms_connector.preflight", "wms_connector.task_cause",
        "wms_connector.registration", "wms_connector.task_starts",
    ),
    ("wms_connector.health", "wms_connector.holds"),
    ("wms_connector.admin",),
    ("wms_connector.providers",),
    ("functions", "components"),
    ("devtools",),
)


def _modules() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


MODULES = _modules()


def layer(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    if module in PACKAGES:
        return -1  # a bare package's __init__: docstring only
    raise AssertionError(f"{module} belongs to no layer; add it to LAYERS")


def _graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (code that runs; TYPE_CHECKING imports left out)."""
    known = set(MODULES)
    graph = {}
    for module in MODULES:
        imports = imported_modules(module_path(PROJECT_DIR, module), module, include_type_checking=False)
        graph[module] = {m for m in imports if m in known and m != module}
    return graph


GRAPH = _graph()


def test_every_module_has_a_layer():
    for module in MODULES:
        layer(module)


@pytest.mark.parametrize("module", MODULES)
def test_no_import_reaches_up_a_layer(module):
    upward = sorted(m for m in GRAPH[module] if layer(m) > layer(module))
    assert upward == [], f"{module} (layer {layer(module)}) imports from higher layers: {upward}"


def test_developer_tooling_and_the_program_stay_apart():
    for module, imports in GRAPH.items():
        if not module.startswith("devtools"):
            assert not [m for m in imports if m.startswith("devtools")], module
        else:
            assert not [m for m in imports if m.startswith(("components", "functions"))], module


def test_no_import_cycles():
    """Tarjan's strongly connected components: any component of more than one module is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in GRAPH[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            # A package importing its own submodules (re-exports) is not a cycle of logic.
            if len(component) > 1 and not _package_and_its_members(component):
                cycles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert cycles == []


def _package_and_its_members(component: list[str]) -> bool:
    packages = [m for m in component if (PROJECT_DIR.joinpath(*m.split(".")) / "__init__.py").is_file()]
    return len(packages) == 1 and all(m == packages[0] or m.startswith(packages[0] + ".") for m in component)


MAX_LINES = 400
REASON = "This module is long because"


def test_no_module_is_long_without_a_reason_at_its_top():
    files = [module_path(PROJECT_DIR, m) for m in MODULES] + sorted((PROJECT_DIR / "connect-image").glob("*.py"))
    long_without_reason = [
        f"{path.relative_to(PROJECT_DIR)} ({count} lines)"
        for path in files
        if (count := len(path.read_text().splitlines())) > MAX_LINES and REASON not in path.read_text()[:2000]
    ]
    assert long_without_reason == []


def test_the_layer_table_finds_real_violations():
    # The checks above would pass on an empty graph; this one proves they read imports.
    assert "wms_connector.connect_client" in GRAPH["wms_connector.admin.environment"]
    assert layer("wms_connector.admin.environment") > layer("wms_connector.health.runner")

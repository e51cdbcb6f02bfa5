"""Ask the pinned Debezium plugin's own classes (java/PinnedFacts.java, run from source by `java`) for a fact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

PROBE = Path(__file__).parent / "java" / "PinnedFacts.java"


def pinned_fact(jars_dir: Path, *args: str, timeout_s: float = 120.0) -> dict[str, Any]:
    """The JSON answer of PinnedFacts for `args`, run against the plugin and Connect runtime under `jars_dir`."""
    classpath = f"{jars_dir / 'plugins' / 'debezium-connector-oracle'}/*:{jars_dir / 'libs'}/*"
    result = subprocess.run(
        ["java", "-Xmx256m", "-cp", classpath, str(PROBE), *args],
        capture_output=True, text=True, timeout=timeout_s, check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise AssertionError(f"PinnedFacts {args[0]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])

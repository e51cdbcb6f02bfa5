"""The connector's lifecycle through the real Pulumi engine against the local stack: `preview` (empty stack),
`up` (create → RUNNING) and `destroy`, median of 5 each, next to the same operations by direct calls
(bench/bench_connector_lifecycle.py).

    PYTHONPATH=. .venv/bin/python bench/bench_engine_lifecycle.py [--runs 5]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from devtools.local.settings import LocalSettings, unreachable_database_env
from devtools.local.stack import LocalStack
from wms_connector.stages import Stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    from tests.integration import test_engine as scenarios  # the programs the engine tests declare

    database_env = unreachable_database_env()
    timings: dict[str, list[float]] = {"preview": [], "up": [], "destroy": []}
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as base:
        stack = LocalStack(LocalSettings.on_free_ports(Path(base), Stage.parse("bench"), database_env=database_env))
        engine = scenarios.make_engine(Path(base), secrets.token_urlsafe(16))
        stack.start()
        try:
            for n in range(runs):
                pulumi_stack = scenarios._stack(engine, f"bench-{n}", scenarios.connector_program(stack))
                for operation, call in (("preview", pulumi_stack.preview), ("up", pulumi_stack.up),
                                        ("destroy", pulumi_stack.destroy)):
                    started = time.perf_counter()
                    call()
                    timings[operation].append(time.perf_counter() - started)
                pulumi_stack.workspace.remove_stack(pulumi_stack.name)
        finally:
            stack.stop()
    print(f"through the Pulumi engine ({engine.bin_dir}), {runs} runs each, local Kafka + Connect:")
    for operation, seconds in timings.items():
        median, low, high = statistics.median(seconds), min(seconds), max(seconds)
        print(f"  {operation:8s} median {median:6.2f} s  (min {low:.2f}, max {high:.2f})")
    print("Direct calls of the same create and delete: bench/bench_connector_lifecycle.py.")


if __name__ == "__main__":
    main()

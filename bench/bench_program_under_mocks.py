"""How long one run of the Pulumi program takes under mocks, per stage (the unit suite runs it ~100 times).

Prints wall time per run (median and max over RUNS runs) and the number of resources registered.
"""

from __future__ import annotations

import statistics
import time

from tests.unit.pulumi_harness import run_program

STAGES = ("main", "val", "production", "feature-login")
RUNS = 20


def main() -> None:
    started = time.perf_counter()
    first = run_program("main")
    first.raise_error()
    print(f"first run (imports included): {time.perf_counter() - started:.2f} s")
    for stage in STAGES:
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            run = run_program(stage)
            timings.append(time.perf_counter() - started)
            run.raise_error()
        print(
            f"{stage:>14}: median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms, "
            f"{len(run.resources)} resources, {RUNS} runs"
        )


if __name__ == "__main__":
    main()

"""Worker start-up time and peak memory for each named stage's container memory, on the real local stack.

For main, val and production (container memory and heap percentage from the stage defaults in
wms_connector/settings.py) this starts a fresh broker and a Connect worker through the entrypoint, measures the
time from the worker's start to REST ready with the Debezium Oracle plugin listed, registers the Oracle
connector (its task fails on the unreachable database, as nothing else is possible without Oracle), runs a
config validation, and reads the worker JVM's peak resident memory (VmHWM). It prints one table:
headroom = container memory / peak RSS, and the same ratio for the footprint of a full heap (what a loaded
worker approaches); the goal is at least 1.5x for every stage.

    PYTHONPATH=. .venv/bin/python bench/bench_worker_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from devtools.connect_jars import LOCAL_PROFILES, resolve
from devtools.local.kafka_tools import register_unvalidated
from devtools.local.settings import LocalSettings, unreachable_database_env
from devtools.local.stack import ORACLE_CONNECTOR_CLASS, LocalStack
from wms_connector import worker_env
from wms_connector.settings import Sizing
from wms_connector.stages import NAMED_STAGES, Stage

MIB = 1024 * 1024
SETTLE_S = 5.0


@dataclass
class Run:
    startup_s: float
    peak_rss_mib: float
    heap_max_mib: float
    outside_heap_mib: float


def _status_line(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB -> MiB
    raise RuntimeError(f"{field} missing from /proc/{pid}/status")


def _heap_max_and_used(stack: LocalStack) -> tuple[float, float]:
    with urllib.request.urlopen(stack.jmx_url, timeout=10) as response:  # noqa: S310 - loopback
        families = {f.name: f.samples for f in text_string_to_metric_families(response.read().decode())}
    return families["jvm_memory_heap_max_bytes"][0].value / MIB, families["jvm_memory_heap_used_bytes"][0].value / MIB


def measure(stage_name: str, memory_mib: int, heap_percent: int, jars: Path) -> Run:
    database_env = unreachable_database_env()
    with tempfile.TemporaryDirectory(prefix=f"bench-{stage_name}-") as base:
        settings = LocalSettings.on_free_ports(
            Path(base), Stage.parse(f"bench-{stage_name}"), container_memory_mib=memory_mib,
            database_env=database_env, extra_worker_env={worker_env.HEAP_PERCENT: str(heap_percent)},
        )
        stack = LocalStack(settings, jars_dir=jars)
        try:
            stack.start_broker()
            started = time.monotonic()
            stack.start_worker()
            startup = time.monotonic() - started
            config = stack.connector_config()
            register_unvalidated(stack, config["name"], config)
            client = stack.connect_client(deadline=60.0)
            client.validate(ORACLE_CONNECTOR_CLASS, config)
            client.status(config["name"])
            time.sleep(SETTLE_S)
            heap_max, heap_used = _heap_max_and_used(stack)
            resident = _status_line(stack.worker.pid, "VmRSS")
            peak = _status_line(stack.worker.pid, "VmHWM")
        finally:
            stack.stop()
    # Resident memory that is not live heap: metaspace, code cache, threads, GC structures, buffers, the agent
    # (an overestimate, since touched-but-free heap pages count too, which errs on the safe side).
    return Run(startup, peak, heap_max, resident - heap_used)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="worker starts per stage (default 3)")
    parser.add_argument("--heap-percent", type=int, help="try another JVM_HEAP_PERCENT than the stage defaults")
    args = parser.parse_args()
    jars = resolve(LOCAL_PROFILES)
    header = (
        f"{'stage':<11}{'container':>10}{'heap':>7}{'startup s (median/max)':>24}{'peak RSS':>10}{'headroom':>10}"
        f"{'full heap':>11}{'full-heap headroom':>20}"
    )
    print(header)
    print("-" * len(header))
    for stage_name in NAMED_STAGES:
        sizing = Sizing.defaults(stage_name)
        if args.heap_percent:
            sizing = dataclasses.replace(sizing, heap_percent=args.heap_percent)
            sizing.check()
        runs = [measure(stage_name, sizing.connect_memory, sizing.heap_percent, jars) for _ in range(args.runs)]
        startups = [run.startup_s for run in runs]
        peak = max(run.peak_rss_mib for run in runs)
        committed = max(run.heap_max_mib + run.outside_heap_mib for run in runs)
        print(
            f"{stage_name:<11}{sizing.connect_memory:>7} MiB{sizing.heap_mib:>7}"
            f"{statistics.median(startups):>15.1f} / {max(startups):<6.1f}"
            f"{peak:>6.0f} MiB{sizing.connect_memory / peak:>9.2f}x{committed:>7.0f} MiB"
            f"{sizing.connect_memory / committed:>19.2f}x"
        )
    print(
        "\nstartup: worker process start -> REST answers with the Debezium Oracle plugin listed. peak RSS: VmHWM of\n"
        "the worker JVM after registering the connector and validating its config (no Oracle here, so no snapshot\n"
        "or streaming load). full heap: the heap's maximum plus the resident memory outside the live heap, the\n"
        "footprint once the heap fills; full-heap headroom = container memory / that footprint."
    )


if __name__ == "__main__":
    main()

"""Worker start-up time and peak memory for each named stage's container memory, on the real local stack, for the
current pins (connect-image/pom.xml) and the ones the stages ran before (connect-image/previous/pom.xml).

For main, val and production (container memory and heap percentage from the stage defaults in
wms_connector/settings.py) this starts a fresh broker and a Connect worker through the entrypoint, measures the
time from the worker's start to REST ready with the Debezium Oracle plugin listed, registers the Oracle
connector (its task cannot reach a database, as nothing else is possible without Oracle), runs a
config validation, and reads the worker JVM's peak resident memory (VmHWM). It prints one table:
headroom = container memory / peak RSS, and the same ratio for the footprint of a full heap (what a loaded
worker approaches); the goal is at least 1.5x for every stage.

    PYTHONPATH=. .venv/bin/python bench/bench_worker_startup.py [--runs N] [--pins previous|current|both]

Both pin sets run on the same machine one after the other, against a broker from the current pins.
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

from devtools.connect_jars import IMAGE_PROFILES, LOCAL_PROFILES, PREVIOUS_MANIFEST, Manifest, resolve
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


def measure(stage_name: str, memory_mib: int, heap_percent: int, broker_jars: Path, pins: Pins) -> Run:
    database_env = unreachable_database_env()
    with tempfile.TemporaryDirectory(prefix=f"bench-{stage_name}-") as base:
        settings = LocalSettings.on_free_ports(
            Path(base), Stage.parse(f"bench-{stage_name}"), container_memory_mib=memory_mib,
            database_env=database_env, extra_worker_env={worker_env.HEAP_PERCENT: str(heap_percent)},
        )
        broker = LocalStack(settings, jars_dir=broker_jars)
        stack = LocalStack(settings, jars_dir=pins.jars, manifest=pins.manifest)
        try:
            broker.start_broker()
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
            stack.stop_worker()
            broker.stop()
    # Resident memory that is not live heap: metaspace, code cache, threads, GC structures, buffers, the agent
    # (an overestimate, since touched-but-free heap pages count too, which errs on the safe side).
    return Run(startup, peak, heap_max, resident - heap_used)


@dataclass
class Pins:
    name: str
    manifest: Manifest
    jars: Path


def pin_sets(which: str) -> list[Pins]:
    previous = Manifest(PREVIOUS_MANIFEST)
    sets = {
        "previous": lambda: Pins("previous", previous, resolve(IMAGE_PROFILES, manifest=previous)),
        "current": lambda: Pins("current", Manifest(), resolve(LOCAL_PROFILES)),
    }
    return [sets[name]() for name in (("previous", "current") if which == "both" else (which,))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="worker starts per stage (default 3)")
    parser.add_argument("--heap-percent", type=int, help="try another JVM_HEAP_PERCENT than the stage defaults")
    parser.add_argument("--pins", choices=("previous", "current", "both"), default="both",
                        help="which pinned jar set to start (default both, previous first)")
    args = parser.parse_args()
    broker_jars = resolve(LOCAL_PROFILES)
    pins_list = pin_sets(args.pins)
    header = (
        f"{'pins: Debezium / Kafka':<31}{'stage':<11}{'container':>10}{'heap':>7}{'startup s (median/max)':>24}"
        f"{'peak RSS':>10}{'headroom':>10}{'full heap':>11}{'full-heap headroom':>20}"
    )
    print(header)
    print("-" * len(header))
    for pins, stage_name in [(pins, stage) for pins in pins_list for stage in NAMED_STAGES]:
        sizing = Sizing.defaults(stage_name)
        if args.heap_percent:
            sizing = dataclasses.replace(sizing, heap_percent=args.heap_percent)
            sizing.check()
        runs = [
            measure(stage_name, sizing.connect_memory, sizing.heap_percent, broker_jars, pins)
            for _ in range(args.runs)
        ]
        label = f"{pins.name}: {pins.manifest.debezium_version} / {pins.manifest.kafka_version}"
        startups = [run.startup_s for run in runs]
        peak = max(run.peak_rss_mib for run in runs)
        committed = max(run.heap_max_mib + run.outside_heap_mib for run in runs)
        print(
            f"{label:<31}{stage_name:<11}{sizing.connect_memory:>7} MiB{sizing.heap_mib:>7}"
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

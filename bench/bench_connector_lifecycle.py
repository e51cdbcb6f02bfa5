"""Connector lifecycle timings on a real local Kafka + Connect (started and stopped here, on free ports).

1. create -> registered and validated: the DebeziumConnector provider's `create` (direct transport, the same
   admin code the Lambda runs) from the call until Connect lists the connector RUNNING with its config, repeated
   and summarised by the median. The local "database" is a closed port, so validation reports only the
   unreachable database and registration goes through the stage's config topic (allowUnreachableDatabase);
   the validate call alone is timed too.
2. Topic cleanup for 10, 100 and 1,000 stage topics, with the worker stopped first (as on destroy) and 200
   other stages' topics on the broker. The smallest run is the stage's exact set (11 topics: a size under that
   still deletes all of them); larger sets add topics under the stage's own families (`<stage>.aws.wms.cdc.…`),
   which the guard allows. The table shows how many were deleted. Deletes go in batches of 100; the time per topic
   shows whether it grows faster than linearly.

    PYTHONPATH=. .venv/bin/python bench/bench_connector_lifecycle.py [--runs N] [--sizes 10,100,1000] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from kafka.admin import NewTopic

from devtools.local.kafka_tools import kafka_admin
from devtools.local.settings import LocalSettings, unreachable_database_env
from devtools.local.stack import LocalStack
from wms_connector.connect_client import ConnectClient
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.connector.oracle_source import CONNECTOR_CLASS
from wms_connector.providers.debezium_connector import DebeziumConnectorProvider
from wms_connector.providers.transport import direct_spec
from wms_connector.stages import Stage
from wms_connector.topic_admin import TopicAdmin, stage_topic_families
from wms_connector.topics import StageTopics

STAGE = Stage.parse("bench")
OTHER_STAGES = [Stage.parse(name) for name in ("main", "val", "production", "bench-2", "bench2")]
CREATE_BATCH = 100


def _wait(condition, what: str, timeout: float = 120.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)


def bench_create(stack: LocalStack, runs: int) -> tuple[list[float], list[float]]:
    connect = ConnectClient(stack.connect_url)
    kafka = KafkaClientSettings(stack.bootstrap_servers, "PLAINTEXT", 1)
    config = build_connector_config(STAGE, ConnectorOptions(), kafka)
    name = config["name"]
    props = {
        "name": name,
        "stage": STAGE.name,
        "config": config,
        "state": "running",
        "allowUnreachableDatabase": True,
        "timeoutSeconds": 120,
        "transport": direct_spec(stack.connect_url, STAGE, bootstrap_servers=stack.bootstrap_servers),
    }
    provider = DebeziumConnectorProvider()
    creates, validations = [], []
    for _ in range(runs):
        started = time.perf_counter()
        connect.validate(CONNECTOR_CLASS, config)
        validations.append(time.perf_counter() - started)

        started = time.perf_counter()
        provider.create(dict(props))
        _wait(lambda: connect.get_config(name) == config and connect.status(name).state == "RUNNING", "running")
        creates.append(time.perf_counter() - started)

        provider.delete(name, props)
        _wait(lambda: connect.get_config(name) is None, "connector deleted")
    return creates, validations


def _stage_topics(count: int) -> list[str]:
    exact = sorted(StageTopics(STAGE).all_topics)
    if count <= len(exact):
        return exact[:count]
    family = stage_topic_families(STAGE)[0]  # `<stage>.aws.wms.cdc.`: where Debezium adds topics
    return exact + [f"{family}BENCH.T{i:05d}" for i in range(count - len(exact))]


def _create_topics(admin, names: list[str]) -> None:
    existing = set(admin.list_topics())  # the worker already made its internal topics
    missing = [name for name in names if name not in existing]
    for start in range(0, len(missing), CREATE_BATCH):
        batch = missing[start : start + CREATE_BATCH]
        admin.create_topics([NewTopic(name, 1, 1) for name in batch], timeout_ms=60_000)
    wanted = set(names)
    _wait(lambda: wanted <= set(admin.list_topics()), "topics created", interval=0.2)


def bench_cleanup(stack: LocalStack, sizes: list[int], repeats: int) -> list[tuple[int, float, float, int]]:
    """Per size: topics deleted, median time until the deletes are acknowledged and until the broker no longer
    lists them, and failures."""
    admin = kafka_admin(stack.bootstrap_servers)
    others = sorted({f"{StageTopics(s).topic_prefix}.OTHER.T{i:03d}" for s in OTHER_STAGES for i in range(40)})
    _create_topics(admin, others)
    samples: dict[int, list[tuple[float, float, int, int]]] = {size: [] for size in sizes}
    try:
        for _ in range(repeats):
            for size in sizes:
                samples[size].append(_cleanup_once(stack, admin, size, others))
    finally:
        admin.delete_topics(others, timeout_ms=60_000, raise_errors=False)
        admin.close()
    return [
        (
            max(r[3] for r in rows),  # topics deleted (at least `size`)
            statistics.median(r[0] for r in rows),
            statistics.median(r[1] for r in rows),
            sum(r[2] for r in rows),
        )
        for size, rows in samples.items()
    ]


def _cleanup_once(stack: LocalStack, admin, size: int, others: list[str]) -> tuple[float, float, int, int]:
    names = _stage_topics(size)
    _create_topics(admin, names)
    with TopicAdmin(stack.bootstrap_servers) as topics:
        # The stage's topics the broker holds: these, plus any the run made itself (the signal topic, …).
        expected = topics.stage_topics(STAGE)
        assert set(names) <= set(expected)
        started = time.perf_counter()
        report = topics.delete_stage_topics(STAGE)
        acknowledged = time.perf_counter() - started
        gone = set(expected)
        _wait(lambda: not gone & set(admin.list_topics()), "topics gone", interval=0.05)
        until_gone = time.perf_counter() - started
    assert sorted(report.deleted) == expected, "cleanup deleted something else"
    assert set(others) <= set(admin.list_topics()), "cleanup touched another stage's topics"
    return acknowledged, until_gone, len(report.failed), len(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeats", type=int, default=3, help="cleanup repetitions per size (median shown)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as base:
        database_env = unreachable_database_env()
        stack = LocalStack(LocalSettings.on_free_ports(Path(base), STAGE, database_env=database_env))
        stack.start(timeout_s=240)
        try:
            creates, validations = bench_create(stack, args.runs)
            stack.stop_worker()  # as on destroy: no worker may recreate its internal topics
            cleanups = bench_cleanup(stack, sizes, args.repeats)
        finally:
            stack.stop()

    print(f"create -> registered and validated ({args.runs} runs, local Connect, direct transport)")
    print(
        f"  validate call      median {statistics.median(validations) * 1000:8.1f} ms   "
        f"min {min(validations) * 1000:.1f}  max {max(validations) * 1000:.1f}"
    )
    print(
        f"  create to RUNNING  median {statistics.median(creates) * 1000:8.1f} ms   "
        f"min {min(creates) * 1000:.1f}  max {max(creates) * 1000:.1f}"
    )
    print(f"topic cleanup (batches of 100, 200 other stages' topics on the broker, median of {args.repeats})")
    print(f"  {'topics':>7} {'deleted (ack)':>14} {'gone from listing':>18} {'per topic':>10} {'failed':>7}")
    for size, acknowledged, until_gone, failed in cleanups:
        print(
            f"  {size:>7} {acknowledged:>12.2f} s {until_gone:>16.2f} s {until_gone / size * 1000:>7.1f} ms {failed:>7}"
        )
    if len(cleanups) > 1:
        first, last = cleanups[0], cleanups[-1]
        scale = last[0] / first[0]
        for label, index in (("acknowledged", 1), ("gone from listing", 2)):
            factor = last[index] / first[index]
            print(
                f"  {label}: time grows x{factor:.1f} for x{scale:.0f} topics "
                f"(ratio to linear {factor / scale:.2f}; <= 1 is linear or better)"
            )


if __name__ == "__main__":
    main()

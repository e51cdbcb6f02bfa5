"""Real change events through the local pipeline (stand-in PostgreSQL -> Debezium in the local Connect worker ->
local Kafka, devtools/standin): commit-to-Kafka latency, snapshot throughput, and how long a silent stop takes to
reach the stale verdict and CaptureStale's ALARM with production's settings.

    PYTHONPATH=. .venv/bin/python bench/bench_real_events.py [--rows 20000] [--rate 200] [--stream-seconds 20]
                                                            [--stop-trials 1]

- latency: rows inserted one transaction each at `--rate` per second; per row, from the moment its commit returned
  to the moment a consumer polling the data topic received its event (same clock);
- snapshot: `--rows` rows in the table before the connector's first start, rows/s from registration to the last
  snapshot event received; then an incremental snapshot of the same table sent with `ops snapshot`;
- silent stop: the database frozen (every server process SIGSTOPped) while the connector stays RUNNING, with
  production's heartbeat interval and freshness threshold; real health runs every production schedule interval;
  the stale verdict is the first run past the threshold, the ALARM is when CloudWatch, as the stack declares
  CaptureStale (periods, datapoints, missing data), would breach on those runs' datapoints (tests/alarm_model.py;
  CloudWatch's own evaluation delay, typically under a minute, is not in the figure).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from devtools.ops import OK
from devtools.ops import main as ops_main
from devtools.standin.database import HEARTBEAT_TABLE, table_identifier
from devtools.standin.pipeline import StandinPipeline, standin_options
from tests.alarm_model import capture_stale_rule, first_alarm
from tests.integration.standin_health import REGION, health_run, standin_aws
from wms_connector.health import metric_names as m
from wms_connector.settings.load import load_settings
from wms_connector.stages import Stage

STAGE = Stage.parse("bench")
TABLE = "WMS.PLAN_BASE_WVR_TBL"
INSERT = "INSERT INTO {} (\"WVR_ID\", \"PLAN_ID\", \"STATUS\", \"CREATED_BY\", \"APPROVER_EMAIL\", \"QTY\") " \
         "VALUES (%s, %s, 'NEW', %s, %s, %s)"


def production_settings():
    return load_settings(Stage.parse("production"), {"connector": {"heartbeatTable": HEARTBEAT_TABLE}},
                         aws_region=REGION)


class TopicWatch:
    """A consumer thread noting when each row id's first event of `op` arrives on a topic."""

    def __init__(self, pipeline: StandinPipeline, topic: str, op: str, start_offset: int = 0):
        self.arrived: dict[int, float] = {}
        self._consumer = KafkaConsumer(bootstrap_servers=pipeline.stack.bootstrap_servers, group_id=None,
                                       enable_auto_commit=False)
        self._topic, self._op, self._offset = topic, op, start_offset
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TopicWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._consumer.partitions_for_topic(self._topic) and not self._stop.is_set():
            time.sleep(0.05)
        partition = TopicPartition(self._topic, 0)
        self._consumer.assign([partition])
        self._consumer.seek(partition, self._offset)
        while not self._stop.is_set():
            for records in self._consumer.poll(timeout_ms=100).values():
                received = time.time()
                for record in records:
                    row_id, op = _row_and_op(record.value)
                    if op == self._op:
                        self.arrived.setdefault(row_id, received)

    def wait_for(self, count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.arrived) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(self.arrived)} of {count} events arrived on {self._topic}")
            time.sleep(0.05)


def _row_and_op(raw: bytes | None) -> tuple[int | None, str | None]:
    """(row id, op) of an envelope event; (None, None) for a tombstone."""
    if raw is None:
        return None, None
    payload = json.loads(raw).get("payload", {})
    row = payload.get("after") or payload.get("before") or {}
    return row.get("WVR_ID"), payload.get("op")


def end_offset(pipeline: StandinPipeline, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=pipeline.stack.bootstrap_servers, group_id=None)
    try:
        partition = TopicPartition(topic, 0)
        return consumer.end_offsets([partition])[partition]
    finally:
        consumer.close()


def insert_rows(pipeline: StandinPipeline, ids: range) -> None:
    with pipeline.database.connect() as db, db.cursor() as cursor, db.transaction():
        cursor.executemany(
            INSERT.format(table_identifier(TABLE).as_string(db)),
            [(i, f"P{i}", f"user-{i}", f"approver-{i % 7}@example.com", i) for i in ids],
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def initial_snapshot(pipeline: StandinPipeline, rows: int, topic: str) -> None:
    insert_rows(pipeline, range(1, rows + 1))
    with TopicWatch(pipeline, topic, "r") as watch:
        started = time.time()
        result = pipeline.register(standin_options())
        assert result["state"] == "running", result
        watch.wait_for(rows, timeout_s=600)
        took = max(watch.arrived.values()) - started
        first = min(watch.arrived.values()) - started
    print(f"initial snapshot: {rows} rows in {took:.1f} s from registration ({rows / took:,.0f} rows/s; first row "
          f"after {first:.1f} s: validation, start, slot and publication)")


def incremental_snapshot(pipeline: StandinPipeline, rows: int, topic: str) -> None:
    start = end_offset(pipeline, topic)
    with TopicWatch(pipeline, topic, "r", start_offset=start) as watch:
        started = time.time()
        out = io.StringIO()
        stack = pipeline.stack
        code = ops_main(["--stage", STAGE.name, "--connect-url", stack.connect_url, "--bootstrap-servers",
                         stack.bootstrap_servers, "--jmx-url", stack.jmx_url, "snapshot", "--type", "incremental",
                         "--table", TABLE], environ={}, out=out, err=out)
        assert code == OK, out.getvalue()
        watch.wait_for(rows, timeout_s=600)
        took = max(watch.arrived.values()) - started
        first = min(watch.arrived.values()) - started
    print(f"incremental snapshot (ops snapshot): {rows} rows in {took:.1f} s ({rows / took:,.0f} rows/s; first row "
          f"after {first:.1f} s; chunks of Debezium's default 1024 rows)")


def streaming_latency(pipeline: StandinPipeline, rate: int, seconds: int, topic: str, first_id: int) -> None:
    ids = range(first_id, first_id + rate * seconds)
    committed: dict[int, float] = {}
    with TopicWatch(pipeline, topic, "c", start_offset=end_offset(pipeline, topic)) as watch:
        with pipeline.database.connect() as db, db.cursor() as cursor:
            statement = INSERT.format(table_identifier(TABLE).as_string(db))
            began = time.monotonic()
            for n, i in enumerate(ids):
                # One transaction per row (autocommit), paced to the rate.
                delay = began + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                cursor.execute(statement, (i, f"P{i}", f"user-{i}", f"approver-{i % 7}@example.com", i))
                committed[i] = time.time()
        watch.wait_for(len(ids), timeout_s=120)
        latencies = [(watch.arrived[i] - committed[i]) * 1000 for i in ids]
    print(f"commit to Kafka: {len(ids)} single-row transactions at {rate}/s: "
          f"p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
          f"max {max(latencies):.0f} ms, mean {statistics.mean(latencies):.0f} ms")


def silent_stop(pipeline: StandinPipeline, trial: int) -> None:
    settings = production_settings()
    rule = capture_stale_rule(settings)
    threshold_ms = settings.capture.freshness_threshold_ms
    run_every_s = settings.health.schedule_minutes * 60
    with standin_aws(pipeline) as aws:
        # Fresh before the stop, on production's heartbeat interval.
        deadline = time.monotonic() + 3 * settings.connector.options.heartbeat_interval_ms / 1000
        while (health_run(pipeline, aws)["metrics"].get(m.CAPTURE_FRESHNESS_MS, threshold_ms + 1) > threshold_ms):
            if time.monotonic() > deadline:
                raise SystemExit("the stand-in's heartbeat never became fresh")
            time.sleep(5)
        # Runs on their schedule from a moment of their own; the stop at a random moment between two of them.
        runs: list[tuple[float, float | None]] = []
        next_run = time.time()
        stop_at = next_run + random.uniform(0, run_every_s)  # noqa: S311 - a phase, not a secret
        stopped = stale_at = alarm_at = None
        try:
            while alarm_at is None:
                now = time.time()
                if stopped is None and now >= stop_at:
                    pipeline.server.freeze()
                    stopped = time.time()
                if now >= next_run:
                    summary = health_run(pipeline, aws)
                    age = summary["metrics"].get(m.CAPTURE_FRESHNESS_MS)
                    runs.append((next_run, age))
                    if stopped is not None and stale_at is None and (age is None or age > threshold_ms):
                        stale_at = time.time()
                    next_run += run_every_s
                    if stopped is not None:
                        alarm_at = first_alarm(rule, runs, start=runs[0][0], end=time.time())
                time.sleep(0.2)
        finally:
            pipeline.server.thaw()
    print(f"silent stop {trial}: stale verdict {stale_at - stopped:.0f} s after the stop, CaptureStale ALARM "
          f"{alarm_at - stopped:.0f} s after it ({len(runs)} runs; heartbeat "
          f"{settings.connector.options.heartbeat_interval_ms // 1000} s, threshold {threshold_ms // 1000} s, "
          f"{rule.datapoints_to_alarm or rule.evaluation_periods} of {rule.evaluation_periods} × "
          f"{rule.period_seconds} s periods)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows for the initial and incremental snapshots")
    parser.add_argument("--rate", type=int, default=200, help="single-row transactions per second while streaming")
    parser.add_argument("--stream-seconds", type=int, default=20)
    parser.add_argument("--stop-trials", type=int, default=1, help="silent stops to time (about 5 min each)")
    args = parser.parse_args()
    topic = f"{STAGE.topic_namespace}aws.wms.cdc.{TABLE}"
    with tempfile.TemporaryDirectory(prefix="bench-events-") as base:
        pipeline = StandinPipeline.on_free_ports(Path(base), STAGE)
        started = time.perf_counter()
        pipeline.start()
        print(f"stand-in PostgreSQL + Kafka + Connect started in {time.perf_counter() - started:.1f} s")
        try:
            initial_snapshot(pipeline, args.rows, topic)
            streaming_latency(pipeline, args.rate, args.stream_seconds, topic, first_id=args.rows + 1)
            incremental_snapshot(pipeline, args.rows + args.rate * args.stream_seconds, topic)
            for trial in range(1, args.stop_trials + 1):
                silent_stop(pipeline, trial)
        finally:
            pipeline.stop()
            pipeline.server.discard()


if __name__ == "__main__":
    main()

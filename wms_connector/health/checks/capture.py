"""Capture health from the worker's JMX exporter: Debezium's streaming lag, source connection, time since the
last event, snapshot progress while a snapshot runs, and the LogMiner figures that warn before data is at risk
(how old the oldest SCN a restart would read from is, transactions held in the buffer, LogMiner's PGA, DDL it
could not parse, errors), plus the worker's heap.

The exporter rules in connect-image/jmx-exporter.yml turn the MBean
`debezium.oracle:type=connector-metrics,context=<streaming|snapshot>,server=<topic.prefix>` attribute `<Attr>`
into `debezium_oracle_<attr lowercased>{context="...", server="..."}` (the local stand-in's PostgreSQL connector
into `debezium_postgres_...` by the same rule); booleans become 1.0 / 0.0. The parser
matches that shape (prefix `debezium`, attribute as the last `_` segment, any case), so a rule that keeps
Debezium's own capitalisation or adds labels still parses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import urllib3
from prometheus_client.parser import text_string_to_metric_families

from wms_connector.health.checks.connect import ConnectFindings

DEFAULT_TIMEOUT_SECONDS = 5.0

STREAMING = "streaming"
SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class CaptureFindings:
    lag_ms: float | None = None
    connected: bool | None = None
    ms_since_last_event: float | None = None
    snapshot_running: bool | None = None
    snapshot_tables_remaining: float | None = None
    snapshot_duration_s: float | None = None
    # LogMiner (streaming context): how far back a restart would read, and what holds it there.
    oldest_scn_age_ms: float | None = None
    lag_from_source_ms: float | None = None
    offset_scn: float | None = None
    current_scn: float | None = None
    active_transactions: float | None = None
    oversized_transactions: float | None = None
    abandoned_transactions: float | None = None
    scn_freeze_count: float | None = None
    pga_bytes: float | None = None
    # Schema and errors (counts since the task started). Debezium 3.6 counts a DDL statement it could not parse
    # (and skipped) in TotalSchemaChangeParseErrorCount (OracleSchemaChangeEventEmitter); the UnparsableDdlCount
    # and NetworkConnectionProblemsCounter attributes of earlier releases are gone.
    schema_parse_errors: float | None = None
    warning_count: float | None = None
    error_count: float | None = None
    # The worker's JVM heap.
    heap_used_bytes: float | None = None
    heap_max_bytes: float | None = None
    error: str | None = None

    @property
    def heap_used_percent(self) -> float | None:
        if not self.heap_used_bytes or not self.heap_max_bytes:
            return None
        return 100.0 * self.heap_used_bytes / self.heap_max_bytes

    @property
    def streaming_seen(self) -> bool:
        return self.connected is not None or self.lag_ms is not None

    @property
    def debezium_seen(self) -> bool:
        return self.streaming_seen or self.snapshot_running is not None


def _debezium_samples(text: str, server: str | None) -> dict[tuple[str, str], list[float]]:
    """(context, attribute lowercased) -> values, for Debezium connector-metrics samples of `server`."""
    found: dict[tuple[str, str], list[float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = {k.lower(): v for k, v in sample.labels.items()}
            context = labels.get("context", "").lower()
            if context not in (STREAMING, SNAPSHOT) or not sample.name.lower().startswith("debezium"):
                continue
            sample_server = labels.get("server") or labels.get("name")
            if server and sample_server and sample_server != server:
                continue
            attribute = sample.name.rsplit("_", 1)[-1].lower()
            found.setdefault((context, attribute), []).append(float(sample.value))
    return found


# CaptureFindings field -> Debezium's LogMiner streaming attribute (LogMinerStreamingChangeEventSourceMetricsMXBean
# and its parents in the pinned plugin).
STREAMING_ATTRIBUTES = {
    "lag_ms": "MilliSecondsBehindSource",
    "ms_since_last_event": "MilliSecondsSinceLastEvent",
    "oldest_scn_age_ms": "OldestScnAgeInMilliseconds",
    "lag_from_source_ms": "LagFromSourceInMilliseconds",
    "offset_scn": "OffsetScn",
    "current_scn": "CurrentScn",
    "active_transactions": "NumberOfActiveTransactions",
    "oversized_transactions": "NumberOfOversizedTransactions",
    "abandoned_transactions": "AbandonedTransactionCount",
    "scn_freeze_count": "ScnFreezeCount",
    "pga_bytes": "MiningSessionProcessGlobalAreaMemoryInBytes",
    "schema_parse_errors": "TotalSchemaChangeParseErrorCount",
    "warning_count": "WarningCount",
    "error_count": "ErrorCount",
}
# The exporter rule for java.lang:type=Memory (connect-image/jmx-exporter.yml).
HEAP_USED = "jvm_memory_heap_used_bytes"
HEAP_MAX = "jvm_memory_heap_max_bytes"


def _heap(text: str) -> tuple[float | None, float | None]:
    used = maximum = None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == HEAP_USED:
                used = float(sample.value)
            elif sample.name == HEAP_MAX:
                maximum = float(sample.value)
    return used, maximum


def parse_capture_metrics(text: str, server: str | None = None) -> CaptureFindings:
    samples = _debezium_samples(text, server)

    def first(context: str, attribute: str) -> float | None:
        values = samples.get((context, attribute.lower()))
        return values[0] if values else None

    connected = first(STREAMING, "Connected")
    running = first(SNAPSHOT, "SnapshotRunning")
    heap_used, heap_max = _heap(text)
    return CaptureFindings(
        connected=None if connected is None else connected >= 1.0,
        snapshot_running=None if running is None else running >= 1.0,
        snapshot_tables_remaining=first(SNAPSHOT, "RemainingTableCount"),
        snapshot_duration_s=first(SNAPSHOT, "SnapshotDurationInSeconds"),
        heap_used_bytes=heap_used,
        heap_max_bytes=heap_max,
        **{field: first(STREAMING, attribute) for field, attribute in STREAMING_ATTRIBUTES.items()},
    )


def not_started(connect: ConnectFindings, capture: CaptureFindings | None) -> bool:
    """The connector and its tasks RUNNING, the worker scraped, and no Debezium metrics: Debezium's start is being
    retried. Debezium 3.6 (BaseSourceTask.start) retries a retriable start failure, such as an unreachable database,
    from poll() while Connect shows the task RUNNING, and registers its metrics beans only once the task has
    started (ChangeEventSourceCoordinator); with no connection Debezium has, it counts as disconnected."""
    return connect.all_running and capture is not None and capture.error is None and not capture.debezium_seen


Fetch = Callable[[str], str]


def http_fetch(timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Fetch:
    http = urllib3.PoolManager(retries=False)

    def fetch(url: str) -> str:
        response = http.request("GET", url, timeout=timeout)
        if response.status != 200:
            raise RuntimeError(f"JMX exporter at {url} answered HTTP {response.status}")
        return response.data.decode("utf-8")

    return fetch


def check_capture(fetch: Fetch, url: str, server: str | None) -> CaptureFindings:
    try:
        text = fetch(url)
    except Exception as exc:  # any transport or HTTP failure means "unknown", reported, never raised
        return CaptureFindings(error=f"could not scrape the JMX exporter: {type(exc).__name__}: {exc}")
    try:
        return parse_capture_metrics(text, server)
    except ValueError as exc:
        return CaptureFindings(error=f"JMX exporter output is not Prometheus text: {exc}")


def check_capture_on_workers(fetch: Fetch, urls: list[str], server: str | None) -> CaptureFindings:
    """The connector's task runs on one worker; the others (warm standbys) export no Debezium metrics."""
    if not urls:
        return CaptureFindings(error="no running Connect worker to scrape")
    results = [check_capture(fetch, url, server) for url in urls]
    return next((r for r in results if r.debezium_seen), next((r for r in results if not r.error), results[0]))

"""Capture health from the worker's JMX exporter: Debezium's streaming lag, source connection, time since the
last event, and snapshot progress while a snapshot runs.

The exporter rules in connect-image/jmx-exporter.yml turn the MBean
`debezium.oracle:type=connector-metrics,context=<streaming|snapshot>,server=<topic.prefix>` attribute `<Attr>`
into `debezium_oracle_<attr lowercased>{context="...", server="..."}`; booleans become 1.0 / 0.0. The parser
matches that shape (prefix `debezium`, attribute as the last `_` segment, any case), so a rule that keeps
Debezium's own capitalisation or adds labels still parses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import urllib3
from prometheus_client.parser import text_string_to_metric_families

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
    error: str | None = None

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


def parse_capture_metrics(text: str, server: str | None = None) -> CaptureFindings:
    samples = _debezium_samples(text, server)

    def first(context: str, attribute: str) -> float | None:
        values = samples.get((context, attribute.lower()))
        return values[0] if values else None

    connected = first(STREAMING, "Connected")
    running = first(SNAPSHOT, "SnapshotRunning")
    return CaptureFindings(
        lag_ms=first(STREAMING, "MilliSecondsBehindSource"),
        connected=None if connected is None else connected >= 1.0,
        ms_since_last_event=first(STREAMING, "MilliSecondsSinceLastEvent"),
        snapshot_running=None if running is None else running >= 1.0,
        snapshot_tables_remaining=first(SNAPSHOT, "RemainingTableCount"),
    )


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

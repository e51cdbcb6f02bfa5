"""Whether capture still writes: the data and heartbeat topics' end offsets compared with the last run's.

With heartbeats on, a healthy connector moves the heartbeat topic even when the tables are quiet, so neither
moving between two runs means capture stopped, whatever the connector's state says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from wms_connector.kafka_settings import CLIENT_API_VERSION

DEFAULT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class TopicFindings:
    offsets: dict[str, int]  # topic -> sum of its partitions' end offsets (topics that exist)
    events_captured: int | None = None  # growth of the data topics since the last run
    stalled: bool | None = None  # None on the first run, or when offsets could not be read
    error: str | None = None


def compare_offsets(
    previous: Mapping[str, int] | None,
    current: Mapping[str, int],
    data_topics: Iterable[str],
    heartbeat_topic: str,
) -> TopicFindings:
    """`previous` is None on the first run; a topic that does not exist counts as offset 0."""
    data_topics = tuple(data_topics)
    watched = (*data_topics, heartbeat_topic)
    if previous is None:
        return TopicFindings(offsets=dict(current))
    # A topic deleted and recreated starts again at 0: growth is never negative.
    growth = {t: max(0, current.get(t, 0) - previous.get(t, 0)) for t in watched}
    return TopicFindings(
        offsets=dict(current),
        events_captured=sum(growth[t] for t in data_topics),
        stalled=not any(growth.values()),
    )


ConsumerFactory = Callable[[], Any]


def kafka_consumer_factory(
    bootstrap_servers: str, security_protocol: str, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> ConsumerFactory:
    """A consumer that only reads metadata and end offsets: no group, no commits."""

    def build() -> KafkaConsumer:
        return KafkaConsumer(
            bootstrap_servers=bootstrap_servers.split(","),
            security_protocol=security_protocol,
            enable_auto_commit=False,
            group_id=None,
            request_timeout_ms=timeout_ms + 1000,
            bootstrap_timeout_ms=timeout_ms,
            # Freshness reads records already on the broker: it must not wait for more to arrive (default 500 ms).
            fetch_max_wait_ms=20,
            api_version=CLIENT_API_VERSION,
            client_id="wms-connector-health",
        )

    return build


def read_end_offsets(consumer_factory: ConsumerFactory, topics: Iterable[str]) -> dict[str, int]:
    consumer = consumer_factory()
    try:
        existing = consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            if topic in existing
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        ends = consumer.end_offsets(partitions) if partitions else {}
    finally:
        consumer.close()
    totals: dict[str, int] = {}
    for tp, offset in ends.items():
        totals[tp.topic] = totals.get(tp.topic, 0) + int(offset)
    return totals


def check_topics(
    consumer_factory: ConsumerFactory,
    previous: Mapping[str, int] | None,
    data_topics: Iterable[str],
    heartbeat_topic: str,
) -> TopicFindings:
    data_topics = tuple(data_topics)
    try:
        current = read_end_offsets(consumer_factory, (*data_topics, heartbeat_topic))
    except Exception as exc:  # kafka-python raises many unrelated types; any of them means "unknown"
        return TopicFindings(
            offsets=dict(previous or {}), error=f"could not read end offsets: {type(exc).__name__}: {exc}"
        )
    return compare_offsets(previous, current, data_topics, heartbeat_topic)

"""When a connector's tasks started, from the stage's Connect status topic: whether a config update is in effect.

After `PUT …/config` Connect hands the new config to the connector, which gives its tasks new configs, and the
worker stops and starts those tasks a moment later. Until then the REST status still shows the tasks of the old
config RUNNING, and the REST API says nothing of which config a task runs with. Connect's status topic does:
every task start writes a record keyed `status-task-<connector>-<id>` (KafkaStatusBackingStore; a task's
WorkerTask reports RUNNING, or PAUSED, on startup, FAILED when its start fails). A task with such a record written
after the update was started after it, with the new config.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

# A started task reports one of these (PAUSED when it starts in a paused connector); UNASSIGNED is what a stopped
# one reports.
STARTED_STATES = ("RUNNING", "PAUSED", "FAILED")
READ_TIMEOUT_SECONDS = 10.0

Mark = dict[int, int]  # partition -> the status topic's end offset at the mark


def task_status_key(connector: str, task: int) -> bytes:
    return f"status-task-{connector}-{task}".encode()


def started_tasks(records: Iterable[tuple[bytes | None, bytes | None]], connector: str) -> set[int]:
    """The task ids of `connector` with a start (RUNNING or FAILED) among status-topic records (key, value)."""
    prefix = f"status-task-{connector}-".encode()
    started: set[int] = set()
    for key, value in records:
        if not key or not key.startswith(prefix) or not value:
            continue
        task = key[len(prefix):]
        try:
            state = json.loads(value).get("state")
        except (ValueError, AttributeError):
            continue
        if task.isdigit() and state in STARTED_STATES:
            started.add(int(task))
    return started


@dataclass(frozen=True)
class TaskStartLog:
    """The stage's status topic, read without a consumer group from a mark to its end."""

    stage: Stage
    consumer_factory: Callable[[], object]

    @property
    def topic(self) -> str:
        return StageTopics(self.stage).status_topic

    def mark(self) -> Mark:
        consumer = self.consumer_factory()
        try:
            partitions = self._partitions(consumer)
            return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
        finally:
            consumer.close()

    def started_since(self, mark: Mark, connector: str, timeout_s: float = READ_TIMEOUT_SECONDS) -> set[int]:
        """Task ids of `connector` started after `mark` (records written since, read to the topic's end)."""
        consumer = self.consumer_factory()
        records: list[tuple[bytes | None, bytes | None]] = []
        try:
            partitions = self._partitions(consumer)
            ends = consumer.end_offsets(partitions)
            wanted = {tp: end for tp, end in ends.items() if end > mark.get(tp.partition, 0)}
            if not wanted:
                return set()
            consumer.assign(list(wanted))
            for tp in wanted:
                consumer.seek(tp, mark.get(tp.partition, 0))
            deadline = time.monotonic() + timeout_s
            while wanted and time.monotonic() < deadline:
                for tp, batch in consumer.poll(timeout_ms=200).items():
                    records.extend((r.key, r.value) for r in batch)
                    if consumer.position(tp) >= wanted.get(tp, 0):
                        wanted.pop(tp, None)
            return started_tasks(records, connector)
        finally:
            consumer.close()

    def _partitions(self, consumer):
        from kafka import TopicPartition

        found = consumer.partitions_for_topic(self.topic) or set()
        if not found:
            raise LookupError(f"Connect's status topic {self.topic} does not exist")
        return [TopicPartition(self.topic, p) for p in sorted(found)]


def kafka_task_start_log(stage: Stage, bootstrap_servers: str, security_protocol: str) -> TaskStartLog:
    def consumer():
        from kafka import KafkaConsumer  # imported here: modules that only read records need no client

        return KafkaConsumer(
            bootstrap_servers=bootstrap_servers.split(","), security_protocol=security_protocol,
            enable_auto_commit=False, group_id=None, request_timeout_ms=11_000,
        )

    return TaskStartLog(stage, consumer)

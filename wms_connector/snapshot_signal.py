"""Debezium's `execute-snapshot` signal, sent through the Kafka signal channel to the stage's own signal topic.

Debezium's KafkaSignalChannel reads partition 0 of `signal.kafka.topic` and acts only on records whose key equals
the connector's logical name (`topic.prefix`); the value is `{"id", "type", "data"}` with `data` a JSON object.
`data-collections` are regular expressions matched against Oracle table ids `<database>.<SCHEMA>.<TABLE>`; the
database part (CDB or PDB name) comes from the worker's environment, so it is optional and the rest exact (which
also matches the stand-in PostgreSQL connector's `<SCHEMA>.<TABLE>` ids, devtools/standin).
Incremental snapshots on Oracle write their watermarks into a signalling table (`signal.data.collection`), so
they need one; blocking snapshots do not.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from wms_connector.kafka_producer import RecordWriter
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_TABLE_NAMES, StageTopics

SIGNAL_TYPE = "execute-snapshot"
SNAPSHOT_TYPES = ("blocking", "incremental")


class SignalRefused(ValueError):
    """The signal cannot be sent as asked; the message names the input and what is allowed."""


def check_tables(tables: Sequence[str] | None) -> tuple[str, ...]:
    """`SCHEMA.TABLE` names of captured tables (all of them when none are given), each once, in order."""
    if not tables:
        return CAPTURED_TABLE_NAMES
    if isinstance(tables, str) or not all(isinstance(t, str) for t in tables):
        raise SignalRefused(f"Tables must be a list of names, got {tables!r}.")
    unknown = [t for t in tables if t not in CAPTURED_TABLE_NAMES]
    if unknown:
        raise SignalRefused(
            f"Table(s) {', '.join(repr(t) for t in unknown)} are not captured; allowed: "
            f"{', '.join(CAPTURED_TABLE_NAMES)}."
        )
    return tuple(dict.fromkeys(tables))


def check_snapshot_type(snapshot_type: object) -> str:
    if snapshot_type not in SNAPSHOT_TYPES:
        raise SignalRefused(f"Snapshot type {snapshot_type!r} is not allowed: one of {', '.join(SNAPSHOT_TYPES)}.")
    return str(snapshot_type)


def data_collection_pattern(table: str) -> str:
    schema, name = table.split(".")
    return f"(?:[^.]+\\.)?{re.escape(schema)}\\.{re.escape(name)}"


@dataclass(frozen=True)
class SnapshotSignal:
    key: str
    signal_id: str
    snapshot_type: str
    tables: tuple[str, ...]

    @property
    def value(self) -> dict:
        return {
            "id": self.signal_id,
            "type": SIGNAL_TYPE,
            "data": {
                "data-collections": [data_collection_pattern(t) for t in self.tables],
                "type": self.snapshot_type,
            },
        }


def snapshot_signal(
    stage: Stage, tables: Sequence[str] | None, snapshot_type: str, signal_id: str | None = None
) -> SnapshotSignal:
    return SnapshotSignal(
        key=StageTopics(stage).topic_prefix,
        signal_id=signal_id or str(uuid.uuid4()),
        snapshot_type=check_snapshot_type(snapshot_type),
        tables=check_tables(tables),
    )


@dataclass(frozen=True)
class SignalWriter(RecordWriter):
    """Writes signals to the stage's signal topic, and to no other topic."""

    def send(self, stage: Stage, signal: SnapshotSignal) -> dict:
        topic = StageTopics(stage).signal_topic
        # Partition 0: the only partition Debezium's signal consumer reads.
        sent = self.send_one(topic, signal.key.encode(), json.dumps(signal.value).encode(), partition=0)
        return {"topic": sent.topic, "partition": sent.partition, "offset": sent.offset}

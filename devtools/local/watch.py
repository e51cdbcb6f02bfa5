"""`python -m devtools.local watch`: a captured table's change events as they arrive on the local broker, one
line each (operation, key, the row after the change or before a delete), the way a consumer of the topic sees
them. Works with either database behind the local stack."""

from __future__ import annotations

import json
import socket
import time
from typing import Any, TextIO

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from devtools.local.settings import LocalStackError

OPERATIONS = {"c": "insert", "u": "update", "d": "delete", "r": "read (snapshot)"}


def _decoded(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
    return value["payload"] if isinstance(value, dict) and set(value) == {"schema", "payload"} else value


def describe(key: bytes | None, value: bytes | None) -> str:
    """One event as a line: envelope and flat rows alike; a tombstone says what it is."""
    row_key, payload = _decoded(key), _decoded(value)
    if payload is None:
        return f"tombstone  key={json.dumps(row_key)}"
    if not isinstance(payload, dict):
        return f"record     {payload}"
    if "after" in payload or "before" in payload:
        op, row = payload.get("op"), payload.get("after") or payload.get("before")
    else:
        op, row = payload.get("__op"), {k: v for k, v in payload.items() if not k.startswith("__")}
    return f"{OPERATIONS.get(op, op or '?'):10} key={json.dumps(row_key)} row={json.dumps(row)}"


def watch(bootstrap_servers: str, topic: str, out: TextIO, *, from_beginning: bool = False,
          count: int | None = None, timeout_s: float | None = None) -> int:
    """Print events until `count` were shown or `timeout_s` passed (forever when neither is given); returns how
    many were shown."""
    host, _, port = bootstrap_servers.rpartition(":")
    try:
        # At once, rather than after kafka-python's 30 s of bootstrap retries.
        socket.create_connection((host, int(port)), timeout=2).close()
        consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False)
    except (OSError, KafkaError):
        raise LocalStackError(
            f"No Kafka broker answers on {bootstrap_servers}: start the local stack (make local) first."
        ) from None
    shown = 0
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        partitions = _wait_for_topic(consumer, topic, out, deadline)
        if not partitions:
            raise LocalStackError(
                f"No topic {topic} on {bootstrap_servers} yet: Debezium creates a table's topic with its first "
                "event (write a row, or wait for the initial snapshot)."
            )
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        (consumer.seek_to_beginning if from_beginning else consumer.seek_to_end)(*assigned)
        print(f"Watching {topic} (Ctrl-C to stop)", file=out, flush=True)
        while (count is None or shown < count) and (deadline is None or time.monotonic() < deadline):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    print(describe(record.key, record.value), file=out, flush=True)
                    shown += 1
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return shown


def _wait_for_topic(consumer: KafkaConsumer, topic: str, out: TextIO, deadline: float | None) -> list[int]:
    """The topic's partitions, once it exists (empty if it still does not at the deadline)."""
    said = False
    while True:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        if partitions or (deadline is not None and time.monotonic() >= deadline):
            return partitions
        if not said:
            print(f"Waiting for {topic}: Debezium creates it with the table's first event.", file=out, flush=True)
            said = True
        time.sleep(0.5)

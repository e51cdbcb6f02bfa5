"""One record to one topic with the stage's Kafka security settings: what the admin's topic writers share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLIENT_ID = "wms-connector-admin"


@dataclass(frozen=True)
class RecordWriter:
    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    timeout_seconds: float = 30.0

    def send_one(self, topic: str, key: bytes, value: bytes, *, partition: int | None = None) -> Any:
        """Send and wait until every in-sync replica has it (acks=all); returns the record's metadata."""
        from kafka import KafkaProducer  # imported here so the modules that only build records need no client

        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap_servers.split(","),
            security_protocol=self.security_protocol,
            client_id=CLIENT_ID,
            acks="all",
        )
        try:
            return producer.send(topic, key=key, value=value, partition=partition).get(timeout=self.timeout_seconds)
        finally:
            producer.close(timeout=self.timeout_seconds)

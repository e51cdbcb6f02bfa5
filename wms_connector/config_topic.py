"""Registering a connector whose database cannot be reached: its config record goes straight into the stage's
Connect config topic, as Connect's own herder writes it.

Connect refuses (`PUT …/config` → 400) any config its connector cannot validate, and Debezium's validation
opens a database connection. When the database is not reachable yet (a new network path, a local machine without
Oracle) and the stack asks for it (`allowUnreachableDatabase`), the admin writes the record itself after Connect
validated everything except the connection. Only the stage's own config topic is ever written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from wms_connector.kafka_producer import RecordWriter
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics


def connector_record(name: str, config: Mapping[str, str]) -> tuple[bytes, bytes]:
    """Key and value of a connector config record in Connect's config topic (KafkaConfigBackingStore format)."""
    return f"connector-{name}".encode(), json.dumps({"properties": {**config, "name": name}}).encode()


@dataclass(frozen=True)
class ConfigTopicWriter(RecordWriter):
    def register(self, stage: Stage, name: str, config: Mapping[str, str]) -> None:
        key, value = connector_record(name, config)
        self.send_one(StageTopics(stage).config_topic, key, value)

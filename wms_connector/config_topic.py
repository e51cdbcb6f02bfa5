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


# The REST API's states (`initial_state`) as the herder's TargetState names them.
_TARGET_STATES = {"RUNNING": "STARTED", "PAUSED": "PAUSED", "STOPPED": "STOPPED"}


def target_state_record(name: str, state: str) -> tuple[bytes, bytes]:
    """Key and value of a connector's target state (`state`: RUNNING, PAUSED or STOPPED) in the config topic, as
    Connect 3.9's KafkaConfigBackingStore writes it: `state.v2` is the state, `state` what a worker that predates
    STOPPED understands (PAUSED for STOPPED)."""
    if state not in _TARGET_STATES:
        raise ValueError(f"target state {state!r} is not RUNNING, PAUSED or STOPPED.")
    target = _TARGET_STATES[state]
    legacy = "PAUSED" if target == "STOPPED" else target
    return f"target-state-{name}".encode(), json.dumps({"state": legacy, "state.v2": target}).encode()


@dataclass(frozen=True)
class ConfigTopicWriter(RecordWriter):
    def register(self, stage: Stage, name: str, config: Mapping[str, str], initial_state: str | None = None) -> None:
        """Write the connector's config; with `initial_state` (RUNNING, PAUSED, STOPPED) its target state first, as
        Connect does for a connector created with `initial_state`, so it never runs in another state first."""
        topic = StageTopics(stage).config_topic
        if initial_state is not None:
            self.send_one(topic, *target_state_record(name, initial_state))
        key, value = connector_record(name, config)
        self.send_one(topic, key, value)

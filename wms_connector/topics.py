"""Every Kafka topic and group a stage creates or uses, derived from the stage in one place."""

from __future__ import annotations

from dataclasses import dataclass

from wms_connector.stages import Stage

# The tables captured, as (schema, table). Their topics are the names existing consumers already read.
CAPTURED_TABLES = (
    ("MMDL", "PLAN_BASE_WVR_TBL"),
    ("MMDL", "PLAN_WVR_RVSN_TBL"),
    ("WMS", "PLAN_BASE_WVR_TBL"),
    ("WMS", "PLAN_WVR_RVSN_TBL"),
)
# The schemas those tables live in, in first-seen order.
CAPTURED_SCHEMAS = tuple(dict.fromkeys(schema for schema, _ in CAPTURED_TABLES))
# `SCHEMA.TABLE`, as people and Debezium's signals name them.
CAPTURED_TABLE_NAMES = tuple(f"{schema}.{table}" for schema, table in CAPTURED_TABLES)

# Unprefixed roots; an ephemeral stage puts `<stage>.` in front of each.
DATA_TOPIC_ROOT = "aws.wms.cdc"
CONNECT_GROUP_ROOT = "mgmt.connect.wms-connector-"
HEARTBEAT_ROOT = "__debezium-heartbeat"
CONNECTOR_NAME = "wms-oracle-cdc"


@dataclass(frozen=True)
class StageTopics:
    stage: Stage

    @property
    def namespace(self) -> str:
        return self.stage.topic_namespace

    @property
    def topic_prefix(self) -> str:
        """Debezium `topic.prefix`; never change it on a running connector (schema history is keyed by it)."""
        return f"{self.namespace}{DATA_TOPIC_ROOT}"

    @property
    def data_topics(self) -> tuple[str, ...]:
        return tuple(f"{self.topic_prefix}.{schema}.{table}" for schema, table in CAPTURED_TABLES)

    def heartbeat_table_topic(self, table: str) -> str:
        """Where the heartbeat table's changes go (`SCHEMA.TABLE`): under the topic prefix like a data topic, but
        never counted as business data."""
        return f"{self.topic_prefix}.{table}"

    @property
    def connect_group_id(self) -> str:
        return f"{self.namespace}{CONNECT_GROUP_ROOT}{self.stage.name}"

    @property
    def config_topic(self) -> str:
        return f"{self.connect_group_id}.config"

    @property
    def offsets_topic(self) -> str:
        return f"{self.connect_group_id}.offsets"

    @property
    def status_topic(self) -> str:
        return f"{self.connect_group_id}.status"

    @property
    def connect_internal_topics(self) -> tuple[str, ...]:
        return (self.config_topic, self.offsets_topic, self.status_topic)

    @property
    def schema_history_topic(self) -> str:
        # Stage-specific even on named stages: two connectors sharing one history topic corrupt each other.
        return f"{self.connect_group_id}.schema-history"

    @property
    def heartbeat_prefix(self) -> str:
        """Debezium `topic.heartbeat.prefix`."""
        # Named stages have no namespace and share `topic.prefix` (and may share a cluster): their prefix carries
        # the stage name, so one stage's heartbeats never stand in for another's in the health check.
        suffix = "" if self.stage.is_ephemeral else f"-{self.stage.name}"
        return f"{self.namespace}{HEARTBEAT_ROOT}{suffix}"

    @property
    def heartbeat_topic(self) -> str:
        # Debezium names it `<topic.heartbeat.prefix>.<topic.prefix>`.
        return f"{self.heartbeat_prefix}.{self.topic_prefix}"

    @property
    def signal_topic(self) -> str:
        """Debezium's Kafka signal channel (`signal.kafka.topic`): one partition, the connector reads partition 0.
        Stage-specific for the same reason as the schema history topic."""
        return f"{self.connect_group_id}.signal"

    @property
    def schema_change_topic(self) -> str:
        # Debezium publishes DDL events to a topic named exactly `topic.prefix`.
        return self.topic_prefix

    @property
    def all_topics(self) -> tuple[str, ...]:
        """Every topic the stage's connector and workers create or use."""
        return (
            *self.data_topics,
            self.schema_change_topic,
            self.schema_history_topic,
            self.heartbeat_topic,
            self.signal_topic,
            *self.connect_internal_topics,
        )

    @property
    def connector_name(self) -> str:
        return CONNECTOR_NAME

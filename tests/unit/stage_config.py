"""A stage's connector config as the stack builds it, for tests whose subject is not the config itself: the admin's
config rule (wms_connector/connector/config_rule.py) refuses any other."""

from __future__ import annotations

from wms_connector.connector.config import build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.connector.source import KafkaClientSettings
from wms_connector.stages import Stage

SERVERS = "127.0.0.1:9092"


def stage_config(
    stage: str = "feat-x", options: ConnectorOptions | None = None, protocol: str = "PLAINTEXT"
) -> dict[str, str]:
    kafka = KafkaClientSettings(SERVERS, protocol, 1)
    return build_connector_config(Stage.parse(stage), options or ConnectorOptions(), kafka)

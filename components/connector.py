"""The stage's Debezium connector as a resource: registered, configured and kept in its desired state through
the admin Lambda, after the Connect service and its endpoint exist (and, on destroy, removed before them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.kafka_settings import MSK_SECURITY_PROTOCOL
from wms_connector.providers.debezium_connector import DebeziumConnector, secret_if_salted
from wms_connector.providers.transport import lambda_spec
from wms_connector.settings import StageSettings
from wms_connector.topics import StageTopics


@dataclass(frozen=True)
class ConnectorArgs:
    settings: StageSettings
    topics: StageTopics
    bootstrap_servers: str
    admin_function_name: pulumi.Input[str]
    # What must exist first (and be deleted after): the Connect service, its endpoint, the admin function.
    depends_on: Sequence[pulumi.Resource]
    admin_read_function_name: pulumi.Input[str] | None = None  # the read-only twin: refresh reads through it
    # True when the stack holds the connector options as a secret: the config made from them stays one.
    options_are_secret: bool = False


def connector_config(settings: StageSettings, bootstrap_servers: str) -> dict[str, str]:
    # The connector's own Kafka clients (schema history, signals) use MSK's TLS listener, like the workers.
    kafka = KafkaClientSettings(bootstrap_servers, MSK_SECURITY_PROTOCOL, settings.kafka.connect_replication_factor)
    return build_connector_config(settings.stage, settings.connector.options, kafka)


class Connector(pulumi.ComponentResource):
    """Exposes `resource` (the DebeziumConnector), `connector_name` and `connector_state` (as Connect reported it
    at the last `pulumi up` or `pulumi refresh`). The declared connector the health check reconciles towards is
    written by the admin in the same call that changes the connector (wms_connector/admin/control.py)."""

    def __init__(self, name: str, args: ConnectorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:connector:Connector", name, None, opts)
        settings = args.settings
        options = settings.connector.options
        config = secret_if_salted(connector_config(settings, args.bootstrap_servers), secret=args.options_are_secret)
        self.resource = DebeziumConnector(
            f"{name}-debezium",
            name=args.topics.connector_name,
            stage=settings.stage.name,
            config=config,
            transport=lambda_spec(args.admin_function_name, settings.region, args.admin_read_function_name),
            state=options.state,
            allow_unreachable_database=options.allow_unreachable_database,
            secret_config=args.options_are_secret,
            start_scn=options.start_scn,
            accept_unchecked_start_scn=options.accept_unchecked_start_scn,
            holder=f"pulumi stack {settings.stage.name}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.connector_name = self.resource.name
        self.connector_state = self.resource.connector_state
        self.register_outputs({"connectorName": self.connector_name, "connectorState": self.connector_state})

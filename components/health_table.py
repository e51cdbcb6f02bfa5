"""The stage's health table: the health check's state (restart budget, run state) and what the admin keeps beside
the connector (the hold, the declared connector). Made before the admin function, which writes it in the same
call that changes the connector, and the health check, which reads it.

The table was first made inside the health check component (`health` / `health-state`): the alias keeps that
resource, so no stage's table is replaced by the move.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from wms_connector.aws_names import aws_name
from wms_connector.stages import Stage

# Where the table lived before: the HealthCheck component named `health`.
FORMER_PARENT = ("health", "wms:health:HealthCheck")


class HealthTable(pulumi.ComponentResource):
    """Exposes `table`."""

    def __init__(self, name: str, stage: Stage, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("wms:health:HealthTable", name, None, opts)
        former_parent = pulumi.resource.create_urn(*FORMER_PARENT)
        self.table = aws.dynamodb.Table(
            "health-state",
            name=aws_name(stage, "dynamodb-table", "health"),
            billing_mode="PAY_PER_REQUEST",
            hash_key="connectorId",
            attributes=[{"name": "connectorId", "type": "S"}],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True},
            deletion_protection_enabled=stage.is_named,
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=former_parent)]),
        )
        self.register_outputs({"tableName": self.table.name})

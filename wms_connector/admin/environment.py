"""The admin Lambda's environment and the admin built from it. The variables it shares with the health Lambda are
read by `wms_connector.lambda_env`; the admin needs nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector.admin.errors import AdminMisconfigured
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient, private_ca_pem
from wms_connector.lambda_env import CONNECT_CA_ARN, LambdaEnvironment, LambdaEnvironmentError
from wms_connector.snapshot_signal import SignalWriter
from wms_connector.topic_admin import TopicAdmin

DEFAULT_CONNECT_DEADLINE_SECONDS = 60
# One Connect request; the deadline above bounds its retries.
MAX_REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, kw_only=True)
class AdminEnvironment(LambdaEnvironment):
    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AdminEnvironment:
        try:
            shared = cls.shared_values(env, default_deadline=DEFAULT_CONNECT_DEADLINE_SECONDS, who="admin function")
            return cls(**shared)
        except LambdaEnvironmentError as exc:
            raise AdminMisconfigured(str(exc)) from None


def build_admin(environment: LambdaEnvironment, *, acm_pca: Any = None) -> ConnectorAdmin:
    """The admin the Lambda runs; `acm_pca` (a boto3 client) is needed only when the CA comes by ARN."""
    ca = environment.connect_ca
    if ca is None and environment.connect_ca_arn:
        if acm_pca is None:
            raise AdminMisconfigured(f"{CONNECT_CA_ARN} is set but no ACM PCA client was given.")
        ca = private_ca_pem(acm_pca, environment.connect_ca_arn)
    connect = ConnectClient(
        environment.connect_url,
        ca=ca,
        request_timeout=min(MAX_REQUEST_TIMEOUT_SECONDS, environment.connect_deadline_seconds),
        deadline=environment.connect_deadline_seconds,
    )
    if not environment.bootstrap_servers:
        return ConnectorAdmin(connect=connect, stage=environment.stage, jmx_url=environment.jmx_url)
    servers, protocol = environment.bootstrap_servers, environment.security_protocol
    return ConnectorAdmin(
        connect=connect,
        stage=environment.stage,
        topic_admin_factory=lambda: TopicAdmin(servers, security_protocol=protocol),
        config_writer=ConfigTopicWriter(servers, protocol),
        jmx_url=environment.jmx_url,
        signal_writer=SignalWriter(servers, protocol),
    )

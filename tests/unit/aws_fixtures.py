"""The AWS set-ups tests build in moto again and again: credentials, the Connect ECS service, the health state
table, an active private CA, and loopback ports that do or do not listen.

Plain functions (and context managers), so each test module keeps its own small fixtures over them.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

REGION = "us-east-1"


def fake_credentials(monkeypatch: pytest.MonkeyPatch, region: str = REGION) -> None:
    """moto needs credentials to sign with; these can never reach a real account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)


def create_service(ecs: Any, cluster: str, service: str, *, desired: int = 1, **service_args: Any) -> None:
    """A cluster, a task definition and a service. moto starts `MOTO_ECS_SERVICE_RUNNING` tasks of it."""
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(family="connect", containerDefinitions=[{"name": "c", "image": "i", "memory": 512}])
    ecs.create_service(
        cluster=cluster, serviceName=service, taskDefinition="connect", desiredCount=desired, **service_args
    )


def create_state_table(dynamodb: Any, name: str) -> Any:
    """The health check's table as components/health.py declares it: hash key `connectorId`, on demand."""
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "connectorId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectorId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    return table


def health_check_aws(cluster: str, service: str, table: str, db_secret: str, db_info: dict[str, Any]) -> dict:
    """What one health-check run reads in AWS, inside an active moto context: the Connect service, the state
    table and the dbInfo secret. Returns {"ecs": client, "table": Table, "secret_arn": ARN}."""
    ecs = boto3.client("ecs", region_name=REGION)
    create_service(ecs, cluster, service)
    state = create_state_table(boto3.resource("dynamodb", region_name=REGION), table)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secret_arn = secrets.create_secret(Name=db_secret, SecretString=json.dumps(db_info))["ARN"]
    return {"ecs": ecs, "table": state, "secret_arn": secret_arn}


def active_private_ca(acm_pca: Any, common_name: str = "wms-connector test CA") -> tuple[str, str]:
    """A root CA made usable as in AWS (its own CSR signed and imported). Returns (CA ARN, its PEM certificate)."""
    ca_arn = acm_pca.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "RSA_2048",
            "SigningAlgorithm": "SHA256WITHRSA",
            "Subject": {"CommonName": common_name},
        },
        CertificateAuthorityType="ROOT",
    )["CertificateAuthorityArn"]
    csr = acm_pca.get_certificate_authority_csr(CertificateAuthorityArn=ca_arn)["Csr"]
    issued = acm_pca.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=csr,
        SigningAlgorithm="SHA256WITHRSA",
        TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
        Validity={"Value": 1, "Type": "DAYS"},
    )["CertificateArn"]
    certificate = acm_pca.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=issued)["Certificate"]
    acm_pca.import_certificate_authority_certificate(CertificateAuthorityArn=ca_arn, Certificate=certificate)
    return ca_arn, certificate


def free_port() -> int:
    """A loopback port that was free a moment ago: a server may bind it, and until one does, connections to it are
    refused at once (an unreachable Connect or database)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def listening_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections (a stand-in for the Oracle listener's TCP handshake)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


class Clock:
    """An injected clock: `now` is epoch seconds, moved by the test."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

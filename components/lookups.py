"""What the program reads from AWS before it registers anything: the stage's secrets, the VPC, the account.

Thin Pulumi invokes over the plain rules in `wms_connector.secrets_lookup`. Invokes go through the default
provider with an explicit region, so a missing or malformed secret fails before the first resource (even the
stack's own AWS provider) is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi_aws as aws

from wms_connector.redaction import redact
from wms_connector.secrets_lookup import Fetch, FetchedSecret, SecretError, StackSecrets, resolve_stack_secrets
from wms_connector.settings import StageSettings

# How the AWS provider reports a secret that does not exist (Secrets Manager's and the provider's wordings).
_NOT_FOUND_MARKERS = ("resourcenotfoundexception", "not found", "couldn't find", "can't find", "empty result")
# How the AWS SDK reports that there are no usable credentials at all.
_NO_CREDENTIALS_MARKERS = (
    "no valid credential", "unable to locate credentials", "expiredtoken", "invalidclienttokenid",
    "security token included in the request is invalid", "failed to refresh cached credentials",
)
# How AWS reports a caller that may not do something.
_DENIED_MARKERS = ("accessdenied", "not authorized", "unauthorizedoperation", "is not authorized to perform")
_CHECKLIST = "docs/deploy.md (first deploy checklist)"


def _is_not_found(error: Exception) -> bool:
    text = str(error).lower()
    return any(marker in text for marker in _NOT_FOUND_MARKERS)


def _is_denied(error: Exception) -> bool:
    text = str(error).lower()
    return any(marker in text for marker in _DENIED_MARKERS)


def _fetcher(read: Callable[[str], FetchedSecret], action: str, permission: str) -> Fetch:
    """`read` with "not found" turned into None and any other failure into a SecretError naming the path (and,
    when AWS refused the call, the permission the deploying identity lacks)."""

    def fetch(path: str) -> FetchedSecret | None:
        try:
            return read(path)
        except Exception as error:
            if _is_not_found(error):
                return None
            if any(marker in str(error).lower() for marker in _NO_CREDENTIALS_MARKERS):
                raise SecretError(
                    f"{action} {path} failed: there are no usable AWS credentials (none found, or expired). Set "
                    f"AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or log in again; see {_CHECKLIST}."
                ) from None
            if _is_denied(error):
                raise SecretError(
                    f"{action} {path} was refused: the AWS identity running Pulumi needs {permission} on the "
                    f"stage's secrets; see the permissions in {_CHECKLIST}."
                ) from None
            raise SecretError(f"{action} {path} failed: {redact(str(error))}") from None

    return fetch


def _fetchers(region: str) -> tuple[Fetch, Fetch]:
    def read_value(path: str) -> FetchedSecret:
        found = aws.secretsmanager.get_secret_version(secret_id=path, region=region)
        return FetchedSecret(path=path, arn=found.secret_arn, value=found.secret_string)

    def read_arn(path: str) -> FetchedSecret:
        # Metadata only: the value (credentials) is never requested.
        found = aws.secretsmanager.get_secret(name=path, region=region)
        return FetchedSecret(path=path, arn=found.arn)

    return (
        _fetcher(read_value, "Reading secret", "secretsmanager:GetSecretValue"),
        _fetcher(read_arn, "Looking up secret", "secretsmanager:DescribeSecret"),
    )


def _check_private_ca(secrets: StackSecrets, region: str) -> None:
    """The endpoint's certificate is issued by this CA during `pulumi up`: a missing or inactive one would fail
    there, minutes in; here it fails first and says what to do."""
    path = secrets.sources["connectAlbTls"].path
    try:
        ca = aws.acmpca.get_certificate_authority(arn=secrets.private_ca_arn, region=region)
    except Exception as error:
        if _is_denied(error):
            raise SecretError(
                f"Reading the ACM Private CA named by secret {path} was refused: the AWS identity running Pulumi "
                f"needs acm-pca:DescribeCertificateAuthority; see the permissions in {_CHECKLIST}."
            ) from None
        raise SecretError(
            f"The ACM Private CA {secrets.private_ca_arn} named by secret {path} does not exist in {region}: create "
            f"and activate a private CA for the Connect endpoint first ({_CHECKLIST}, step 4)."
        ) from None
    if ca.status != "ACTIVE":
        raise SecretError(
            f"The ACM Private CA {secrets.private_ca_arn} named by secret {path} is {ca.status}, not ACTIVE: install "
            f"its certificate and activate it ({_CHECKLIST}, step 4)."
        )


@dataclass(frozen=True)
class AwsContext:
    secrets: StackSecrets
    account_id: str
    partition: str
    vpc_cidr: str


def resolve_aws_context(settings: StageSettings) -> AwsContext:
    region = settings.region
    fetch_value, fetch_arn = _fetchers(region)
    secrets = resolve_stack_secrets(settings.deployment.secret_root, settings.stage, fetch_value, fetch_arn)
    try:
        vpc = aws.ec2.get_vpc(id=secrets.vpc.id, region=region)
    except Exception as error:
        path = secrets.sources["vpc"].path
        raise SecretError(f"VPC {secrets.vpc.id} from secret {path} cannot be read in {region}: {error}") from None
    _check_private_ca(secrets, region)
    identity = aws.get_caller_identity()
    partition = aws.get_partition()
    return AwsContext(
        secrets=secrets, account_id=identity.account_id, partition=partition.partition, vpc_cidr=vpc.cidr_block
    )

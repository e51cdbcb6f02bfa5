"""Secrets Manager lookups with stage-first fallback, and the formats of the secrets the stack reads.

Each secret is looked up at `<root>/<stage>/<name>`, then at `<root>/default/<name>`. Plain functions only:
the caller supplies how a path is fetched (Pulumi invokes in the program, a dict in tests), so every rule here
is tested directly. `dbInfo` is only ever resolved to its ARN: its value (the database credentials) reaches the
worker as an ECS secret and is never read by the program.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from wms_connector.stages import Stage

FALLBACK_SEGMENT = "default"

VPC = "vpc"
IAM_PATH = "iam/path"
PERMISSIONS_BOUNDARY = "iam/permissionsBoundary"
BROKER_STRING = "brokerString"
DB_INFO = "dbInfo"
ALERT_EMAILS = "alertEmails"
CONNECT_ALB_TLS = "connectAlbTls"

# Read by value (not credentials); dbInfo is resolved by ARN only.
VALUE_SECRETS = (VPC, IAM_PATH, PERMISSIONS_BOUNDARY, BROKER_STRING, ALERT_EMAILS, CONNECT_ALB_TLS)
ARN_ONLY_SECRETS = (DB_INFO,)
SECRET_NAMES = VALUE_SECRETS + ARN_ONLY_SECRETS


class SecretError(ValueError):
    """A secret that is missing or malformed; the message names the secret path(s) and the key."""


@dataclass(frozen=True)
class FetchedSecret:
    path: str
    arn: str
    value: str | None = field(default=None, repr=False)


# Returns None when no secret exists at the path; raises for any other failure.
Fetch = Callable[[str], FetchedSecret | None]


def candidate_paths(root: str, stage: Stage, name: str) -> tuple[str, str]:
    """Where `name` is looked up, in order."""
    return f"{root}/{stage.name}/{name}", f"{root}/{FALLBACK_SEGMENT}/{name}"


def resolve(root: str, stage: Stage, name: str, fetch: Fetch) -> FetchedSecret:
    """The first secret found along `candidate_paths`."""
    paths = candidate_paths(root, stage, name)
    for path in paths:
        found = fetch(path)
        if found is not None:
            return found
    raise SecretError(f"Secret `{name}` not found: neither {paths[0]} nor {paths[1]} exists in Secrets Manager.")


# ---------------------------------------------------------------------------------------------------------------
# Formats.


def _json_object(path: str, text: str | None) -> dict:
    try:
        value = json.loads(text or "")
    except json.JSONDecodeError as error:
        raise SecretError(f"Secret {path} is not valid JSON ({error.msg} at position {error.pos}).") from None
    if not isinstance(value, dict):
        raise SecretError(f"Secret {path} must be a JSON object, got {type(value).__name__}.")
    return value


def _shape(value: object) -> str:
    """What a rejected value looks like, never what it holds: a secret pasted into the wrong secret must not end
    up in an error message, a log or a CI transcript."""
    if isinstance(value, str):
        return f"a text of {len(value)} character(s)"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)"
    return f"a {type(value).__name__}"


def _required(path: str, data: dict, key: str) -> object:
    if key not in data or data[key] in (None, "", []):
        raise SecretError(f"Secret {path} is missing key `{key}`.")
    return data[key]


def _plain(path: str, text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise SecretError(f"Secret {path} is empty.")
    return value


_SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}")
_VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")


@dataclass(frozen=True)
class Vpc:
    id: str
    data_subnets: tuple[str, ...]
    private_subnets: tuple[str, ...]
    public_subnets: tuple[str, ...]


def _subnets(path: str, data: dict, key: str, *, required: bool) -> tuple[str, ...]:
    if not required and not data.get(key):
        return ()
    value = _required(path, data, key)
    if not isinstance(value, list) or not all(isinstance(s, str) and _SUBNET_ID.fullmatch(s) for s in value):
        raise SecretError(f"Secret {path} key `{key}` must be a list of subnet ids (subnet-...), got {_shape(value)}.")
    return tuple(value)


def parse_vpc(path: str, text: str | None) -> Vpc:
    """`{"id": "vpc-…", "dataSubnets": [...], "privateSubnets": [...], "publicSubnets": [...]}`."""
    data = _json_object(path, text)
    vpc_id = _required(path, data, "id")
    if not isinstance(vpc_id, str) or not _VPC_ID.fullmatch(vpc_id):
        raise SecretError(f"Secret {path} key `id` must be a VPC id (vpc-...), got {_shape(vpc_id)}.")
    return Vpc(
        id=vpc_id,
        data_subnets=_subnets(path, data, "dataSubnets", required=True),
        private_subnets=_subnets(path, data, "privateSubnets", required=True),
        # Nothing here runs in public subnets; the key is part of the shared format.
        public_subnets=_subnets(path, data, "publicSubnets", required=False),
    )


_IAM_PATH = re.compile(r"/(?:[\x21-\x7e]+/)?")


def parse_iam_path(path: str, text: str | None) -> str:
    """A plain IAM path such as `/delegatedadmin/developer/`."""
    value = _plain(path, text)
    if len(value) > 512 or not _IAM_PATH.fullmatch(value):
        raise SecretError(f"Secret {path} must be an IAM path that starts and ends with '/', got {_shape(value)}.")
    return value


_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]+")


def parse_permissions_boundary(path: str, text: str | None) -> str:
    """A plain IAM managed policy ARN."""
    value = _plain(path, text)
    if not _POLICY_ARN.fullmatch(value):
        raise SecretError(
            f"Secret {path} must be an IAM policy ARN (arn:aws:iam::<account>:policy/<name>), got {_shape(value)}."
        )
    return value


@dataclass(frozen=True)
class Broker:
    host: str
    port: int


@dataclass(frozen=True)
class BrokerString:
    brokers: tuple[Broker, ...]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"{b.host}:{b.port}" for b in self.brokers)

    @property
    def ports(self) -> tuple[int, ...]:
        """The distinct broker ports (MSK's TLS listener is 9094)."""
        return tuple(sorted({b.port for b in self.brokers}))


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


def parse_broker_string(path: str, text: str | None) -> BrokerString:
    """Comma-separated `host:port` list, e.g. `b-1.bigmac…:9094,b-2.bigmac…:9094`."""
    value = _plain(path, text)
    brokers = []
    entries = value.split(",")
    for number, entry in enumerate(entries, start=1):
        host, sep, port = entry.strip().rpartition(":")
        if not sep or not _HOSTNAME.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
            raise SecretError(
                f"Secret {path} must be a comma-separated list of host:port; entry {number} of {len(entries)} "
                f"is {_shape(entry.strip())} that is not one."
            )
        brokers.append(Broker(host, int(port)))
    return BrokerString(tuple(brokers))


_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


def parse_alert_emails(path: str, text: str | None) -> tuple[str, ...]:
    """`{"emails": ["a@example.com", ...]}`."""
    data = _json_object(path, text)
    emails = _required(path, data, "emails")
    if not isinstance(emails, list) or not all(isinstance(e, str) and _EMAIL.fullmatch(e) for e in emails):
        raise SecretError(f"Secret {path} key `emails` must be a list of email addresses, got {_shape(emails)}.")
    return tuple(dict.fromkeys(emails))


PRIVATE_CA_ARN = re.compile(r"arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority/[0-9a-f-]{36}")


def parse_private_ca_arn(path: str, text: str | None) -> str:
    """The private CA's ARN, plain or as `{"privateCaArn": "arn:…"}`."""
    value = _plain(path, text)
    if value.startswith("{"):
        value = _required(path, _json_object(path, value), "privateCaArn")
    if not isinstance(value, str) or not PRIVATE_CA_ARN.fullmatch(value):
        raise SecretError(
            f"Secret {path} must be an ACM Private CA ARN "
            f"(arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>), got {_shape(value)}."
        )
    return value


# ---------------------------------------------------------------------------------------------------------------
# Everything the stack needs, resolved at once.


@dataclass(frozen=True)
class StackSecrets:
    vpc: Vpc
    iam_path: str
    permissions_boundary_arn: str
    broker: BrokerString
    db_info_arn: str
    alert_emails: tuple[str, ...]
    private_ca_arn: str
    # Secret name -> (path it was found at, ARN); the resources that read them are granted exactly these.
    sources: dict[str, FetchedSecret] = field(repr=False)


_PARSERS = {
    VPC: parse_vpc,
    IAM_PATH: parse_iam_path,
    PERMISSIONS_BOUNDARY: parse_permissions_boundary,
    BROKER_STRING: parse_broker_string,
    ALERT_EMAILS: parse_alert_emails,
    CONNECT_ALB_TLS: parse_private_ca_arn,
}


def resolve_stack_secrets(root: str, stage: Stage, fetch_value: Fetch, fetch_arn: Fetch) -> StackSecrets:
    """Resolve and validate every secret; one error lists every problem found."""
    problems: list[str] = []
    parsed: dict[str, object] = {}
    sources: dict[str, FetchedSecret] = {}
    for name in SECRET_NAMES:
        fetch = fetch_arn if name in ARN_ONLY_SECRETS else fetch_value
        try:
            found = resolve(root, stage, name, fetch)
            sources[name] = found
            if name in _PARSERS:
                parsed[name] = _PARSERS[name](found.path, found.value)
        except SecretError as error:
            problems.append(str(error))
    if problems:
        raise SecretError(" ".join(problems) if len(problems) == 1 else "\n".join(["Secrets problems:", *problems]))
    return StackSecrets(
        vpc=parsed[VPC],
        iam_path=parsed[IAM_PATH],
        permissions_boundary_arn=parsed[PERMISSIONS_BOUNDARY],
        broker=parsed[BROKER_STRING],
        db_info_arn=sources[DB_INFO].arn,
        alert_emails=parsed[ALERT_EMAILS],
        private_ca_arn=parsed[CONNECT_ALB_TLS],
        sources=sources,
    )

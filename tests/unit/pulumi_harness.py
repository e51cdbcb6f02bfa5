"""Runs the whole Pulumi program (`__main__.py`) under Pulumi mocks and records what it registers.

Usage in a test:

    from tests.unit.pulumi_harness import run_program, default_secrets

    run = run_program("main")                        # config from Pulumi.main.yaml, secrets from default_secrets
    run.raise_error()                                # the program must have succeeded
    role = run.one("aws:iam/role:Role", "connect-execution-role")
    run.outputs["serviceName"]

    run = run_program("feat-x", config={"taskCpu": "300"})        # extra `wms-connector:*` config
    run = run_program("main", secrets=without(default_secrets("main"), "wms/main/vpc", "wms/default/vpc"))
    assert run.error is not None and run.resources == []

Every call runs the program fresh (`runpy.run_path`) with its own mocks; nothing carries over between runs.
The mocks answer the program's invokes from the `secrets` dict ({path: secret string}, a missing path is
"not found" as Secrets Manager reports it), and give every resource plausible computed outputs (arn, id, ...).
`get_secret` (ARN-only lookups) answers metadata only, so any test can check that a secret value it put in
`secrets` for `dbInfo` never reaches a resource input (`run.all_inputs_text()`).

Limits of mocks: remote components (awsx.*) appear as one resource without children; transforms do not run.
For a new component, add its computed outputs to `COMPUTED_OUTPUTS` if the program reads any.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pulumi
import pulumi.runtime.mocks as pulumi_mocks
import pulumi.runtime.settings as runtime_settings
import yaml
from google.protobuf import json_format
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from wms_connector.stages import NAMED_STAGES

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROGRAM = PROJECT_DIR / "__main__.py"
PROJECT = "wms-connector"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
VPC_CIDR = "10.20.0.0/16"
DATA_SUBNETS = ["subnet-0d0d0d0d0d0d0d0d1", "subnet-0d0d0d0d0d0d0d0d2"]
PRIVATE_SUBNETS = ["subnet-0e0e0e0e0e0e0e0e1", "subnet-0e0e0e0e0e0e0e0e2"]
PUBLIC_SUBNETS = ["subnet-0f0f0f0f0f0f0f0f1"]
IAM_PATH = "/delegatedadmin/developer/"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT_ID}:policy/cms-cloud-admin/developer-boundary-policy"
BROKERS = ",".join(f"b-{n}.bigmac.abc123.c2.kafka.us-east-1.amazonaws.com:9094" for n in (1, 2))
PRIVATE_CA_ARN = f"arn:aws:acm-pca:us-east-1:{ACCOUNT_ID}:certificate-authority/11111111-2222-3333-4444-555555555555"
ALERT_EMAILS = ["oncall@example.com", "data-team@example.com"]
# Credentials that must never appear in any resource input.
DB_USER = "cdc_reader_user_7f3a"
DB_PASSWORD = "Pw-never-in-state-9c1e"


def secret_arn(path: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{path}-AbCdEf"


def default_secrets(stage: str = "main", root: str = "wms") -> dict[str, str]:
    """Every secret present at `<root>/default/...`, plus a stage-specific dbInfo and brokerString."""
    base = f"{root}/default"
    return {
        f"{base}/vpc": json.dumps(
            {"id": VPC_ID, "dataSubnets": DATA_SUBNETS, "privateSubnets": PRIVATE_SUBNETS,
             "publicSubnets": PUBLIC_SUBNETS}
        ),
        f"{base}/iam/path": IAM_PATH,
        f"{base}/iam/permissionsBoundary": BOUNDARY_ARN,
        f"{base}/brokerString": BROKERS,
        f"{base}/alertEmails": json.dumps({"emails": ALERT_EMAILS}),
        f"{base}/connectAlbTls": json.dumps({"privateCaArn": PRIVATE_CA_ARN}),
        f"{base}/dbInfo": json.dumps({"host": "db.default.example", "port": 1521, "db": "WMS",
                                      "user": "default_user_x", "password": "default-pw-x"}),
        f"{root}/{stage}/dbInfo": json.dumps(
            {"ip": "10.1.2.3", "port": "1521", "db": "WMSDEV", "user": DB_USER, "password": DB_PASSWORD}
        ),
    }


def without(secrets: Mapping[str, str], *paths: str) -> dict[str, str]:
    return {path: value for path, value in secrets.items() if path not in paths}


def stack_file_config(stage: str) -> dict[str, str]:
    """The `config:` of Pulumi.<stage>.yaml as the engine hands it over: every value a string."""
    path = PROJECT_DIR / f"Pulumi.{stage}.yaml"
    if not path.exists():
        return {}
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


@dataclass(frozen=True)
class Recorded:
    type: str
    name: str
    inputs: dict
    custom: bool
    provider: str  # provider reference (`<urn>::<id>`), empty for components and default providers


@dataclass(frozen=True)
class InvokeFailure:
    """Put in `secrets` to make reading that path fail the way the provider reports `reason`."""

    reason: str


# Computed outputs the program reads, per resource type (besides id, arn and name).
COMPUTED_OUTPUTS = {
    "aws:ecr/repository:Repository": lambda name, inputs: {
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{inputs.get('name', name)}"
    },
    "awsx:ecr:Image": lambda name, inputs: {
        "imageUri": f"{inputs.get('repositoryUrl', 'registry/' + name)}@sha256:{'ab' * 32}"
    },
    "aws:lb/loadBalancer:LoadBalancer": lambda name, inputs: {
        "dnsName": f"internal-{name}.{REGION}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda name, inputs: {
        "arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{inputs.get('name', name)}"
    },
    "aws:route53/zone:Zone": lambda name, inputs: {"zoneId": "Z0PRIVATE" + name.upper().replace("-", "")[:10]},
}


class StackMocks(pulumi.runtime.Mocks):
    def __init__(self, secrets: Mapping[str, str | InvokeFailure], private_ca_status: str | None = "ACTIVE") -> None:
        self.secrets = dict(secrets)
        self.private_ca_status = private_ca_status  # None: no such CA in the account
        self.resources: list[Recorded] = []
        self.calls: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(
            Recorded(args.typ, args.name, dict(args.inputs), bool(args.custom), args.provider or "")
        )
        state = dict(args.inputs)
        resource_name = args.inputs.get("name") or args.name
        state.setdefault("name", resource_name)
        service = args.typ.split(":")[1].split("/")[0]
        state.setdefault("arn", f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{args.typ.split(':')[-1].lower()}/"
                                f"{resource_name}")
        computed = COMPUTED_OUTPUTS.get(args.typ)
        if computed:
            state.update(computed(args.name, args.inputs))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token.startswith("aws:secretsmanager/"):
            path = args.args.get("secretId") or args.args.get("name")
            if isinstance(self.secrets.get(path), InvokeFailure):
                return {}, [("secretId", self.secrets[path].reason)]
        if args.token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            path = args.args["secretId"]
            if path not in self.secrets:
                return {}, [("secretId", "ResourceNotFoundException: Secrets Manager can't find the specified secret.")]
            return {"secretArn": secret_arn(path), "secretId": path, "secretString": self.secrets[path],
                    "versionId": "v1"}
        if args.token == "aws:secretsmanager/getSecret:getSecret":
            path = args.args["name"]
            if path not in self.secrets:
                return {}, [("name", f"reading Secrets Manager Secret ({path}): couldn't find resource")]
            return {"arn": secret_arn(path), "name": path}
        if args.token == "aws:ec2/getVpc:getVpc":
            if args.args["id"] != VPC_ID:
                return {}, [("id", "no matching EC2 VPC found")]
            return {"id": args.args["id"], "cidrBlock": VPC_CIDR, "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc/x"}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/deployer", "userId": "AIDA"}
        if args.token == "aws:acmpca/getCertificateAuthority:getCertificateAuthority":
            if self.private_ca_status is None or args.args["arn"] != PRIVATE_CA_ARN:
                return {}, [("arn", "ResourceNotFoundException: Could not find Certificate Authority")]
            return {"arn": args.args["arn"], "status": self.private_ca_status, "type": "ROOT"}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        raise NotImplementedError(f"No mock for invoke {args.token}; add one to tests/unit/pulumi_harness.py")


def _type_and_name(urn: str) -> tuple[str, str]:
    """`urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>` -> (type, name)."""
    qualified_type, _, name = urn.split("::", 2)[2].rpartition("::")
    return qualified_type.rpartition("$")[2], name


@dataclass
class ProgramRun:
    stage: str
    resources: list[Recorded]
    outputs: dict = field(default_factory=dict)
    error: BaseException | None = None
    calls: list[tuple[str, dict]] = field(default_factory=list)
    # (type, name) -> the (type, name)s its `depends_on` names, as the program registered them.
    explicit_dependencies: dict[tuple[str, str], set[tuple[str, str]]] = field(default_factory=dict)
    # (type, name) -> the inputs as sent to the engine, secrets still wrapped.
    wire_inputs: dict[tuple[str, str], dict] = field(default_factory=dict)
    # (type, name) -> the whole registration (parent, aliases, options) as sent to the engine.
    registrations: dict[tuple[str, str], dict] = field(default_factory=dict)

    def depends_on(self, type_: str, name: str) -> set[tuple[str, str]]:
        return self.explicit_dependencies[(type_, name)]

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def of_type(self, type_: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Recorded:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        assert len(matches) == 1, f"expected one {type_} named {name}, found {[r.name for r in self.of_type(type_)]}"
        return matches[0]

    def all_inputs_text(self) -> str:
        """Every input of every registered resource, serialized (to search for values that must not be there)."""
        return json.dumps([[r.type, r.name, r.inputs] for r in self.resources], default=str, sort_keys=True)


def _resolve(value):
    return _sync_await(pulumi.Output.from_input(value).future())


# The database network a test deployment of a named stage names (a named stage has no default: safeguards.py).
TEST_ORACLE_CIDRS = ("10.20.30.0/24",)


def run_program(
    stage: str,
    config: Mapping[str, object] | None = None,
    secrets: Mapping[str, str | InvokeFailure] | None = None,
    *,
    use_stack_file: bool = True,
    oracle_cidrs: Sequence[str] | None = TEST_ORACLE_CIDRS,
    aws_region: str | None = REGION,
    private_ca_status: str | None = "ACTIVE",
    secret_keys: Iterable[str] = (),
) -> ProgramRun:
    """Run __main__.py for `stack=stage`; `config` adds `wms-connector:*` keys (plain key names), `secret_keys`
    names those of them the stack holds as secrets. A named stage gets `oracle_cidrs` unless the stack file or
    `config` names its own (None: none at all)."""
    mocks = StackMocks(default_secrets(stage) if secrets is None else secrets, private_ca_status)
    all_config: dict[str, str] = stack_file_config(stage) if use_stack_file else {}
    if aws_region is not None:
        all_config.setdefault("aws:region", aws_region)
    for key, value in (config or {}).items():
        all_config[f"{PROJECT}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    if oracle_cidrs is not None and stage in NAMED_STAGES:
        all_config.setdefault(f"{PROJECT}:oracleCidrs", json.dumps(list(oracle_cidrs)))

    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stage, preview=False)
    pulumi.runtime.set_all_config(all_config, [f"{PROJECT}:{key}" for key in secret_keys])

    run = ProgramRun(stage=stage, resources=mocks.resources, calls=mocks.calls)
    register = pulumi_mocks.MockMonitor.RegisterResource

    def register_recording_dependencies(monitor, request):
        response = register(monitor, request)
        run.explicit_dependencies[(request.type, request.name)] = {_type_and_name(u) for u in request.dependencies}
        run.wire_inputs[(request.type, request.name)] = json_format.MessageToDict(request.object)
        run.registrations[(request.type, request.name)] = json_format.MessageToDict(request)
        return response

    try:
        with mock.patch.object(pulumi_mocks.MockMonitor, "RegisterResource", register_recording_dependencies):
            _sync_await(run_pulumi_func(lambda: runpy.run_path(str(PROGRAM), run_name="__main__")))
    except Exception as error:  # the tests assert on it
        run.error = error
        return run
    root = runtime_settings.get_root_resource()
    run.outputs = {key: _resolve(value) for key, value in root.outputs.items()}
    return run

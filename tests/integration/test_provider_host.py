"""The dynamic providers driven through a provider host over gRPC, with the serialized provider in `__provider` as
the engine sends it, against the real local Kafka Connect: Pulumi's own host (`python -m pulumi.dynamic`) and the
project's (`wms_connector.providers.host`, which Pulumi.yaml names), which adds detailed diffs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from wms_connector.connect_client import ConnectClient
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.providers.debezium_connector import DebeziumConnectorProvider
from wms_connector.providers.topic_cleanup import StageTopicCleanupProvider
from wms_connector.providers.transport import direct_spec
from wms_connector.registration import PROVIDER_REDACTED, REDACTED_HINT

pytestmark = pytest.mark.integration

PROJECT_DIR = Path(__file__).resolve().parents[2]
HOST_START_TIMEOUT_S = 30.0
RPC_TIMEOUT_S = 120.0
NAME = "wms-oracle-cdc"
CONNECTOR_URN = "urn:pulumi:it::wms-connector::pulumi-python:dynamic/wms:DebeziumConnector::connector"
CLEANUP_URN = "urn:pulumi:it::wms-connector::pulumi-python:dynamic/wms:StageTopicCleanup::topic-cleanup"


STOCK_HOST = "pulumi.dynamic"
PROJECT_HOST = "wms_connector.providers.host"


class ProviderHost:
    """`python -m <module>` in a subprocess; it prints the port of its gRPC server."""

    def __init__(self, module: str) -> None:
        self.module = module
        env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "PULUMI_PROJECT": "wms-connector"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        port_line: list[str] = []
        reader = threading.Thread(target=lambda: port_line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(HOST_START_TIMEOUT_S)
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()
        if not port_line or not port_line[0].strip().isdigit():
            self.close()
            raise RuntimeError(f"The provider host printed no port within {HOST_START_TIMEOUT_S:.0f}s: {port_line}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port_line[0].strip()}")
        grpc.channel_ready_future(self.channel).result(timeout=HOST_START_TIMEOUT_S)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(acceptSecrets=False), timeout=RPC_TIMEOUT_S)

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module", params=[STOCK_HOST, PROJECT_HOST])
def host(request) -> Iterator[ProviderHost]:
    host = ProviderHost(request.param)
    try:
        yield host
    finally:
        host.close()


def _struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _dict(message: struct_pb2.Struct) -> dict:
    return json_format.MessageToDict(message)


@pytest.fixture
def connector_inputs(local_stack) -> Iterator[dict]:
    kafka = KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    inputs = {
        "__provider": serialize_provider(DebeziumConnectorProvider()),
        "name": NAME,
        "stage": local_stack.stage.name,
        "config": build_connector_config(local_stack.stage, ConnectorOptions(), kafka),
        "state": "running",
        "allowUnreachableDatabase": True,
        "timeoutSeconds": 60,
        "transport": direct_spec(
            local_stack.connect_url, local_stack.stage, bootstrap_servers=local_stack.bootstrap_servers
        ),
    }
    yield inputs
    ConnectClient(local_stack.connect_url).delete(NAME)


def test_serialized_provider_is_a_reference_not_a_frozen_copy():
    # A class in an importable module is pickled by reference: destroy runs the current code.
    import base64

    payload = base64.b64decode(serialize_provider(DebeziumConnectorProvider()))
    assert b"wms_connector.providers.debezium_connector" in payload
    assert len(payload) < 400


def test_check_rejects_plaintext_credentials_and_bad_names_naming_the_property(host, connector_inputs):
    bad = dict(connector_inputs, name="bad name")
    bad["config"] = dict(bad["config"], **{"database.password": "hunter2-plain"})
    response = host.stub.Check(
        provider_pb2.CheckRequest(urn=CONNECTOR_URN, olds=_struct({}), news=_struct(bad)), timeout=RPC_TIMEOUT_S
    )
    failures = {f.property: f.reason for f in response.failures}
    assert set(failures) == {"name", "config.name", "config.database.password"}
    assert "hunter2" not in str(failures)


def test_check_create_diff_update_read_delete_through_the_host(host, local_stack, connector_inputs):
    connect = ConnectClient(local_stack.connect_url)

    checked = host.stub.Check(
        provider_pb2.CheckRequest(urn=CONNECTOR_URN, olds=_struct({}), news=_struct(connector_inputs)),
        timeout=RPC_TIMEOUT_S,
    )
    assert list(checked.failures) == []
    inputs = _dict(checked.inputs)

    created = host.stub.Create(
        provider_pb2.CreateRequest(urn=CONNECTOR_URN, properties=_struct(inputs), timeout=RPC_TIMEOUT_S),
        timeout=RPC_TIMEOUT_S,
    )
    assert created.id == NAME
    outputs = _dict(created.properties)
    assert outputs["connectorState"] == "running"
    # Outputs keep every input: update and delete receive only the old outputs.
    assert {key: outputs.get(key) for key in inputs} == inputs
    assert connect.get_config(NAME) == connector_inputs["config"]

    same = host.stub.Diff(
        provider_pb2.DiffRequest(id=NAME, urn=CONNECTOR_URN, olds=_struct(outputs), news=_struct(inputs)),
        timeout=RPC_TIMEOUT_S,
    )
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE

    news = dict(inputs, state="paused", config=dict(inputs["config"], **{"heartbeat.interval.ms": "20000"}))
    changed = host.stub.Diff(
        provider_pb2.DiffRequest(id=NAME, urn=CONNECTOR_URN, olds=_struct(outputs), news=_struct(news)),
        timeout=RPC_TIMEOUT_S,
    )
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME and list(changed.replaces) == []
    if host.module == PROJECT_HOST:  # the changed key and the state, nothing else
        assert changed.hasDetailedDiff
        assert {path: diff.kind for path, diff in changed.detailedDiff.items()} == {
            'config["heartbeat.interval.ms"]': provider_pb2.PropertyDiff.UPDATE,
            "state": provider_pb2.PropertyDiff.UPDATE,
        }
        assert sorted(changed.diffs) == ["config", "state"]
    else:
        assert not changed.hasDetailedDiff

    renamed = host.stub.Diff(
        provider_pb2.DiffRequest(id=NAME, urn=CONNECTOR_URN, olds=_struct(outputs), news=_struct(dict(news, name="x"))),
        timeout=RPC_TIMEOUT_S,
    )
    assert list(renamed.replaces) == ["name"] and renamed.deleteBeforeReplace
    if host.module == PROJECT_HOST:
        assert renamed.detailedDiff["name"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE

    updated = host.stub.Update(
        provider_pb2.UpdateRequest(
            id=NAME, urn=CONNECTOR_URN, olds=_struct(outputs), news=_struct(news), timeout=RPC_TIMEOUT_S
        ),
        timeout=RPC_TIMEOUT_S,
    )
    outputs = _dict(updated.properties)
    assert outputs["connectorState"] == "paused"
    assert {key: outputs.get(key) for key in news} == news
    assert connect.get_config(NAME)["heartbeat.interval.ms"] == "20000"
    assert connect.status(NAME).state == "PAUSED"

    # Drift through the REST API shows on read.
    connect.resume(NAME)
    deadline = time.monotonic() + 30
    while connect.status(NAME).state != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    read = host.stub.Read(
        provider_pb2.ReadRequest(id=NAME, urn=CONNECTOR_URN, properties=_struct(outputs), inputs=_struct(news)),
        timeout=RPC_TIMEOUT_S,
    )
    refreshed = _dict(read.properties)
    assert read.id == NAME and refreshed["connectorState"] == refreshed["state"] == "running"
    # Refresh keeps the other inputs, and the live state takes the declared one's place.
    assert {key: refreshed.get(key) for key in news} == dict(news, state="running")
    drift = host.stub.Diff(
        provider_pb2.DiffRequest(id=NAME, urn=CONNECTOR_URN, olds=read.properties, news=_struct(news)),
        timeout=RPC_TIMEOUT_S,
    )
    assert drift.changes == provider_pb2.DiffResponse.DIFF_SOME
    if host.module == PROJECT_HOST:
        assert list(drift.detailedDiff) == ["state"]

    host.stub.Delete(
        provider_pb2.DeleteRequest(id=NAME, urn=CONNECTOR_URN, properties=read.properties, timeout=RPC_TIMEOUT_S),
        timeout=RPC_TIMEOUT_S,
    )
    deadline = time.monotonic() + 30
    while connect.get_config(NAME) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    # Deleting what is already gone is fine.
    host.stub.Delete(
        provider_pb2.DeleteRequest(id=NAME, urn=CONNECTOR_URN, properties=read.properties, timeout=RPC_TIMEOUT_S),
        timeout=RPC_TIMEOUT_S,
    )
    gone = host.stub.Read(
        provider_pb2.ReadRequest(id=NAME, urn=CONNECTOR_URN, properties=read.properties, inputs=_struct(news)),
        timeout=RPC_TIMEOUT_S,
    )
    assert gone.id == ""


def test_create_with_invalid_config_fails_with_the_field_errors(host, connector_inputs):
    inputs = dict(connector_inputs, allowUnreachableDatabase=False)
    with pytest.raises(grpc.RpcError) as caught:
        host.stub.Create(
            provider_pb2.CreateRequest(urn=CONNECTOR_URN, properties=_struct(inputs), timeout=RPC_TIMEOUT_S),
            timeout=RPC_TIMEOUT_S,
        )
    details = caught.value.details()
    # The host adds its own traceback; the last line is the message the user reads.
    last = details.strip().splitlines()
    assert any(
        line.startswith(
            "wms_connector.providers.debezium_connector.ConnectorProviderError: Connector "
            "`wms-oracle-cdc`: ensure failed (ConfigInvalid)"
        )
        for line in last
    )
    assert f"database.hostname: Invalid value for configuration 'database.hostname': {PROVIDER_REDACTED}" in details
    assert REDACTED_HINT in details


def test_topic_cleanup_check_refuses_a_named_stage(host, local_stack):
    inputs = {
        "__provider": serialize_provider(StageTopicCleanupProvider()),
        "stage": "production",
        "transport": direct_spec(local_stack.connect_url, local_stack.stage),
    }
    response = host.stub.Check(
        provider_pb2.CheckRequest(urn=CLEANUP_URN, olds=_struct({}), news=_struct(inputs)), timeout=RPC_TIMEOUT_S
    )
    failures = {f.property: f.reason for f in response.failures}
    assert "named stage" in failures["stage"]


def test_check_accepts_values_not_known_during_a_preview(host, connector_inputs):
    # On a first preview the admin function does not exist yet: its name reaches check as the unknown marker.
    from pulumi.runtime.rpc import UNKNOWN

    news = dict(connector_inputs, transport={"kind": "lambda", "functionName": UNKNOWN, "region": "us-east-1"})
    response = host.stub.Check(
        provider_pb2.CheckRequest(urn=CONNECTOR_URN, olds=_struct({}), news=_struct(news)), timeout=RPC_TIMEOUT_S
    )
    assert list(response.failures) == []
    bad = dict(news, transport={"kind": "lambda", "functionName": "not a name", "region": "us-east-1"})
    response = host.stub.Check(
        provider_pb2.CheckRequest(urn=CONNECTOR_URN, olds=_struct({}), news=_struct(bad)), timeout=RPC_TIMEOUT_S
    )
    assert [f.property for f in response.failures] == ["transport.functionName"]

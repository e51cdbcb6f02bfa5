"""What the providers' diffs name: the changed config keys, the state, the inputs that replace, as property paths
the engine prints (`pulumi preview --diff`); and the project's provider host helpers. Pure decisions, as tables."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from wms_connector.providers import host
from wms_connector.providers.debezium_connector import DebeziumConnectorProvider, connector_changes
from wms_connector.providers.host import DetailedDiffResult, property_path
from wms_connector.providers.topic_cleanup import StageTopicCleanupProvider, cleanup_summary
from wms_connector.providers.transport import lambda_spec
from wms_connector.redaction import salted_key_shown

CONFIG = {"name": "wms-oracle-cdc", "connector.class": "io.debezium.connector.oracle.OracleConnector"}
SALTED_KEY = "column.mask.hash.SHA-256.with.salt.Distinctive-Salt-0042"
SALTED = {**CONFIG, SALTED_KEY: "WMS.T.EMAIL"}
SALTED_SHOWN = salted_key_shown(SALTED_KEY)


def _props(**changes) -> dict:
    return {
        "name": "wms-oracle-cdc",
        "stage": "feat-x",
        "config": CONFIG,
        "state": "running",
        "allowUnreachableDatabase": False,
        "timeoutSeconds": 120,
        "transport": lambda_spec("wms-connector-feat-x-admin", "us-east-1"),
        **changes,
    }


@pytest.mark.parametrize(
    ("olds", "news", "expected"),
    [
        (_props(), _props(), {}),
        (
            _props(),
            _props(config={**CONFIG, "heartbeat.interval.ms": "30000"}),
            {'config["heartbeat.interval.ms"]': "add"},
        ),
        (
            _props(config={**CONFIG, "heartbeat.interval.ms": "12345"}),
            _props(config={**CONFIG, "heartbeat.interval.ms": "60000"}),
            {'config["heartbeat.interval.ms"]': "update"},
        ),
        (
            _props(config={**CONFIG, "snapshot.mode": "initial"}),
            _props(),
            {'config["snapshot.mode"]': "delete"},
        ),
        # Drift found by read: the live state took the declared one's place.
        (_props(state="paused"), _props(), {"state": "update"}),
        # Outputs written before read kept the live state apart.
        (_props(connectorState="failed"), _props(), {"state": "update"}),
        (_props(connectorState="running"), _props(), {}),
        (_props(), _props(name="another"), {"name": "update-replace"}),
        (_props(), _props(stage="feat-y"), {"stage": "update-replace"}),
        (_props(), _props(allowUnreachableDatabase=True), {"allowUnreachableDatabase": "update"}),
        (_props(), _props(timeoutSeconds=60), {"timeoutSeconds": "update"}),
        (_props(), _props(transport=lambda_spec("other", "us-east-1")), {"transport": "update"}),
        # A stack from before holds: its first update writes the declared connector where the admin keeps it.
        (_props(), _props(holder="pulumi stack main"), {"holder": "update"}),
        # Not known yet during a preview.
        (_props(), _props(config=UNKNOWN), {"config": "update"}),
        # A salted config: each changed key is named, the salt only as its fingerprint.
        (_props(config=SALTED), _props(config={**SALTED, "tasks.max": "1"}), {'config["tasks.max"]': "add"}),
        (_props(), _props(config=SALTED), {f'config["{SALTED_SHOWN}"]': "add"}),
        # The live config read back (fingerprinted keys) against the declared one: no drift.
        (_props(config={**CONFIG, SALTED_SHOWN: "WMS.T.EMAIL"}), _props(config=SALTED), {}),
        # Another salt: the old fingerprinted key goes, the new one comes; neither salt is shown.
        (_props(config=SALTED), _props(config={**CONFIG, SALTED_KEY.replace("0042", "0043"): "WMS.T.EMAIL"}),
         {f'config["{SALTED_SHOWN}"]': "delete",
          f'config["{salted_key_shown(SALTED_KEY.replace("0042", "0043"))}"]': "add"}),
    ],
)
def test_connector_changes_name_each_changed_key_and_the_state(olds, news, expected):
    assert connector_changes(olds, news) == expected


def test_the_diff_carries_the_paths_and_replaces_only_for_another_connector():
    diff = DebeziumConnectorProvider().diff(
        "wms-oracle-cdc", _props(state="paused"), _props(name="x", config={**CONFIG, "a.b": "1"})
    )
    assert isinstance(diff, DetailedDiffResult)
    assert diff.detailed_diff == {"name": "update-replace", 'config["a.b"]': "add", "state": "update"}
    assert diff.changes is True and diff.replaces == ["name"] and diff.delete_before_replace is True
    same = DebeziumConnectorProvider().diff("wms-oracle-cdc", _props(), _props())
    assert same.changes is False and same.detailed_diff == {}


def test_the_topic_cleanup_diff_names_what_changed():
    olds = {"stage": "feat-x", "transport": lambda_spec("a", "us-east-1")}
    assert StageTopicCleanupProvider().diff("c", olds, olds).detailed_diff == {}
    moved = StageTopicCleanupProvider().diff("c", olds, {**olds, "stage": "feat-y"})
    assert moved.detailed_diff == {"stage": "update-replace"} and moved.replaces == ["stage"]
    retargeted = StageTopicCleanupProvider().diff("c", olds, {**olds, "transport": lambda_spec("b", "us-east-1")})
    assert retargeted.detailed_diff == {"transport": "update"} and retargeted.replaces == []


@pytest.mark.parametrize(
    ("parts", "path"),
    [
        (("state",), "state"),
        (("transport", "kind"), "transport.kind"),
        (("config", "heartbeat.interval.ms"), 'config["heartbeat.interval.ms"]'),
        (("config", 'odd"key\\'), 'config["odd\\"key\\\\"]'),
    ],
)
def test_property_paths_quote_keys_that_are_not_plain_names(parts, path):
    assert property_path(*parts) == path


def test_a_detailed_diff_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown property diff kind.*'rename'.*allowed: add"):
        DetailedDiffResult(detailed_diff={"state": "rename"}, changes=True)


@pytest.mark.parametrize(
    ("path", "top"), [("state", "state"), ('config["a.b"]', "config"), ("transport.kind", "transport")]
)
def test_the_top_level_property_of_a_path(path, top):
    assert host._top_level(path) == top


def test_a_report_outside_the_project_host_goes_to_stderr(capsys):
    host.report("Topic cleanup of stage `feat-x` deleted 0 topic(s)")
    assert capsys.readouterr().err == "Topic cleanup of stage `feat-x` deleted 0 topic(s)\n"


# What the engine passes a provider plugin (Pulumi 3.274.1, sdk/go/common/resource/plugin/plugin.go
# buildPluginArguments): `--logtostderr`, `-v=N`, `--tracing <endpoint>`, then the engine's address.
@pytest.mark.parametrize(
    ("argv", "address"),
    [
        (["127.0.0.1:4101"], "127.0.0.1:4101"),
        (["--logtostderr", "-v=9", "127.0.0.1:4101"], "127.0.0.1:4101"),
        (["--tracing", "http://127.0.0.1:9411/api/v2/spans", "127.0.0.1:4101"], "127.0.0.1:4101"),
        (["--logtostderr", "-v=3", "--tracing", "file:/tmp/trace.json", "127.0.0.1:4101"], "127.0.0.1:4101"),
        ([], None),
        (["--logtostderr"], None),
    ],
)
def test_the_engine_address_is_the_last_argument_never_the_trace_endpoint(argv, address):
    assert host.engine_address(argv) == address


class RefusingEngine:
    def Log(self, request):  # noqa: N802 - the gRPC stub's method name
        import grpc

        class Refused(grpc.RpcError):
            def code(self):
                return grpc.StatusCode.UNAVAILABLE

        raise Refused()


def test_a_report_the_engine_refuses_never_fails_the_operation(monkeypatch, capsys):
    monkeypatch.setattr(host, "_engine", RefusingEngine())
    token = host._current_urn.set("urn:pulumi:s::p::wms:StageTopicCleanup::topic-cleanup")
    try:
        host.report("Topic cleanup of stage `feat-x` deleted 2 topic(s): a, b")
    finally:
        host._current_urn.reset(token)
    assert capsys.readouterr().err == (
        "Topic cleanup of stage `feat-x` deleted 2 topic(s): a, b (not shown on the resource: the engine refused "
        "the log, StatusCode.UNAVAILABLE)\n"
    )


@pytest.mark.parametrize(
    ("result", "summary"),
    [
        ({"deleted": ["b", "a"]}, "Topic cleanup of stage `feat-x` deleted 2 topic(s): a, b"),
        ({"deleted": []}, "Topic cleanup of stage `feat-x`: no topic of the stage was left to delete."),
    ],
)
def test_the_cleanup_summary_lists_the_deleted_topics(result, summary):
    assert cleanup_summary("feat-x", result) == summary


def test_a_start_scn_is_checked_sent_at_creation_and_never_a_change():
    from wms_connector.providers.debezium_connector import _ensure_request

    failures = DebeziumConnectorProvider().check({}, _props(startScn=0)).failures
    assert [f.property for f in failures] == ["startScn"]
    assert not DebeziumConnectorProvider().check({}, _props(startScn=48213377)).failures
    assert _ensure_request(_props(startScn=48213377.0))["start_scn"] == 48213377
    assert "start_scn" not in _ensure_request(_props())
    # It only matters when the connector is created: changing it later changes nothing.
    assert connector_changes(_props(startScn=1), _props(startScn=2)) == {}


@pytest.mark.parametrize("provider", [DebeziumConnectorProvider, StageTopicCleanupProvider])
def test_the_serialized_provider_is_stored_as_a_secret(provider):
    # The host runs the serialized provider on every operation: in clear, whoever can write the state could plant
    # code for the next refresh. Pulumi encrypts it unless a provider opts out.
    assert provider.serialize_as_secret_always is True

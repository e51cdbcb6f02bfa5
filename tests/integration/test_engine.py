"""The connector's lifecycle through the real Pulumi engine: the pinned CLI (devtools/pulumi_engine.py), the
Automation API's inline programs, a file backend in a temporary folder, and the real local Kafka + Connect.

Each program declares the stage's connector as the stack does (the same config builder, the direct transport the
local stack uses), and for the ephemeral stage its topic cleanup, ordered as the stack orders it: the connector
goes first, then the Connect workers (`LocalWorkers` stands for the ECS service), then the stage's topics. The AWS
provider plugin cannot be had here, so the full program does not run under the engine; these resources do.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pytest
import yaml
from kafka.admin import NewTopic
from pulumi import automation as auto

from components.topic_cleanup import TopicCleanup, TopicCleanupArgs
from devtools.connect_jars import REPO_ROOT
from devtools.local.kafka_tools import kafka_admin
from devtools.pulumi_engine import cli_dir
from tests.integration.engine_resources import Echo, LocalWorkers
from tests.integration.local_admin import local_admin, wait_until
from wms_connector.connect_client import ConnectClient
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.providers.debezium_connector import DebeziumConnector
from wms_connector.providers.topic_cleanup import StageTopicCleanup
from wms_connector.providers.transport import direct_spec
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

pytestmark = pytest.mark.integration

NAME = "wms-oracle-cdc"  # the stage's connector: the config rule refuses any other name
PROJECT = "wms-engine-it"
SALT = "Engine-Salt-0123456789abcdef"


@dataclass
class Engine:
    bin_dir: object
    env: dict[str, str]
    backend: str
    work_dir: Path


def make_engine(base: Path, passphrase: str) -> Engine:
    """The pinned CLI with a file backend, a Pulumi home and a project folder under `base`."""
    bin_dir = cli_dir()
    state, home, work_dir = base / "pulumi-state", base / "pulumi-home", base / "project"
    for folder in (state, home, work_dir):
        folder.mkdir(parents=True, exist_ok=True)
    env = {
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        "PYTHONPATH": str(REPO_ROOT),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # The project file as the stack's own: its dynamic resources run in the project's provider host.
    project = {"name": PROJECT, "runtime": "python", "backend": {"url": f"file://{state}"}, **project_plugins()}
    (work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    return Engine(bin_dir, env, f"file://{state}", work_dir)


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return make_engine(tmp_path_factory.mktemp("engine"), "engine-test-passphrase")


def project_plugins() -> dict:
    """The plugins section of the stack's Pulumi.yaml, its paths made absolute."""
    plugins = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["plugins"]
    providers = [{**p, "path": str((REPO_ROOT / p["path"]).resolve())} for p in plugins["providers"]]
    return {"plugins": {**plugins, "providers": providers}}


def _stack(engine: Engine, name: str, program: Callable[[], None]) -> auto.Stack:
    options = auto.LocalWorkspaceOptions(
        work_dir=str(engine.work_dir),
        pulumi_command=auto.PulumiCommand(root=str(engine.bin_dir.parent)),
        env_vars=engine.env,
        secrets_provider="passphrase",
    )
    return auto.create_or_select_stack(stack_name=name, project_name=PROJECT, program=program, opts=options)


def _transport(local_stack, connect_url=None) -> dict:
    return direct_spec(
        connect_url or local_stack.connect_url,
        local_stack.stage,
        bootstrap_servers=local_stack.bootstrap_servers,
        connect_deadline_seconds=20,
    )


def connector_program(local_stack, *, name=NAME, options=None, state="running", connect_url=None):
    """The stage's connector as the stack declares it (components/connector.py), on the local Connect."""

    def program() -> None:
        config = build_connector_config(
            local_stack.stage,
            ConnectorOptions.from_config(options or {}),
            KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1),
        )
        config["name"] = name
        url = connect_url() if connect_url else None
        connector = DebeziumConnector(
            "connector",
            name=name,
            stage=local_stack.stage.name,
            config=config,
            transport=_transport(local_stack, url),
            state=state,
            allow_unreachable_database=True,  # no Oracle here: registered through the config topic
        )
        pulumi.export("connectorState", connector.connector_state)

    return program


@pytest.fixture
def client(local_stack) -> ConnectClient:
    return ConnectClient(local_stack.connect_url, request_timeout=5, deadline=30)


@pytest.fixture
def stacks(engine):
    """Every stack a test makes is destroyed and removed afterwards, whatever happened."""
    made: list[auto.Stack] = []
    yield made
    for stack in made:
        try:
            stack.destroy()
            stack.workspace.remove_stack(stack.name)
        except auto.errors.CommandError:
            pass


def _live_state(client: ConnectClient, name: str = NAME) -> str | None:
    status = client.status(name)
    return status.state if status else None


def test_preview_on_an_empty_stack_shows_the_create_and_changes_nothing(engine, local_stack, client, stacks):
    stack = _stack(engine, "preview-empty", connector_program(local_stack))
    stacks.append(stack)
    preview = stack.preview()
    assert preview.change_summary == {"create": 2}  # the stack itself and the connector
    assert client.get_config(NAME) is None


def test_up_registers_the_connector_and_a_second_up_changes_nothing(engine, local_stack, client, stacks):
    stack = _stack(engine, "up-twice", connector_program(local_stack))
    stacks.append(stack)
    first = stack.up()
    assert first.summary.resource_changes == {"create": 2}
    assert client.get_config(NAME)["topic.prefix"] == StageTopics(local_stack.stage).topic_prefix
    assert first.outputs["connectorState"].value == "running"
    second = stack.up()
    assert second.summary.resource_changes == {"same": 2}


def _diff_lines(lines: list[str]) -> list[str]:
    """The property lines of the diff `pulumi preview --diff` printed: marked `~`, `+` or `-`, resource lines and the
    summary left out."""
    shown = [line.strip() for line in "\n".join(lines).splitlines()]
    return [
        line
        for line in shown
        if line[:1] in "~+-" and "pulumi-python:dynamic" not in line and "to update" not in line
    ]


def test_an_option_change_updates_in_place_and_a_rename_is_refused_before_anything_changes(
    engine, local_stack, client, stacks
):
    stack = _stack(engine, "update-replace", connector_program(local_stack))
    stacks.append(stack)
    stack.up()
    stack.workspace.program = connector_program(local_stack, options={"heartbeatIntervalMs": 30000})
    lines: list[str] = []
    preview = stack.preview(diff=True, on_output=lines.append)
    assert preview.change_summary == {"same": 1, "update": 1}
    # The changed key and nothing else: no wall of unchanged config.
    assert _diff_lines(lines) == ["~ config: {", '~ heartbeat.interval.ms: "60000" => "30000"'], "\n".join(lines)
    assert "topic.prefix" not in "\n".join(lines)
    updated = stack.up()
    assert updated.summary.resource_changes == {"same": 1, "update": 1}
    assert client.get_config(NAME)["heartbeat.interval.ms"] == "30000"

    # A connector under another name would be one no health run watches: the config rule refuses it, and the
    # stage's connector stays as it was.
    renamed = f"{NAME}-renamed"
    stack.workspace.program = connector_program(local_stack, name=renamed, options={"heartbeatIntervalMs": 30000})
    with pytest.raises(auto.errors.CommandError, match="this stage's connector is"):
        stack.up()
    assert client.get_config(renamed) is None and client.get_config(NAME)["heartbeat.interval.ms"] == "30000"


def test_drift_made_outside_pulumi_shows_key_by_key_on_preview_and_up_puts_it_back(
    engine, local_stack, client, stacks
):
    stack = _stack(engine, "drift", connector_program(local_stack))
    stacks.append(stack)
    stack.up()
    # Outside Pulumi: one key changed (unvalidated, as no Oracle runs here) and the connector paused.
    drifted = {**client.get_config(NAME), "heartbeat.interval.ms": "12345"}
    local_admin(local_stack).ensure(NAME, drifted, "paused", allow_unreachable_database=True)
    assert _live_state(client) == "PAUSED"

    refreshed = stack.refresh()
    assert refreshed.summary.resource_changes.get("update") == 1
    expected = ["~ config: {", '~ heartbeat.interval.ms: "12345" => "60000"', '~ state : "paused" => "running"']
    lines: list[str] = []
    assert stack.preview(diff=True, on_output=lines.append).change_summary.get("update") == 1
    assert _diff_lines(lines) == expected, "\n".join(lines)
    lines = []
    repaired = stack.up(diff=True, on_output=lines.append)
    assert repaired.summary.resource_changes.get("update") == 1
    assert _diff_lines(lines)[: len(expected)] == expected, "\n".join(lines)
    assert _live_state(client) == "RUNNING"
    assert client.get_config(NAME)["heartbeat.interval.ms"] == "60000"
    assert stack.preview().change_summary == {"same": 2}


def _connector_outputs(stack: auto.Stack) -> dict:
    resources = stack.export_stack().deployment["resources"]
    return next(r["outputs"] for r in resources if r["type"].endswith(":DebeziumConnector"))


def test_the_live_state_outputs_are_as_connect_reported_them_at_the_last_refresh(engine, local_stack, client, stacks):
    stack = _stack(engine, "live-outputs", connector_program(local_stack))
    stacks.append(stack)
    stack.up()
    # Someone pauses the connector outside Pulumi; the outputs say so only once a refresh has read it.
    client.pause(NAME)
    wait_until(
        lambda: (status := client.status(NAME)) and [t.state for t in status.tasks] == ["PAUSED"],
        what="the connector's task pausing",
        timeout=60,
    )
    assert _connector_outputs(stack)["connectorState"] == "running"
    stack.refresh()
    outputs = _connector_outputs(stack)
    assert outputs["tasks"] == [{"id": 0, "state": "PAUSED"}]
    assert outputs["connectorState"] == "paused"


@pytest.mark.parametrize(("state", "connect_state"), [("paused", "PAUSED"), ("stopped", "STOPPED")])
def test_declared_states_are_reached(engine, local_stack, client, stacks, state, connect_state):
    stack = _stack(engine, f"state-{state}", connector_program(local_stack, state=state))
    stacks.append(stack)
    result = stack.up()
    assert result.outputs["connectorState"].value == state
    assert _live_state(client) == connect_state


def test_a_preview_with_an_input_not_known_yet_succeeds(engine, local_stack, client, stacks):
    def program() -> None:
        url = Echo("connect-url", local_stack.connect_url)  # known only once created
        connector_program(local_stack, connect_url=lambda: url.value)()

    stack = _stack(engine, "unknown-input", program)
    stacks.append(stack)
    lines: list[str] = []
    preview = stack.preview(diff=True, on_output=lines.append)
    assert preview.change_summary == {"create": 3}
    assert "output<string>" in "\n".join(lines) or "[unknown]" in "\n".join(lines)
    stack.up()
    assert client.get_config(NAME) is not None


def test_state_and_engine_output_hold_no_password_and_the_salt_only_as_a_secret(engine, local_stack, stacks):
    options = {"hashColumns": ["WMS.PLAN_BASE_WVR_TBL.EMAIL"], "hashSalt": SALT}
    stack = _stack(engine, "secrets", connector_program(local_stack, options=options))
    stacks.append(stack)
    lines: list[str] = []
    stack.preview(diff=True, on_output=lines.append)
    stack.up(diff=True, on_output=lines.append)
    stack.refresh(on_output=lines.append)
    # A changed option of a salted config: the diff names the key that changed, its values secret, never the salt
    # (the salted key compares as its fingerprint, redaction.salted_key_shown).
    stack.workspace.program = connector_program(local_stack, options={**options, "heartbeatIntervalMs": 30000})
    diff: list[str] = []
    stack.preview(diff=True, on_output=diff.append)
    lines += diff
    assert _diff_lines(diff) == ["~ config: {", "~ heartbeat.interval.ms: [secret] => [secret]"], "\n".join(diff)
    # The raw state files of the file backend (the Automation API's export would decrypt the secrets).
    backend = Path(engine.backend.removeprefix("file://"))
    state = "\n".join(p.read_text(errors="replace") for p in backend.rglob("*.json"))
    assert '"secrets"' in state or '"ciphertext"' in state
    printed = "\n".join(lines)
    password = local_stack.settings.database_env["DB_PASSWORD"]
    assert password not in state and password not in printed
    assert SALT not in state, "the hash salt is in the state file in clear"
    assert SALT not in printed, "the engine printed the hash salt"
    assert "[secret]" in printed
    assert '"ciphertext"' in state
    # The serialized provider (code the host loads on every operation) is stored encrypted, never as plain base64.
    assert '"__provider": "' not in state and '"__provider":"' not in state, "the provider is in the state in clear"


def test_destroy_removes_the_connector_then_only_the_ephemeral_stages_topics(engine, local_stack, client, stacks):
    stage = local_stack.stage
    admin = kafka_admin(local_stack.bootstrap_servers)
    foreign = {"aws.wms.cdc.WMS.PLAN_BASE_WVR_TBL", "mgmt.connect.wms-connector-main.config", "itx.aws.wms.cdc.x"}
    own = {f"{StageTopics(stage).topic_prefix}.WMS.ENGINE_TEST_TBL"}
    try:
        admin.create_topics([NewTopic(t, 1, 1) for t in foreign | own if t not in admin.list_topics()])
        wait_until(lambda: (foreign | own) <= set(admin.list_topics()), what="the test topics")

        def program() -> None:
            cleanup = StageTopicCleanup("topic-cleanup", stage=stage, transport=_transport(local_stack))
            workers = LocalWorkers("workers", local_stack, opts=pulumi.ResourceOptions(depends_on=[cleanup]))
            config = build_connector_config(
                stage, ConnectorOptions(), KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
            )
            config["name"] = NAME
            DebeziumConnector(
                "connector", name=NAME, stage=stage.name, config=config, transport=_transport(local_stack),
                allow_unreachable_database=True, opts=pulumi.ResourceOptions(depends_on=[workers]),
            )

        stack = _stack(engine, "destroy-ephemeral", program)
        stack.up()
        assert client.get_config(NAME) is not None
        events: list[auto.events.EngineEvent] = []
        stack.destroy(on_event=events.append)
        stack.workspace.remove_stack(stack.name)
        # The cleanup's report is logged on the cleanup resource, not on the stack.
        reports = [
            e.diagnostic_event for e in events if e.diagnostic_event and "Topic cleanup" in e.diagnostic_event.message
        ]
        assert [(r.urn or "").rsplit("::", 1)[-1] for r in reports] == ["topic-cleanup"], reports
        assert reports[0].severity == "info" and all(topic in reports[0].message for topic in own)
        remaining = set(admin.list_topics())
        assert not own & remaining and not {t for t in remaining if t.startswith(stage.topic_namespace)}
        assert foreign <= remaining
    finally:
        if not local_stack.worker.running():
            local_stack.start_worker()
        admin.delete_topics([t for t in foreign if t in admin.list_topics()])
        admin.close()
    # The connector went first: the restarted worker has no trace of it.
    assert client.get_config(NAME) is None


def _state_names_stage(stack: auto.Stack, resource: str, stage: str) -> None:
    """Rewrite `resource`'s stage in the stack's state, as a hand-edited or older state might hold it."""
    deployment = stack.export_stack()
    for item in deployment.deployment["resources"]:
        if item["urn"].endswith(f"::{resource}"):
            item["inputs"]["stage"] = item["outputs"]["stage"] = stage
    stack.import_stack(deployment)


def test_a_named_stages_destroy_deletes_no_topic(engine, local_stack, stacks):
    main = Stage.parse("main")
    admin = kafka_admin(local_stack.bootstrap_servers)
    topics = set(StageTopics(main).all_topics)
    own = {f"{StageTopics(local_stack.stage).topic_prefix}.WMS.ENGINE_NAMED_TBL"}
    stack = None
    try:
        admin.create_topics([NewTopic(t, 1, 1) for t in topics | own if t not in admin.list_topics()])
        wait_until(lambda: topics | own <= set(admin.list_topics()), what="the test topics")
        # The stack's own rule: a named stage's program declares no cleanup resource at all.
        args = TopicCleanupArgs(main, "us-east-1", "wms-connector-main-admin", depends_on=[])
        assert TopicCleanup.for_stage("topic-cleanup", args) is None

        def program() -> None:
            StageTopicCleanup("topic-cleanup", stage=local_stack.stage, transport=_transport(local_stack))

        # A state that holds a cleanup for the named stage anyway (edited by hand, or left by an older program):
        # its destroy runs the cleanup's delete against a live admin that could delete topics, and must not.
        stack = _stack(engine, "destroy-named", program)
        stack.up()
        _state_names_stage(stack, "topic-cleanup", main.name)
        with pytest.raises(auto.errors.CommandError, match="named stage"):
            stack.destroy()
        time.sleep(1)  # a deletion the broker accepted shows in its metadata within moments
        assert topics | own <= set(admin.list_topics())
    finally:
        if stack is not None:
            stack.workspace.remove_stack(stack.name, force=True)
        admin.delete_topics(list((topics | own) & set(admin.list_topics())))
        admin.close()

"""The admin protocol's request checks and error shapes, the admin's environment, and the Lambda handler.

The operations themselves run against the real local Kafka Connect in tests/integration/."""

from __future__ import annotations

import json
import re
import socket

import boto3
import pytest
from moto import mock_aws

import functions.connector_admin as lambda_module
from devtools.local.connector import options_for
from tests.unit.aws_fixtures import active_private_ca
from tests.unit.stage_config import stage_config
from wms_connector.admin.environment import AdminEnvironment, build_admin
from wms_connector.admin.errors import AdminError, StateTimeout
from wms_connector.admin.errors import AdminMisconfigured as AdminEnvironmentError
from wms_connector.admin.operations import ConnectorAdmin, _exporter_url
from wms_connector.admin.positions import offset_threads
from wms_connector.admin.protocol import handle
from wms_connector.admin.reconciler import _reached
from wms_connector.config_topic import target_state_record
from wms_connector.connect_client import ConnectClient
from wms_connector.connect_status import ConnectorStatus, FieldErrors, TaskStatus
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.registration import PROVIDER_REDACTED, REDACTED_HINT, blocking_errors, refusal
from wms_connector.snapshot_signal import SignalRefused, SignalWriter, check_tables, snapshot_signal
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_TABLES


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def admin() -> ConnectorAdmin:
    client = ConnectClient(_closed_port_url(), request_timeout=0.2, deadline=0.4, backoff_initial=0.01)
    return ConnectorAdmin(connect=client, stage=Stage.parse("feat-x"), poll_interval=0.01)


GOOD_CONFIG = {"name": "wms-oracle-cdc", "connector.class": "x", "database.password": "${env:DB_PASSWORD}"}


@pytest.mark.parametrize(
    ("request_", "kind", "says"),
    [
        ("validate", "BadRequest", "must be a JSON object"),
        ({"action": "explode"}, "BadRequest", "Unknown action 'explode'"),
        ({}, "BadRequest", "Unknown action None"),
        ({"action": "status", "name": "bad name!"}, "BadRequest", "Connector name 'bad name!'"),
        ({"action": "status", "name": ""}, "BadRequest", "Connector name ''"),
        ({"action": "set_state", "name": "c", "state": "sleeping"}, "BadRequest", "state 'sleeping'"),
        ({"action": "set_state", "name": "c", "state": "paused", "timeout_seconds": 0}, "BadRequest", "Timeout 0"),
        ({"action": "set_state", "name": "c", "state": "paused", "timeout_seconds": 10_000}, "BadRequest", "Timeout"),
        ({"action": "apply", "name": "c", "config": {}}, "BadRequest", "non-empty object"),
        ({"action": "apply", "name": "c", "config": {"tasks.max": 1}}, "BadRequest", "tasks.max"),
        ({"action": "apply", "name": "c", "config": {**GOOD_CONFIG}}, "BadRequest", "`name` is 'wms-oracle-cdc'"),
        ({"action": "status", "name": "c", "stage": "main"}, "BadRequest", "serves stage `feat-x`"),
        ({"action": "restart", "name": "c", "include_tasks": "yes"}, "BadRequest", "include_tasks"),
        ({"action": "delete_stage_topics"}, "AdminError", "no Kafka connection"),
        ({"action": "alter_offsets", "name": "c", "scn": 0}, "BadRequest", "SCN 0 is not allowed"),
        ({"action": "alter_offsets", "name": "c", "scn": "12"}, "BadRequest", "SCN '12' is not allowed"),
        ({"action": "signal_snapshot", "name": "c"}, "AdminError", "no Kafka connection"),
        ({"action": "lag", "name": "c"}, "AdminError", "no JMX exporter URL"),
    ],
)
def test_bad_requests_come_back_as_readable_errors(admin, request_, kind, says):
    response = handle(admin, request_)
    assert response["ok"] is False
    assert response["error"]["type"] == kind
    assert says in response["error"]["message"]


def test_plaintext_credential_in_config_is_refused_with_the_field(admin):
    config = {**GOOD_CONFIG, "name": "c", "database.password": "hunter2-secret"}
    response = handle(admin, {"action": "apply", "name": "c", "config": config})
    assert response["error"]["type"] == "BadRequest"
    assert "database.password" in response["error"]["fields"]
    assert "hunter2" not in str(response)


def test_unreachable_connect_is_a_clear_error_naming_the_url(admin):
    response = handle(admin, {"action": "status", "name": "c"})
    assert response["error"]["type"] == "ConnectUnreachable"
    assert admin.connect.base_url in response["error"]["message"]
    assert "gave up after" in response["error"]["message"]


def test_unreachable_database_is_tolerated_only_when_asked():
    result = FieldErrors(
        2,
        {
            "database.hostname": ["Unable to connect: Failed to resolve Oracle database version"],
            "log.mining.strategy": ["Invalid value bogus"],
        },
    )
    assert blocking_errors(result, False) == result.errors
    assert blocking_errors(result, True) == {"log.mining.strategy": ["Invalid value bogus"]}
    # A hostname error that is not about connecting still blocks.
    syntax = FieldErrors(1, {"database.hostname": ["The 'database.hostname' value is invalid: A value is required"]})
    assert blocking_errors(syntax, True) == syntax.errors


# AbstractHerder.redactResolvedValues (connect-runtime 4.3.2, read with javap): an error on a key whose value came
# from a config provider becomes this one text, whatever the connector said.
REDACTED_HOST = f"Invalid value for configuration 'database.hostname': {PROVIDER_REDACTED}"


@pytest.mark.parametrize(
    ("host_value", "tolerated"),
    [("${env:DB_HOST}", True), ("db.example.internal", False), (None, False)],
)
def test_a_redacted_connection_error_counts_only_on_a_provider_reference(host_value, tolerated):
    result = FieldErrors(1, {"database.hostname": [REDACTED_HOST]})
    config = {} if host_value is None else {"database.hostname": host_value}
    assert blocking_errors(result, True, config) == ({} if tolerated else result.errors)
    assert blocking_errors(result, False, config) == result.errors
    # On any other field the same text is a real refusal.
    other = FieldErrors(1, {"database.port": [REDACTED_HOST.replace("hostname", "port")]})
    assert blocking_errors(other, True, {"database.port": "${env:DB_PORT}"}) == other.errors


def test_a_refusal_says_what_a_redacted_connection_error_stands_for():
    message = refusal("c", {"database.hostname": [REDACTED_HOST], "log.mining.strategy": ["Invalid value bogus"]})
    assert f"database.hostname: {REDACTED_HOST} ({REDACTED_HINT})" in message.message
    assert message.message.endswith("\n  log.mining.strategy: Invalid value bogus")  # other errors as they are
    assert message.fields["database.hostname"] == [REDACTED_HOST]


def _status(state: str, *task_states: str) -> ConnectorStatus:
    tasks = tuple(TaskStatus(id=i, state=s) for i, s in enumerate(task_states))
    return ConnectorStatus(name="c", state=state, worker_id="w", trace=None, tasks=tasks)


def test_desired_state_is_reached_only_with_tasks_when_required():
    assert _reached(_status("RUNNING", "RUNNING"), "RUNNING", True)
    assert not _reached(_status("RUNNING", "FAILED"), "RUNNING", True)
    assert not _reached(_status("RUNNING"), "RUNNING", True)
    assert _reached(_status("RUNNING", "FAILED"), "RUNNING", False)
    assert _reached(_status("PAUSED", "PAUSED"), "PAUSED", True)
    assert not _reached(_status("STOPPED", "RUNNING"), "STOPPED", True)
    assert _reached(_status("STOPPED"), "STOPPED", True)
    assert not _reached(_status("PAUSED"), "RUNNING", False)


ENV = {"STAGE": "feat-x", "CONNECT_URL": "https://connect.wms-connector-feat-x.internal"}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "missing STAGE, CONNECT_URL"),
        ({**ENV, "STAGE": "Feat_X"}, "STAGE: Invalid stage"),
        ({**ENV, "CONNECT_URL": "connect:8083"}, "CONNECT_URL: must be an http:// or https:// URL"),
        ({**ENV, "KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SECURITY_PROTOCOL: must be one of SSL, PLAINTEXT"),
        ({**ENV, "CONNECT_DEADLINE_SECONDS": "forever"}, "CONNECT_DEADLINE_SECONDS"),
        ({**ENV, "HEALTH_TABLE": "a b"}, "HEALTH_TABLE: 'a b' is not a DynamoDB table name"),
    ],
)
def test_bad_environment_names_the_variable(env, says):
    with pytest.raises(AdminEnvironmentError, match=says):
        AdminEnvironment.from_env(env)


def test_signal_requests_are_checked_before_connect_is_asked(admin):
    admin.signal_writer = SignalWriter("127.0.0.1:1")  # never reached: the checks come first
    for request, says in (
        ({"tables": ["WMS.OTHER_TBL"]}, "'WMS.OTHER_TBL' are not captured; allowed: MMDL.PLAN_BASE_WVR_TBL"),
        ({"snapshot_type": "full"}, "Snapshot type 'full' is not allowed: one of blocking, incremental"),
        ({"tables": "WMS.PLAN_BASE_WVR_TBL"}, "must be a list"),
    ):
        response = handle(admin, {"action": "signal_snapshot", "name": "c", **request})
        assert response["error"]["type"] == "BadRequest" and says in response["error"]["message"]


def test_snapshot_signal_is_keyed_by_topic_prefix_with_debeziums_payload():
    signal = snapshot_signal(Stage.parse("feat-x"), None, "incremental", signal_id="s-1")
    assert signal.key == "feat-x.aws.wms.cdc"
    assert signal.value == {
        "id": "s-1",
        "type": "execute-snapshot",
        "data": {
            "data-collections": [rf"(?:[^.]+\.)?{schema}\.{table}" for schema, table in CAPTURED_TABLES],
            "type": "incremental",
        },
    }
    pattern = re.compile(signal.value["data"]["data-collections"][2])
    assert pattern.fullmatch("ORCLPDB1.WMS.PLAN_BASE_WVR_TBL")
    assert not pattern.fullmatch("ORCLPDB1.WMS.PLAN_BASE_WVR_TBL_OLD")
    assert not pattern.fullmatch("ORCLPDB1.XWMS.PLAN_BASE_WVR_TBL")
    assert pattern.fullmatch("WMS.PLAN_BASE_WVR_TBL")  # the stand-in PostgreSQL connector's table id
    assert not pattern.fullmatch("A.B.WMS.PLAN_BASE_WVR_TBL")
    twice = snapshot_signal(Stage.parse("main"), ["WMS.PLAN_BASE_WVR_TBL"] * 2, "blocking")
    assert twice.key == "aws.wms.cdc" and twice.tables == ("WMS.PLAN_BASE_WVR_TBL",)
    with pytest.raises(SignalRefused, match="not captured"):
        check_tables(["wms.plan_base_wvr_tbl"])


def test_exporter_url_is_the_worker_that_runs_the_task():
    status = ConnectorStatus(
        name="c", state="RUNNING", worker_id="10.0.1.4:8083", trace=None,
        tasks=(TaskStatus(id=0, state="RUNNING", worker_id="10.0.1.9:8083"),),
    )
    template = "http://{task_ip}:9404/metrics"
    assert _exporter_url(template, status) == "http://10.0.1.9:9404/metrics"
    no_task = ConnectorStatus(name="c", state="RUNNING", worker_id="10.0.1.4:8083", trace=None, tasks=())
    assert _exporter_url(template, no_task) == "http://10.0.1.4:9404/metrics"
    assert _exporter_url("http://127.0.0.1:9404/metrics", status) == "http://127.0.0.1:9404/metrics"
    unassigned = ConnectorStatus(name="c", state="UNASSIGNED", worker_id=None, trace=None, tasks=())
    with pytest.raises(AdminError, match="runs on no worker yet"):
        _exporter_url(template, unassigned)


def test_jmx_url_from_the_environment():
    assert AdminEnvironment.from_env(ENV).jmx_url is None
    environment = AdminEnvironment.from_env({**ENV, "JMX_URL": "http://{task_ip}:9404/metrics"})
    assert build_admin(environment).jmx_url == "http://{task_ip}:9404/metrics"
    with pytest.raises(AdminEnvironmentError, match="JMX_URL: must be an http:// or https:// URL"):
        AdminEnvironment.from_env({**ENV, "JMX_URL": "10.0.0.1:9404"})


def test_environment_defaults():
    environment = AdminEnvironment.from_env({**ENV, "BOOTSTRAP_SERVERS": "b-1:9094"})
    assert environment.stage == Stage.parse("feat-x")
    assert environment.security_protocol == "SSL"
    assert environment.connect_deadline_seconds == 60
    admin = build_admin(environment)
    assert admin.topic_admin_factory is not None
    assert admin.connect.base_url == ENV["CONNECT_URL"]
    # Without the health table nothing is held or declared (no health run watches), and a hold is refused.
    assert admin.control is None
    refused = handle(admin, {"action": "set_state", "name": "wms-oracle-cdc", "state": "paused", "holder": "a@b",
                             "hold": {"seconds": 60, "reason": "r"}})
    assert refused["error"]["type"] == "BadRequest" and "keeps no holds" in refused["error"]["message"]


def test_the_health_table_from_the_environment_is_where_holds_and_the_declaration_go(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    environment = AdminEnvironment.from_env({**ENV, "HEALTH_TABLE": "wms-connector-feat-x-health"})
    admin = build_admin(environment)
    assert admin.control.table.name == "wms-connector-feat-x-health"
    assert (admin.control.stage, admin.control.connector) == ("feat-x", "wms-oracle-cdc")


@mock_aws
def test_private_ca_certificate_is_fetched_by_arn(monkeypatch):
    acm_pca = boto3.client("acm-pca", region_name="us-east-1")
    ca_arn, _ = active_private_ca(acm_pca)
    fetched = acm_pca.get_certificate_authority_certificate(CertificateAuthorityArn=ca_arn)
    environment = AdminEnvironment.from_env({**ENV, "CONNECT_CA_ARN": ca_arn})
    admin = build_admin(environment, acm_pca=acm_pca)
    # The client's TLS trust is the CA's certificate, as ACM PCA returns it.
    trusted = admin.connect.trusted_ca
    assert trusted.strip().startswith(fetched["Certificate"].strip()[:40])
    assert "BEGIN CERTIFICATE" in trusted


def test_private_ca_without_client_is_a_clear_error():
    ca_arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012"
    environment = AdminEnvironment.from_env({**ENV, "CONNECT_CA_ARN": ca_arn})
    with pytest.raises(AdminEnvironmentError, match="CONNECT_CA_ARN"):
        build_admin(environment)


def test_lambda_handler_reports_a_misconfigured_environment(monkeypatch):
    monkeypatch.setattr(lambda_module, "_ADMIN", None)
    monkeypatch.delenv("STAGE", raising=False)
    monkeypatch.delenv("CONNECT_URL", raising=False)
    response = lambda_module.handler({"action": "server_info"})
    assert response == {
        "ok": False,
        "error": {
            "type": "AdminMisconfigured",
            "message": "The admin function's environment is missing STAGE, CONNECT_URL.",
            "fields": {},
        },
    }


def test_lambda_handler_runs_the_protocol_and_logs_no_config(monkeypatch, capsys):
    monkeypatch.setattr(lambda_module, "_ADMIN", None)
    monkeypatch.setenv("STAGE", "feat-x")
    monkeypatch.setenv("CONNECT_URL", _closed_port_url())
    monkeypatch.setenv("CONNECT_DEADLINE_SECONDS", "1")
    options = ConnectorOptions(hash_columns=("WMS.PLAN_BASE_WVR_TBL.X",), hash_salt="s3cr3tsalt0123456")
    config = stage_config(options=options, protocol="SSL")  # the admin's default: MSK's TLS
    response = lambda_module.handler({"action": "validate", "config": config})
    assert response["ok"] is False and response["error"]["type"] == "ConnectUnreachable"
    logged = capsys.readouterr().out
    assert '"action": "validate"' in logged and "s3cr3tsalt" not in logged


@pytest.mark.parametrize(
    ("database_env", "pdb", "url"),
    [
        ({}, False, False),
        ({"DB_HOST": "h", "DB_PDB": "ORCLPDB1"}, True, False),
        ({"DB_HOST": "h", "DB_URL": "jdbc:oracle:thin:@//h:1521/S", "DB_PDB": ""}, False, True),
        ({"DB_INFO": '{"host": "h", "pdb": "P", "url": "jdbc:oracle:thin:@x"}'}, True, True),
        ({"DB_INFO": "not json"}, False, False),
    ],
)
def test_local_registration_follows_the_database_settings_shape(database_env, pdb, url):
    options = options_for(database_env, "WMS.DEBEZIUM_HEARTBEAT")
    assert (options.use_pdb, options.use_jdbc_url) == (pdb, url)


def test_local_registration_with_a_pdb_needs_the_heartbeat_table():
    with pytest.raises(ConnectorOptionsError, match="WMS_LOCAL_HEARTBEAT_TABLE"):
        options_for({"DB_HOST": "h", "DB_PDB": "ORCLPDB1"})


class ForgetfulConnect:
    """Connect as seen around a rebalance: the first `drop` target-state requests are lost (a worker applies one
    only to a connector it holds at that moment), and a FAILED connector moves only when restarted (Connect
    3.9: "Cannot transition connector to PAUSED since it has failed"). The real worker shows the first only under
    load, so the admin's answer to both is tested here."""

    def __init__(self, state: str, *, drop: int = 0) -> None:
        self.state, self.target, self.drop = state, state, drop
        self.calls: list[str] = []

    def status(self, name: str) -> ConnectorStatus:
        tasks = () if self.state == "STOPPED" else (TaskStatus(id=0, state=self.state),)
        return ConnectorStatus(name=name, state=self.state, worker_id="w", trace=None, tasks=tasks)

    def get_config(self, name: str) -> dict[str, str]:
        return {"name": name}

    def _target(self, call: str, state: str) -> None:
        self.calls.append(call)
        self.target = state
        if self.drop:
            self.drop -= 1
        elif self.state != "FAILED":
            self.state = state

    def pause(self, name: str) -> None:
        self._target("pause", "PAUSED")

    def resume(self, name: str) -> None:
        self._target("resume", "RUNNING")

    def stop(self, name: str) -> None:
        self._target("stop", "STOPPED")

    def restart(self, name: str, *, include_tasks: bool, only_failed: bool) -> None:
        self.calls.append(f"restart(include_tasks={include_tasks})")
        self.state = self.target  # a restarted connector starts in its target state


def _forgetful_admin(connect: ForgetfulConnect) -> ConnectorAdmin:
    return ConnectorAdmin(connect=connect, stage=Stage.parse("feat-x"), poll_interval=0.01, state_request_interval=0.05)


@pytest.mark.parametrize(
    ("start", "state", "request_"),
    [("RUNNING", "paused", "pause"), ("PAUSED", "running", "resume"), ("RUNNING", "stopped", "stop")],
)
def test_a_dropped_state_request_is_made_again_while_waiting(start, state, request_):
    connect = ForgetfulConnect(start, drop=1)
    reached = _forgetful_admin(connect).set_state("c", state, timeout=5)
    assert reached.state == state.upper()
    assert connect.calls == [request_, request_]


def test_a_failed_connector_is_restarted_into_the_paused_state():
    connect = ForgetfulConnect("FAILED")
    assert _forgetful_admin(connect).set_state("c", "paused", timeout=5).state == "PAUSED"
    assert connect.calls == ["pause", "restart(include_tasks=False)"]


def test_a_state_never_reached_times_out_with_the_last_status_after_asking_again():
    connect = ForgetfulConnect("RUNNING", drop=1_000)
    with pytest.raises(StateTimeout, match=r"did not reach paused within 0s\. Last status:\nconnector c: RUNNING"):
        _forgetful_admin(connect).set_state("c", "paused", timeout=0.3)
    assert 2 <= connect.calls.count("pause") <= 8


class ScriptedStatuses:
    """A Connect whose status answers follow a script (the last one repeats)."""

    def __init__(self, *states: tuple[str, ...] | None) -> None:
        self.script = list(states)
        self.asked = 0

    def status(self, name: str) -> ConnectorStatus | None:
        self.asked += 1
        states = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if states is None:
            return None
        tasks = tuple(TaskStatus(id=i, state=s) for i, s in enumerate(states[1:]))
        return ConnectorStatus(name=name, state=states[0], worker_id="w", trace=None, tasks=tasks)


def _settling(connect: ScriptedStatuses) -> ConnectorAdmin:
    return ConnectorAdmin(connect=connect, stage=Stage.parse("feat-x"), poll_interval=0.01)


def test_a_task_that_fails_again_after_a_moment_running_is_reported_failed():
    connect = ScriptedStatuses(("RUNNING", "RUNNING"), ("RUNNING", "RUNNING"), ("RUNNING", "FAILED"))
    settled = _settling(connect).settle("c", settle_seconds=5, timeout=10)
    assert [t.state for t in settled.tasks] == ["FAILED"] and connect.asked == 3


def test_running_that_holds_through_the_settle_window_is_the_verdict():
    connect = ScriptedStatuses(("RUNNING", "UNASSIGNED"), ("RUNNING", "RUNNING"))
    settled = _settling(connect).settle("c", settle_seconds=0.05, timeout=10)
    assert settled.state == "RUNNING" and [t.state for t in settled.tasks] == ["RUNNING"] and connect.asked >= 3


def test_settling_is_bounded_and_a_missing_connector_is_none():
    restarting = ScriptedStatuses(("RUNNING", "RESTARTING"))
    assert [t.state for t in _settling(restarting).settle("c", settle_seconds=1, timeout=0.1).tasks] == ["RESTARTING"]
    assert _settling(ScriptedStatuses(None)).settle("c", settle_seconds=1, timeout=1) is None


@pytest.mark.parametrize(
    ("state", "value"),
    [
        ("STOPPED", {"state": "PAUSED", "state.v2": "STOPPED"}),
        ("PAUSED", {"state": "PAUSED", "state.v2": "PAUSED"}),
        ("RUNNING", {"state": "STARTED", "state.v2": "STARTED"}),
    ],
)
def test_the_target_state_record_is_connects_own(state, value):
    # KafkaConfigBackingStore (connect-runtime 4.3.2; tests/integration/test_pinned_jar_facts.py reads it back): key
    # `target-state-<name>`, `state.v2` the state and `state` PAUSED for STOPPED, for workers that predate STOPPED.
    key, raw = target_state_record("wms-oracle-cdc", state)
    assert key == b"target-state-wms-oracle-cdc" and json.loads(raw) == value
    with pytest.raises(ValueError, match="not RUNNING, PAUSED or STOPPED"):
        target_state_record("c", "STARTED")


class CreatingConnect:
    """Records whether the admin creates (POST with initial_state) or puts a config."""

    def __init__(self, live: dict | None) -> None:
        self.live, self.calls = live, []

    def validate(self, _class: str, config: dict) -> FieldErrors:
        return FieldErrors(error_count=0, errors={})

    def get_config(self, name: str) -> dict | None:
        return self.live

    def create(self, name: str, config: dict, initial_state: str) -> dict:
        self.calls.append(("create", initial_state))
        return {}

    def put_config(self, name: str, config: dict) -> dict:
        self.calls.append(("put", None))
        return {}


@pytest.mark.parametrize(
    ("live", "initial_state", "expected"),
    [
        (None, "stopped", ("create", "STOPPED")),
        (None, "paused", ("create", "PAUSED")),
        (None, "running", ("create", "RUNNING")),
        (None, None, ("put", None)),
        ({"name": "wms-oracle-cdc", "old": "1"}, "stopped", ("put", None)),  # an update keeps its own state
    ],
)
def test_a_new_connector_is_created_in_its_declared_state(live, initial_state, expected):
    connect = CreatingConnect(live)
    admin = ConnectorAdmin(connect=connect, stage=Stage.parse("feat-x"))
    admin.apply("wms-oracle-cdc", stage_config(), initial_state=initial_state)
    assert connect.calls == [expected]


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, []),
        ("", []),
        ("4900:1:0a001b00c3000000", [1]),
        ("4900:1:,4950:2:07001c00d5000000-0800", [1, 2]),
        ("4900", []),  # the legacy single-thread form names none (the database's threads are used)
    ],
)
def test_the_redo_threads_an_offset_names(current, expected):
    # CommitScn.valueOf (debezium-connector-oracle 3.6.1; tests/integration/test_pinned_jar_facts.py reads it back):
    # `scn:thread:txids`, comma-separated.
    assert offset_threads({"commit_scn": current}) == expected


@pytest.mark.parametrize("scn", [0, -1, True, "5000", 1.5, 2**53, 99999999999999999999999999999])
def test_start_from_and_a_start_scn_refuse_what_is_not_an_scn(admin, scn):
    response = handle(admin, {"action": "start_from", "name": "wms-oracle-cdc", "scn": scn, "stage": "feat-x"})
    assert response["error"]["type"] == "BadRequest"
    assert f"whole number from 1 to {2**53 - 1}" in response["error"]["message"]
    ensure = {"action": "ensure", "name": "wms-oracle-cdc", "stage": "feat-x", "start_scn": scn,
              "config": {"name": "wms-oracle-cdc", "connector.class": "x"}}
    response = handle(admin, ensure)
    assert response["error"]["type"] == "BadRequest" and "start_scn" in response["error"]["message"]

"""The on-call commands against the real local Kafka + Kafka Connect + Debezium Oracle plugin.

The commands talk to Connect directly (`--connect-url`, as `--local` does), through the same admin code the admin
Lambda runs. The connector is registered as the health tests register it: either with the stage's config, so its
"database" is a closed port and Debezium retries its start with the task RUNNING, or with one property its task
refuses, so the task FAILS (connectors.py). No Debezium metrics are exported either way, which is what `status`
and `lag` must show plainly.
"""

from __future__ import annotations

import io
import json

import pytest
from kafka import KafkaConsumer, TopicPartition

from devtools.local.kafka_tools import kafka_admin, register_unvalidated
from devtools.ops import OK, UNHEALTHY, main
from tests.integration.connectors import (
    FAILED_WITHIN_S,
    register_failing_connector,
    resume_until_started,
    task_failures,
    wait_for,
)
from wms_connector.connect_client import ConnectClient
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.topics import CAPTURED_TABLES

pytestmark = pytest.mark.integration

NAME = "wms-oracle-cdc"


def ops(local_stack, *argv: str, json_output: bool = False) -> tuple[int, str, str]:
    """`ops` against the local stack; options before the command (`--worker-log PATH`) go in `argv` first."""
    out, err = io.StringIO(), io.StringIO()
    target = [
        "--stage", local_stack.stage.name,
        "--connect-url", local_stack.connect_url,
        "--bootstrap-servers", local_stack.bootstrap_servers,
        "--jmx-url", local_stack.jmx_url,
        "--timeout", "60",
    ]
    code = main([*target, *(["--json"] if json_output else []), *argv], environ={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _task_failed(client: ConnectClient):
    status = client.status(NAME)
    return status if status and any(t.state == "FAILED" for t in status.tasks) else None


def _remove(client: ConnectClient) -> None:
    """Stop, forget offsets, delete: the next registration starts from nothing."""
    if client.status(NAME) is None:
        return
    client.stop(NAME)
    wait_for("connector STOPPED", lambda: (s := client.status(NAME)) and s.state == "STOPPED" and not s.tasks, 60)
    client.reset_offsets(NAME)
    client.delete(NAME)
    wait_for("connector deleted", lambda: client.get_config(NAME) is None, 30)


@pytest.fixture(scope="module")
def client(local_stack) -> ConnectClient:
    client = ConnectClient(local_stack.connect_url, request_timeout=5, deadline=60)
    _remove(client)
    yield client
    _remove(client)


@pytest.fixture
def failing_connector(local_stack, client) -> ConnectClient:
    """The stage's connector, RUNNING as a connector with its task FAILED (a property it refuses, connectors.py)."""
    register_failing_connector(local_stack, client)
    wait_for(f"task of {NAME} FAILED", lambda: _task_failed(client), FAILED_WITHIN_S)
    return client


def test_status_of_a_connector_that_is_not_registered_says_missing(local_stack, client):
    _remove(client)
    code, out, _ = ops(local_stack, "status")
    assert code == UNHEALTHY
    assert f"connector {NAME} (stage it): absent" in out
    assert "MISSING" in out.splitlines()[-1]
    code, _, err = ops(local_stack, "offsets")
    assert code == UNHEALTHY and "ConnectorNotFound" in err and "does not exist" in err


def test_status_shows_the_failed_task_with_a_short_trace_and_an_unhealthy_verdict(local_stack, failing_connector):
    code, out, err = ops(local_stack, "status")
    assert code == UNHEALTHY, err
    lines = out.splitlines()
    assert lines[0].startswith(f"connector {NAME} (stage it): RUNNING on 127.0.0.1:")
    assert any(line.startswith("  task 0: FAILED") for line in lines)
    trace = next(line for line in lines if line.strip().startswith("trace:"))
    assert "lines in full" in trace and len(trace) < 400
    assert lines[-1].startswith("UNHEALTHY: task 0 FAILED")
    code, out, _ = ops(local_stack, "status", json_output=True)
    body = json.loads(out)
    assert code == UNHEALTHY and body["ok"] is False
    assert body["result"]["status"]["tasks"][0]["state"] == "FAILED"
    assert "\n" in body["result"]["status"]["tasks"][0]["trace"]  # the full trace for scripts


@pytest.fixture
def retrying_connector(local_stack, client) -> ConnectClient:
    """The stage's connector with the stage's own config: its task RUNNING, Debezium retrying its start."""
    since = local_stack.worker_log.stat().st_size
    config = build_connector_config(
        local_stack.stage, ConnectorOptions(), KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    )
    register_unvalidated(local_stack, NAME, config)
    resume_until_started(client, NAME)

    def retried_since() -> bool:
        with local_stack.worker_log.open("rb") as log:
            log.seek(since)
            return f"[{NAME}|task-0] Failed to start connector".encode() in log.read()

    wait_for("Debezium retrying the task's start", retried_since, FAILED_WITHIN_S)
    return client


def test_status_of_a_running_task_whose_start_debezium_retries_shows_the_logged_cause(
    local_stack, retrying_connector
):
    code, out, err = ops(local_stack, "--worker-log", str(local_stack.worker_log), "status")
    assert code == UNHEALTHY, err
    lines = out.splitlines()
    task = lines.index(f"  task 0: RUNNING on {retrying_connector.status(NAME).tasks[0].worker_id}")
    assert lines[task + 1].startswith(
        "    cause (worker log): Failed to start connector, will re-attempt during polling. "
        "(io.debezium.connector.common.BaseSourceTask:"
    )
    cause = "\n".join(lines[task + 1:])
    assert "org.apache.kafka.connect.errors.RetriableException: Failed to resolve Oracle database version" in cause
    assert "Caused by: java.net.ConnectException: Connection refused" in cause
    assert lines[-1].startswith("NOT CAPTURING: task 0 RUNNING, but Debezium has not started")
    code, out, _ = ops(local_stack, "--worker-log", str(local_stack.worker_log), "status", json_output=True)
    body = json.loads(out)
    assert code == UNHEALTHY and body["verdict"] == lines[-1] and body["result"]["not_started"] == ["0"]
    assert "Connection refused" in "\n".join(body["result"]["causes"]["0"])


def test_lag_on_a_worker_whose_connector_is_not_connected(local_stack, failing_connector):
    code, out, err = ops(local_stack, "lag")
    assert code == UNHEALTHY, err
    assert f"exporter                    : {local_stack.jmx_url}" in out
    assert "Connected                   : not reported" in out
    assert "MilliSecondsBehindSource    : not reported" in out
    # Its task FAILED: lag shows the task states and says so first (Connect's view, before Debezium's metrics).
    assert "connector state             : running, task 0 FAILED" in out
    assert out.splitlines()[-1] == "UNHEALTHY: task 0 FAILED; see `status`."
    code, out, _ = ops(local_stack, "lag", json_output=True)
    result = json.loads(out)["result"]
    assert result["debezium_metrics_seen"] is False and result["connected"] is None and result["error"] is None


def test_pause_resume_and_stop_reach_their_states(local_stack, failing_connector):
    code, out, err = ops(local_stack, "pause")
    # Paused as asked, but its task stays FAILED (no database): the verdict says so, and the exit code with it.
    assert code == UNHEALTHY, err + out
    assert out.splitlines()[0].startswith(f"connector {NAME} (stage it): PAUSED")
    assert out.splitlines()[-1] == "UNHEALTHY: PAUSED, but task 0 FAILED."
    assert failing_connector.status(NAME).state == "PAUSED"

    code, out, err = ops(local_stack, "resume")
    assert failing_connector.status(NAME).state == "RUNNING"
    assert code == UNHEALTHY  # running again, and its task fails again: the verdict says so
    assert "RUNNING" in out.splitlines()[0]

    code, out, err = ops(local_stack, "stop")
    assert code == OK, err + out
    status = failing_connector.status(NAME)
    assert status.state == "STOPPED" and not status.tasks
    assert "no tasks" in out


def test_offsets_change_only_while_stopped_and_only_with_yes(local_stack, failing_connector):
    assert failing_connector.status(NAME).state == "RUNNING"
    code, _, err = ops(local_stack, "offsets", "reset", "--yes")
    assert code == UNHEALTHY
    assert "Refused" in err and "it is RUNNING" in err and "stop it first" in err
    code, _, err = ops(local_stack, "offsets", "set", "--scn", "123456", "--yes")
    assert code == UNHEALTHY and "Refused" in err

    assert ops(local_stack, "stop")[0] == OK
    # This admin has no database to ask which transactions were open at the SCN: refused unless accepted.
    code, _, err = ops(local_stack, "offsets", "set", "--scn", "123456", "--yes")
    assert code == UNHEALTHY and "cannot tell which transactions were open at SCN 123456" in err
    code, _, err = ops(local_stack, "offsets", "reset")
    assert code == UNHEALTHY and "Add --yes" in err

    code, out, err = ops(local_stack, "offsets", "set", "--scn", "123456", "--dry-run",
                         "--accept-unknown-open-transactions")
    assert code == OK and "offset to write: commit_scn=123456:1:, scn=123455" in out and "UNCHECKED" in out
    assert "123455" not in json.dumps(failing_connector.get_offsets(NAME))  # a dry run writes nothing
    code, out, err = ops(local_stack, "offsets", "set", "--scn", "123456", "--yes",
                         "--accept-unknown-open-transactions")
    assert code == OK, err
    assert "offset written: commit_scn=123456:1:, scn=123455" in out
    code, out, _ = ops(local_stack, "offsets")
    assert code == OK
    # Mining is `SCN > scn`, so it reads from 123456 on; commits below it on thread 1 count as handled.
    assert f"partition server={local_stack.topics.topic_prefix}" in out and "scn = 123455" in out
    assert "commit_scn = 123456:1:" in out

    code, out, err = ops(local_stack, "offsets", "reset", "--yes")
    assert code == OK, err
    code, out, _ = ops(local_stack, "offsets", json_output=True)
    assert json.loads(out)["result"]["offsets"] == []
    assert ops(local_stack, "resume")[0] == UNHEALTHY  # back to running (its task fails again)


def test_start_from_an_scn_is_one_operation_stop_set_start(local_stack, failing_connector):
    code, _, err = ops(local_stack, "start-from", "--scn", "48213377")
    assert code == UNHEALTHY and "Refused" in err and "add --yes" in err
    # Refused before anything is stopped when what was open at the SCN cannot be told.
    code, _, err = ops(local_stack, "start-from", "--scn", "48213377", "--yes")
    assert code == UNHEALTHY and "cannot tell which transactions were open" in err
    assert failing_connector.status(NAME).state == "RUNNING"
    code, out, err = ops(local_stack, "start-from", "--scn", "48213377", "--yes", "--accept-unknown-open-transactions")
    # Started again from there; with no database its task fails again, and the verdict says so.
    assert code == UNHEALTHY, err
    lines = out.splitlines()
    assert lines[0] == "offset written: commit_scn=48213377:1:, scn=48213376"
    assert any(line.startswith(f"connector {NAME} (stage it): RUNNING") for line in lines)
    assert lines[-1].startswith("UNHEALTHY: task 0 FAILED")
    [entry] = failing_connector.get_offsets(NAME)["offsets"]
    assert entry["partition"] == {"server": local_stack.topics.topic_prefix}
    assert entry["offset"] == {"scn": "48213376", "commit_scn": "48213377:1:"}


def _signals(local_stack) -> list:
    topic = local_stack.topics.signal_topic
    consumer = KafkaConsumer(bootstrap_servers=local_stack.bootstrap_servers, enable_auto_commit=False)
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        end = consumer.end_offsets([partition])[partition]
        records = []
        while consumer.position(partition) < end:
            for batch in consumer.poll(timeout_ms=2000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def test_snapshot_signal_lands_on_the_stages_signal_topic_keyed_by_topic_prefix(local_stack, failing_connector):
    code, out, err = ops(local_stack, "snapshot", "--table", "WMS.PLAN_BASE_WVR_TBL", "--type", "blocking")
    assert code == OK, err
    assert f"to {local_stack.topics.signal_topic} partition 0" in out
    record = _signals(local_stack)[-1]
    assert record.key.decode() == local_stack.topics.topic_prefix == "it.aws.wms.cdc"
    value = json.loads(record.value)
    assert value["type"] == "execute-snapshot" and value["id"] in out
    assert value["data"] == {"data-collections": [r"(?:[^.]+\.)?WMS\.PLAN_BASE_WVR_TBL"], "type": "blocking"}

    code, _, _ = ops(local_stack, "snapshot")
    assert code == OK
    every = json.loads(_signals(local_stack)[-1].value)["data"]["data-collections"]
    assert every == [rf"(?:[^.]+\.)?{schema}\.{table}" for schema, table in CAPTURED_TABLES]


def test_incremental_snapshot_without_a_signalling_table_is_refused_and_sends_nothing(local_stack, failing_connector):
    before = len(_signals(local_stack)) if local_stack.topics.signal_topic in _topic_names(local_stack) else 0
    code, _, err = ops(local_stack, "snapshot", "--type", "incremental")
    assert code == UNHEALTHY
    assert "signal.data.collection" in err and "blocking" in err
    after = len(_signals(local_stack)) if local_stack.topics.signal_topic in _topic_names(local_stack) else 0
    assert after == before


RESTART_RACE_ROUNDS = 20


def test_restart_reports_the_attempt_it_made_never_the_one_before(local_stack, failing_connector):
    # Connect restarts asynchronously: right after its 202 the REST status can still show the old attempt FAILED.
    # The verdict must be taken on the new attempt, every time: the failure it reports is one logged after the
    # restart was asked for.
    for round_ in range(RESTART_RACE_ROUNDS):
        wait_for("task FAILED", lambda: _task_failed(failing_connector), FAILED_WITHIN_S)
        before = task_failures(local_stack)
        code, out, err = ops(local_stack, "restart")
        assert code == UNHEALTHY, err  # restarted; with no database it fails again, and the verdict says so
        assert out.splitlines()[-1].startswith("UNHEALTHY: task 0 FAILED"), out
        assert task_failures(local_stack) > before, f"round {round_}: the verdict was the previous attempt's"


def test_ensure_creates_the_signal_topic_before_the_connector_reads_it(local_stack, failing_connector):
    from wms_connector.admin.environment import AdminEnvironment, build_admin
    from wms_connector.topic_admin import TopicAdmin

    environment = AdminEnvironment(
        stage=local_stack.stage, connect_url=local_stack.connect_url, connect_ca=None,
        connect_deadline_seconds=30, bootstrap_servers=local_stack.bootstrap_servers, security_protocol="PLAINTEXT",
    )
    config = build_connector_config(
        local_stack.stage, ConnectorOptions(), KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    )
    build_admin(environment).ensure(NAME, config, "running", timeout=60, allow_unreachable_database=True)
    signal_topic = local_stack.topics.signal_topic
    assert signal_topic in _topic_names(local_stack)
    consumer = KafkaConsumer(bootstrap_servers=local_stack.bootstrap_servers)
    try:
        assert consumer.partitions_for_topic(signal_topic) == {0}
    finally:
        consumer.close()
    # Creating is idempotent and never touches an existing topic.
    fresh = f"{local_stack.topics.connect_group_id}.ensure-check"
    with TopicAdmin(local_stack.bootstrap_servers) as topics:
        assert topics.ensure_topic(fresh, partitions=2, replication_factor=1) is True
        assert topics.ensure_topic(fresh, partitions=1, replication_factor=1) is False
    consumer = KafkaConsumer(bootstrap_servers=local_stack.bootstrap_servers)
    admin = kafka_admin(local_stack.bootstrap_servers)
    try:
        assert consumer.partitions_for_topic(fresh) == {0, 1}
    finally:
        consumer.close()
        admin.delete_topics([fresh])
        admin.close()


def _topic_names(local_stack) -> set[str]:
    admin = kafka_admin(local_stack.bootstrap_servers)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()

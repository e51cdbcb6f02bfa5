"""Real change events through the real pipeline: a stand-in PostgreSQL database (devtools/standin) captured by
Debezium's PostgreSQL connector from the same Debezium release as the Oracle plugin, in the real local Connect
worker, into the real local Kafka, with the connector config built by the stack's builder (only the source part
replaced), registered and driven through the admin code, read by the health check and the on-call commands.

Oracle cannot run here; everything downstream of the database that is not Oracle-specific is exercised on events
Debezium really wrote: the event envelope and flat rows, masking and hashing, heartbeats and the heartbeat action
query, freshness and a silent stop, the streaming and snapshot metrics through the image's exporter rules,
incremental snapshots through the Kafka signal channel, offsets, restarts and the ephemeral destroy. The tests run
in file order on one pipeline of the ephemeral stage `ev` (its own broker and worker, so nothing here touches the
`it` stack of the other modules); the destroy runs last.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time

import pytest

from devtools.local.kafka_tools import kafka_admin
from devtools.local.processes import log_tail
from devtools.ops import OK, main
from devtools.standin.database import COLUMN_NAMES, HEARTBEAT_TABLE, slot_name
from devtools.standin.pipeline import StandinPipeline, standin_options
from tests.integration.connectors import wait_for
from tests.integration.events import end_offsets, read_topic, rows_by_id
from tests.integration.standin_health import health_run, standin_aws
from wms_connector.connect_client import ConnectClient
from wms_connector.connector.source import STAGE_HEADER
from wms_connector.health import metric_names as m
from wms_connector.providers.topic_cleanup import StageTopicCleanupProvider
from wms_connector.providers.transport import direct_spec
from wms_connector.stages import Stage
from wms_connector.topic_admin import is_stage_topic

pytestmark = pytest.mark.integration

STAGE = Stage.parse("ev")
SALT = "ev-salt-Zq8RkW3nT5vY7pLx"
MASKED = "WMS.PLAN_BASE_WVR_TBL.CREATED_BY"
HASHED = "WMS.PLAN_BASE_WVR_TBL.APPROVER_EMAIL"
HEARTBEAT_INTERVAL_MS = 1000
OPTIONS = {
    "heartbeat_interval_ms": HEARTBEAT_INTERVAL_MS,
    "mask_columns": (MASKED,),
    "hash_columns": (HASHED,),
    "hash_salt": SALT,
}
# Rows in the database before the connector first starts: its initial snapshot reads them.
SNAPSHOT_ROWS = 50


def topic_of(table: str) -> str:
    return f"{STAGE.topic_namespace}aws.wms.cdc.{table}"


def insert(pipeline: StandinPipeline, table: str, ids, *, status: str = "NEW") -> None:
    schema, name = table.split(".")
    with pipeline.database.connect() as db, db.cursor() as cursor:
        cursor.executemany(
            f'INSERT INTO "{schema}"."{name}" ("WVR_ID", "PLAN_ID", "STATUS", "CREATED_BY", "APPROVER_EMAIL", "QTY") '  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(i, f"P{i}", status, f"user-{i}", f"approver-{i % 7}@example.com", i) for i in ids],
        )


def execute(pipeline: StandinPipeline, statement: str, *params) -> None:
    with pipeline.database.connect() as db:
        db.execute(statement, params or None)


def ops(pipeline: StandinPipeline, *argv: str) -> tuple[int, str, str]:
    stack = pipeline.stack
    out, err = io.StringIO(), io.StringIO()
    target = [
        "--stage", STAGE.name, "--connect-url", stack.connect_url, "--bootstrap-servers", stack.bootstrap_servers,
        "--jmx-url", stack.jmx_url, "--timeout", "60",
    ]
    code = main([*target, *argv], environ={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ops_json(pipeline: StandinPipeline, *argv: str) -> dict:
    code, out, err = ops(pipeline, "--json", *argv)
    assert out, err
    return {"code": code, **json.loads(out)}


def client(pipeline: StandinPipeline) -> ConnectClient:
    return pipeline.stack.connect_client(deadline=60.0)


def connector_state(pipeline: StandinPipeline) -> str | None:
    status = client(pipeline).status(pipeline.stack.topics.connector_name)
    if status is None:
        return None
    return status.state + "/" + ",".join(task.state for task in status.tasks)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    pipeline = StandinPipeline.on_free_ports(tmp_path_factory.mktemp("real-events"), STAGE)
    try:
        pipeline.start()
    except Exception as error:  # noqa: BLE001 - shown with the logs
        pipeline.stop()
        pytest.fail(f"The stand-in pipeline did not start: {error}\n{log_tail(pipeline.server.log_file)}", False)
    try:
        insert(pipeline, "WMS.PLAN_BASE_WVR_TBL", range(1, SNAPSHOT_ROWS + 1))
        insert(pipeline, "MMDL.PLAN_WVR_RVSN_TBL", range(1, SNAPSHOT_ROWS + 1))
        yield pipeline
    finally:
        pipeline.stop()
        pipeline.server.discard()


@pytest.fixture(scope="module")
def running(pipeline):
    """The stage's stand-in connector registered through the admin code and RUNNING."""
    result = pipeline.register(standin_options(**OPTIONS))
    assert result["state"] == "running", result
    return pipeline


@pytest.fixture
def aws(pipeline):
    with standin_aws(pipeline) as aws:
        yield aws


# ---------------------------------------------------------------- events


def test_initial_snapshot_then_streaming_changes_in_the_envelope_with_masked_and_hashed_columns(running):
    topic = topic_of("WMS.PLAN_BASE_WVR_TBL")
    snapshot = read_topic(running.stack.bootstrap_servers, topic,
                          lambda events: len(rows_by_id(events, "r")) == SNAPSHOT_ROWS, "the initial snapshot")
    assert {event.op for event in snapshot} == {"r"}
    # Every record names the stage whose connector wrote it (the health check tells a shared topic by it).
    assert {event.header(STAGE_HEADER) for event in snapshot} == {running.stack.stage.name}
    insert(running, "WMS.PLAN_BASE_WVR_TBL", [1001])
    execute(running, 'UPDATE "WMS"."PLAN_BASE_WVR_TBL" SET "STATUS" = %s WHERE "WVR_ID" = %s', "DONE", 1001)
    execute(running, 'DELETE FROM "WMS"."PLAN_BASE_WVR_TBL" WHERE "WVR_ID" = %s', 1001)
    events = read_topic(running.stack.bootstrap_servers, topic,
                        lambda events: [e.op for e in rows_by_id(events).get(1001, [])] == ["c", "u", "d"],
                        "insert, update and delete of row 1001")
    created, updated, deleted = rows_by_id(events)[1001]
    assert created.value["before"] is None and created.value["after"]["STATUS"] == "NEW"
    # The whole row before and after (REPLICA IDENTITY FULL, as Oracle's supplemental logging of all columns).
    assert updated.value["before"]["STATUS"] == "NEW" and updated.value["after"]["STATUS"] == "DONE"
    assert deleted.value["after"] is None and deleted.value["before"]["WVR_ID"] == 1001
    # Debezium's tombstone follows the delete (envelope format), keyed by the row's key.
    tombstones = [e for e in events if e.value is None and e.key == {"WVR_ID": 1001}]
    assert tombstones
    source = created.value["source"]
    assert (source["schema"], source["table"], source["connector"]) == ("WMS", "PLAN_BASE_WVR_TBL", "postgresql")
    assert source["name"] == running.stack.topics.topic_prefix
    assert set(created.value["after"]) == set(COLUMN_NAMES)
    # Masked: asterisks of the stack's mask length. Hashed: the salted hash, the same for the same value (a consumer
    # can still join on it), never the value itself.
    for event in (*snapshot, created, updated):
        row = event.value["after"]
        assert row["CREATED_BY"] == "*" * 8
        assert len(row["APPROVER_EMAIL"]) == 64 and int(row["APPROVER_EMAIL"], 16) >= 0
        assert "@" not in row["APPROVER_EMAIL"]
    by_value = {}
    for event in snapshot:
        row = event.value["after"]
        by_value.setdefault(row["WVR_ID"] % 7, set()).add(row["APPROVER_EMAIL"])
    assert all(len(hashes) == 1 for hashes in by_value.values()) and len(by_value) == 7
    # Unsalted, the same value hashes differently: the salt is in the hash.
    plain = hashlib.sha256(b"approver-1@example.com").hexdigest()
    assert plain not in {h for hashes in by_value.values() for h in hashes}
    # The other snapshotted table arrived too; the untouched ones have no topic yet (nothing to say).
    rvsn = read_topic(running.stack.bootstrap_servers, topic_of("MMDL.PLAN_WVR_RVSN_TBL"),
                      lambda events: len(rows_by_id(events, "r")) == SNAPSHOT_ROWS, "the second table's snapshot")
    assert rvsn[0].value["after"]["CREATED_BY"] == "user-1"  # masking names its own table only


def test_flat_rows_after_switching_the_record_format(running):
    topic = topic_of("WMS.PLAN_BASE_WVR_TBL")
    before = end_offsets(running.stack.bootstrap_servers, [topic])[topic]
    result = running.register(standin_options(**OPTIONS, record_format="flat"))
    assert result["state"] == "running"
    insert(running, "WMS.PLAN_BASE_WVR_TBL", [2001])
    execute(running, 'UPDATE "WMS"."PLAN_BASE_WVR_TBL" SET "QTY" = 99 WHERE "WVR_ID" = %s', 2001)
    execute(running, 'DELETE FROM "WMS"."PLAN_BASE_WVR_TBL" WHERE "WVR_ID" = %s', 2001)
    events = read_topic(running.stack.bootstrap_servers, topic,
                        lambda events: len(rows_by_id(events).get(2001, [])) == 3, "flat rows of row 2001")
    created, updated, deleted = rows_by_id(events)[2001]
    assert all(e.offset >= before for e in (created, updated, deleted))
    assert (created.op, updated.op, deleted.op) == ("c", "u", "d")
    assert set(created.value) == {*COLUMN_NAMES, "__op", "__source_ts_ms", "__deleted"}
    assert updated.value["QTY"] == 99 and updated.value["__deleted"] == "false"
    # A delete is the row's last state marked deleted, with no tombstone after it.
    assert deleted.value["__deleted"] == "true" and deleted.value["QTY"] == 99
    assert not [e for e in events if e.offset > deleted.offset and e.value is None]
    assert created.value["CREATED_BY"] == "********" and len(created.value["APPROVER_EMAIL"]) == 64
    # Back to the envelope for the tests that follow.
    assert running.register(standin_options(**OPTIONS))["state"] == "running"


# ---------------------------------------------------------------- heartbeats, freshness, lag


def test_heartbeat_action_query_events_keep_the_health_checks_freshness_current(running, aws):
    topic = running.stack.topics.heartbeat_table_topic(HEARTBEAT_TABLE)
    events = read_topic(running.stack.bootstrap_servers, topic, lambda events: len(events) >= 3, "heartbeat rows")
    # The rows of this stage (in envelope or, from the flat test's minutes, flat form).
    assert {e.row["STAGE"] for e in events} == {"ev"}
    # Written by this stage's connector, stamped by the worker's producer (Debezium leaves a record's timestamp
    # to Connect): the clock freshness rests on.
    assert {(e.header(STAGE_HEADER), e.timestamp_type) for e in events} == {("ev", 0)}
    assert all(abs(e.timestamp - time.time() * 1000) < 600_000 for e in events[-3:])
    summary = health_run(running, aws)
    freshness = summary["metrics"][m.CAPTURE_FRESHNESS_MS]
    # A heartbeat commit every second: the newest is at most a few intervals old.
    assert 0 <= freshness < 10 * HEARTBEAT_INTERVAL_MS, summary["capture"]
    assert summary["metrics"][m.TOPICS_WRITTEN_BY_ANOTHER_STAGE] == 0
    assert summary["capture"]["topicsWrittenByStages"] == []
    # Debezium's own heartbeats (no row change) go to the heartbeat topic of the stage.
    heartbeats = read_topic(running.stack.bootstrap_servers, running.stack.topics.heartbeat_topic,
                            lambda events: len(events) >= 1, "Debezium heartbeats")
    assert heartbeats[0].key == {"serverName": running.stack.topics.topic_prefix}


def test_lag_and_connection_from_the_real_streaming_metrics_through_the_exporter(running, aws):
    insert(running, "MMDL.PLAN_BASE_WVR_TBL", [3001])
    read_topic(running.stack.bootstrap_servers, topic_of("MMDL.PLAN_BASE_WVR_TBL"),
               lambda events: 3001 in rows_by_id(events), "row 3001")
    # MilliSecondsBehindSource is -1 until the first event (StreamingMeter); after one it is a real lag.
    lag = wait_for("a streaming lag", lambda: (r := ops_json(running, "lag"))["result"].get("lag_ms") is not None
                   and r["result"]["lag_ms"] >= 0 and r, 30)
    assert lag["code"] == OK
    result = lag["result"]
    assert result["debezium_metrics_seen"] is True and result["connected"] is True
    assert 0 <= result["lag_ms"] < 60_000
    assert result["ms_since_last_event"] is not None
    summary = health_run(running, aws)
    metrics = summary["metrics"]
    assert metrics[m.SOURCE_CONNECTED] == 1
    assert 0 <= metrics[m.REPLICATION_LAG_MS] < 60_000
    assert metrics[m.DB_TCP_UNREACHABLE] == 0


# ---------------------------------------------------------------- signals


def test_ops_snapshot_runs_a_real_incremental_snapshot_with_progress_visible(running):
    tables = ["WMS.PLAN_BASE_WVR_TBL", "MMDL.PLAN_WVR_RVSN_TBL"]
    topics = [topic_of(t) for t in tables]
    start = end_offsets(running.stack.bootstrap_servers, topics)
    # The snapshot's chunk reads wait on a lock the test holds: it starts, and stays in progress while `ops lag`
    # looks, whatever the machine's speed.
    with running.database.connect() as locker:
        locker.autocommit = False
        locker.execute('LOCK TABLE "WMS"."PLAN_BASE_WVR_TBL", "MMDL"."PLAN_WVR_RVSN_TBL" IN ACCESS EXCLUSIVE MODE')
        code, out, err = ops(running, "snapshot", "--type", "incremental", *[a for t in tables for a in ("--table", t)])
        assert code == OK, err
        progress = wait_for(
            "ops lag showing the snapshot running",
            lambda: (r := ops_json(running, "lag")["result"]).get("snapshot_running") and r, 60,
        )
        assert progress["snapshot_tables_remaining"] == len(tables)
        code, text, _ = ops(running, "lag")
        assert "snapshot                    : running, 2 table(s) remaining" in text
        locker.rollback()
    for topic, table in zip(topics, tables, strict=True):
        events = read_topic(
            running.stack.bootstrap_servers, topic,
            lambda events, t=topic: len({e.row["WVR_ID"] for e in events if e.offset >= start[t] and e.op == "r"})
            >= SNAPSHOT_ROWS,
            f"the incremental snapshot of {table}",
        )
        assert all(e.value["source"]["snapshot"] == "incremental" for e in events if e.offset >= start[topic]
                   and e.op == "r")
    done = wait_for("the snapshot finished", lambda: (r := ops_json(running, "lag")["result"]).get(
        "snapshot_running") is False and r, 60)
    assert done["connected"] is True


# ---------------------------------------------------------------- restarts: nothing lost, nothing doubled


def test_no_event_lost_or_duplicated_across_a_worker_restart_and_a_connector_restart(running):
    table, topic = "WMS.PLAN_WVR_RVSN_TBL", topic_of("WMS.PLAN_WVR_RVSN_TBL")
    ids = list(range(10_000, 10_300))
    stop = threading.Event()

    def write() -> None:
        for chunk in range(0, len(ids), 10):
            insert(running, table, ids[chunk:chunk + 10])
            time.sleep(0.1)
        stop.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(0.5)
    running.stack.stop_worker()
    running.stack.start_worker()
    wait_for("RUNNING after the worker restart", lambda: connector_state(running) == "RUNNING/RUNNING", 90)
    client(running).restart(running.stack.topics.connector_name, include_tasks=True, only_failed=False)
    wait_for("RUNNING after the connector restart", lambda: connector_state(running) == "RUNNING/RUNNING", 90)
    writer.join(timeout=120)
    assert stop.is_set()
    events = read_topic(running.stack.bootstrap_servers, topic,
                        lambda events: set(ids) <= set(rows_by_id(events, "c")), "every inserted row")
    # Read to the end as it is now: a duplicate written after the last new row would show here.
    total = end_offsets(running.stack.bootstrap_servers, [topic])[topic]
    events = read_topic(running.stack.bootstrap_servers, topic, lambda events: len(events) >= total, "the topic's end")
    created = rows_by_id(events, "c")
    assert sorted(created) == ids
    assert [i for i, found in created.items() if len(found) != 1] == []


# ---------------------------------------------------------------- created stopped, offsets


def test_a_connector_created_stopped_emits_nothing_then_offsets_show_and_reset(running):
    name = running.stack.topics.connector_name
    connect = client(running)
    assert ops(running, "stop")[0] == OK
    assert ops(running, "offsets", "reset", "--yes")[0] == OK
    connect.delete(name)
    wait_for("connector deleted", lambda: connect.get_config(name) is None, 30)
    running.database.drop_stage(STAGE)
    running.database.provision_stage(STAGE)

    topics = [topic_of(t) for t in ("WMS.PLAN_BASE_WVR_TBL", "MMDL.PLAN_BASE_WVR_TBL")]
    heartbeat_topic = running.stack.topics.heartbeat_table_topic(HEARTBEAT_TABLE)
    assert running.register(standin_options(**OPTIONS), state="stopped")["state"] == "stopped"
    before = end_offsets(running.stack.bootstrap_servers, [*topics, heartbeat_topic])
    insert(running, "WMS.PLAN_BASE_WVR_TBL", [4001])
    # Several heartbeat intervals: a started connector would have written heartbeat rows and created its slot.
    time.sleep(5 * HEARTBEAT_INTERVAL_MS / 1000)
    assert connector_state(running) == "STOPPED/"
    assert end_offsets(running.stack.bootstrap_servers, [*topics, heartbeat_topic]) == before
    with running.database.connect() as db:
        assert db.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (slot_name(STAGE),)).fetchone() \
            is None
    code, out, _ = ops(running, "offsets")
    assert code == OK and "no source offsets" in out

    assert ops(running, "resume")[0] == OK
    topic = topics[0]
    read_topic(running.stack.bootstrap_servers, topic,
               lambda events: any(e.offset >= before[topic] and e.op == "r" and e.row["WVR_ID"] == 4001
                                  for e in events), "row 4001 in the first start's snapshot")
    # A stop commits the task's offset (Connect flushes it when the task stops; a running one waits for the
    # worker's offset.flush.interval.ms, a minute by default).
    assert ops(running, "stop")[0] == OK
    shown = wait_for("a committed offset", lambda: ops_json(running, "offsets")["result"]["offsets"], 60)
    assert shown[0]["partition"] == {"server": running.stack.topics.topic_prefix}
    assert {"lsn", "txId", "ts_usec"} <= set(shown[0]["offset"])

    # A reset makes the next start read the tables afresh (snapshot.mode initial).
    assert ops(running, "offsets", "reset", "--yes")[0] == OK
    assert ops_json(running, "offsets")["result"]["offsets"] == []
    resnapshot_from = end_offsets(running.stack.bootstrap_servers, [topic])[topic]
    assert ops(running, "resume")[0] == OK
    read_topic(running.stack.bootstrap_servers, topic,
               lambda events: len({e.row["WVR_ID"] for e in events if e.offset >= resnapshot_from and e.op == "r"})
               >= SNAPSHOT_ROWS, "the snapshot after the reset")


# ---------------------------------------------------------------- a stopped connector's hold on the log


def test_a_stopped_connector_holds_the_log_and_misses_nothing_written_meanwhile(running):
    """The replication slot keeps the WAL written while the connector is stopped, as Oracle must keep the archive
    logs a stopped connector has not read: on resume, every row written meanwhile arrives."""
    table, topic = "MMDL.PLAN_WVR_RVSN_TBL", topic_of("MMDL.PLAN_WVR_RVSN_TBL")
    wait_for("RUNNING", lambda: connector_state(running) == "RUNNING/RUNNING", 60)
    assert ops(running, "stop")[0] == OK
    held_before = running.database.slot_retained_wal_bytes(STAGE)
    assert held_before is not None
    ids = list(range(20_000, 20_200))
    insert(running, table, ids)
    held = running.database.slot_retained_wal_bytes(STAGE)
    # 200 rows of about 100 bytes each, in the WAL and held for the stopped reader.
    assert held >= held_before + 200 * 100, (held_before, held)
    assert connector_state(running) == "STOPPED/"
    assert ops(running, "resume")[0] == OK
    events = read_topic(running.stack.bootstrap_servers, topic,
                        lambda events: set(ids) <= set(rows_by_id(events, "c")), "the rows written while stopped")
    created = rows_by_id(events, "c")
    assert [i for i in ids if len(created[i]) != 1] == []


# ---------------------------------------------------------------- a silent stop


def test_a_silently_stopped_source_goes_stale_while_the_connector_stays_running(running, aws, record_property):
    wait_for("RUNNING", lambda: connector_state(running) == "RUNNING/RUNNING", 60)
    threshold_ms = 5 * HEARTBEAT_INTERVAL_MS
    fresh = wait_for("a fresh heartbeat", lambda: (s := health_run(running, aws))["metrics"].get(
        m.CAPTURE_FRESHNESS_MS, threshold_ms) < threshold_ms and s, 60)
    assert fresh["metrics"][m.SOURCE_CONNECTED] == 1
    running.server.freeze()
    stopped_at = time.time()
    try:
        runs = []

        def stale() -> dict | None:
            summary = health_run(running, aws)
            runs.append(summary)
            age = summary["metrics"].get(m.CAPTURE_FRESHNESS_MS)
            return summary if age is None or age > threshold_ms else None

        verdict = wait_for("a stale freshness", stale, 120, interval_s=1.0)
        detected_after_s = time.time() - stopped_at
        record_property("stale_after_s", round(detected_after_s, 1))
        record_property("runs_until_stale", len(runs))
        # The connector says all is well: only freshness tells.
        assert connector_state(running) == "RUNNING/RUNNING"
        assert verdict["connect"]["reachable"] is True
    finally:
        running.server.thaw()
    wait_for("fresh again after the database came back",
             lambda: health_run(running, aws)["metrics"].get(m.CAPTURE_FRESHNESS_MS, threshold_ms) < threshold_ms, 90,
             interval_s=1.0)


# ---------------------------------------------------------------- secrets, then the destroy (last)


def test_no_password_or_salt_in_any_log_record_or_topic_name(running):
    secrets = (running.database.cdc.password, running.server.superuser.password, SALT)
    logs = [running.stack.worker_log, running.stack.broker_log, running.server.log_file]
    for log in logs:
        text = log.read_text(errors="replace")
        assert not [s for s in secrets if s in text], log
    admin = kafka_admin(running.stack.bootstrap_servers)
    try:
        names = sorted(t for t in admin.list_topics() if is_stage_topic(STAGE, t))
    finally:
        admin.close()
    assert not [n for n in names if any(s in n for s in secrets)]
    for topic in names:
        total = end_offsets(running.stack.bootstrap_servers, [topic])[topic]
        events = read_topic(running.stack.bootstrap_servers, topic, lambda events, n=total: len(events) >= n, topic)
        raw = b"".join((e.raw or b"") for e in events)
        # The connector config is where the salt lives (Debezium names the hashing property after it), so Connect's
        # config topic holds it; no password is there (only its placeholder), and no record carries either.
        kept_out = secrets[:2] if topic == running.stack.topics.config_topic else secrets
        assert not [s for s in kept_out if s.encode() in raw], topic
    # The REST API shows the connector config with the password as its placeholder.
    config = client(running).get_config(running.stack.topics.connector_name)
    assert config["database.password"] == "${env:DB_PASSWORD}"


def test_the_ephemeral_destroy_removes_every_topic_debezium_created(running):
    stack = running.stack
    admin = kafka_admin(stack.bootstrap_servers)
    try:
        # What Debezium and Connect really made for this stage: data, both heartbeat topics, signals, internals.
        expected = {
            *(topic_of(t) for t in ("WMS.PLAN_BASE_WVR_TBL", "MMDL.PLAN_WVR_RVSN_TBL")),
            stack.topics.heartbeat_table_topic(HEARTBEAT_TABLE),
            stack.topics.heartbeat_topic,
            stack.topics.signal_topic,
            *stack.topics.connect_internal_topics,
        }
        wait_for("Debezium's topics", lambda: expected <= set(admin.list_topics()), 60)
        stack.stop_worker()  # the stack orders the cleanup after the workers are gone
        props = {"stage": STAGE.name,
                 "transport": direct_spec(stack.connect_url, STAGE, bootstrap_servers=stack.bootstrap_servers)}
        provider = StageTopicCleanupProvider()
        resource = provider.create(props)
        provider.delete(resource.id, resource.outs)
        wait_for("the stage's topics gone",
                 lambda: not {t for t in admin.list_topics() if t.startswith(STAGE.topic_namespace)}, 60)
    finally:
        admin.close()

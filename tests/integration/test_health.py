"""The health check against the real local Kafka + Kafka Connect + Debezium Oracle plugin, with moto for the AWS
APIs (ECS, DynamoDB, CloudWatch, Secrets Manager).

The connector registered here points at a closed loopback port for its database, so its task FAILS: exactly the
fault the health check exists to handle. Tests that stop the worker run last in this module.
"""

from __future__ import annotations

import subprocess

import pytest
from kafka import KafkaProducer
from moto import mock_aws

from devtools.connect_jars import CONNECT_IMAGE_DIR
from devtools.local.kafka_tools import register_unvalidated
from devtools.local.settings import free_ports
from tests.integration.connectors import FAILED_WITHIN_S, register_failing_connector, task_failures, wait_for
from tests.integration.standin_health import local_health_clients
from tests.unit.aws_fixtures import Clock, fake_credentials, health_check_aws
from wms_connector import worker_env
from wms_connector.connect_client import ConnectClient
from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.health import config as c
from wms_connector.health import metric_names as m
from wms_connector.health.checks.capture import check_capture_on_workers, http_fetch, parse_capture_metrics
from wms_connector.health.checks.connect import check_connect
from wms_connector.health.config import HealthConfig
from wms_connector.health.reconcile import Declared, declared_key
from wms_connector.health.runner import HealthRun

pytestmark = pytest.mark.integration

REGION = "us-east-1"
CLUSTER = SERVICE = "wms-connector-it"
TABLE = "wms-connector-it-health"
T0 = 1_800_000_000.0


def _failed(client: ConnectClient, name: str):
    status = client.status(name)
    if status and (status.state == "FAILED" or any(t.state == "FAILED" for t in status.tasks)):
        return status
    return None


@pytest.fixture
def failing_connector(local_stack) -> ConnectClient:
    """The stage's connector, registered (once) and FAILED: its task refuses one property at start (connectors.py)."""
    client = ConnectClient(local_stack.connect_url, request_timeout=5, deadline=60)
    name = local_stack.topics.connector_name
    register_failing_connector(local_stack, client)
    wait_for(f"connector {name} FAILED", lambda: _failed(client, name), FAILED_WITHIN_S)
    return client


@pytest.fixture
def aws(monkeypatch, local_stack):
    fake_credentials(monkeypatch, REGION)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    db = local_stack.settings.database_env
    # The same (unreachable) database the worker was given.
    db_info = {
        "host": db[worker_env.DB_HOST],
        "port": db[worker_env.DB_PORT],
        "user": db[worker_env.DB_USER],
        "password": db[worker_env.DB_PASSWORD],
    }
    with mock_aws():
        yield health_check_aws(CLUSTER, SERVICE, TABLE, "wms/it/dbInfo", db_info)


def _run(local_stack, aws, clock, lines=None, jmx_url: str | None = None, repair: bool = True) -> dict:
    config = HealthConfig.from_env(
        {
            c.REPAIR_DRIFT: str(repair).lower(),
            c.STAGE: local_stack.stage.name,
            c.CONNECT_URL: local_stack.connect_url,
            c.ECS_CLUSTER: CLUSTER,
            c.ECS_SERVICE: SERVICE,
            c.STATE_TABLE: TABLE,
            c.DB_SECRET_ARN: aws["secret_arn"],
            c.JMX_URL: jmx_url or local_stack.jmx_url,
            c.BOOTSTRAP_SERVERS: local_stack.bootstrap_servers,
            c.SECURITY_PROTOCOL: "PLAINTEXT",
        }
    )
    clients = local_health_clients(config, aws, clock, emit=(lines if lines is not None else []).append)
    return HealthRun(config, clients).run()


def test_failed_connector_is_detected_and_restarted_through_the_rest_api(local_stack, failing_connector, aws):
    failures_before = task_failures(local_stack)
    lines: list[str] = []
    summary = _run(local_stack, aws, Clock(T0), lines)

    metrics = summary["metrics"]
    assert summary["connect"]["reachable"] is True and summary["connect"]["missing"] is False
    assert metrics[m.CONNECTOR_STATE_FAILED] + metrics[m.CONNECTOR_TASK_FAILED] >= 1
    assert metrics[m.CONNECT_API_UNREACHABLE] == 0
    assert metrics[m.DB_TCP_UNREACHABLE] == 1  # the same closed port the worker was given
    assert summary["restart"]["action"] == "connect_restart"
    assert summary["restart"]["granted"] is True and summary["restart"]["done"] is True
    # The worker really restarted the failed task: it ran again and failed anew (a failure logged after the
    # run), which a restart that did nothing would not show, though the status would read FAILED all along.
    wait_for("the restarted task to fail anew", lambda: task_failures(local_stack) > failures_before, FAILED_WITHIN_S)
    assert wait_for("connector FAILED again", lambda: _failed(failing_connector, "wms-oracle-cdc"), FAILED_WITHIN_S)
    assert local_stack.settings.database_env[worker_env.DB_PASSWORD] not in lines[0]


def test_a_connector_that_is_not_registered_is_missing(local_stack, failing_connector):
    found = check_connect(failing_connector, "wms-oracle-cdc-not-registered")
    assert (found.reachable, found.missing, found.status, found.error) == (True, True, None, None)
    present = check_connect(failing_connector, local_stack.topics.connector_name)
    assert present.missing is False and present.status.name == local_stack.topics.connector_name


def test_backoff_and_budget_hold_restarts_that_do_not_help_and_a_slot_frees_after_the_window(
    local_stack, failing_connector, aws
):
    clock = Clock(T0)
    decisions: list[tuple[int, bool, bool]] = []  # (minute, granted, held by the backoff)
    # A run every 5 minutes. Right after a restart Connect still shows the old failure for a moment: before the
    # next run, wait until the restarted task has failed anew (the worker logs each failure), so each run judges a
    # settled state. Only runs that needed a restart reach a decision.
    failures_needed = 0
    for run in range(11):
        clock.now = T0 + run * 5 * 60
        wait_for(
            "the restarted task to fail again",
            lambda needed=failures_needed: task_failures(local_stack) >= needed,
            FAILED_WITHIN_S,
        )
        wait_for("connector FAILED", lambda: _failed(failing_connector, "wms-oracle-cdc"), FAILED_WITHIN_S)
        failures_before = task_failures(local_stack)
        summary = _run(local_stack, aws, clock)
        restart = summary["restart"]
        if restart["granted"] is not None:
            decisions.append((run * 5, restart["granted"], restart["backoffUntilMs"] is not None))
        if restart["granted"]:
            failures_needed = failures_before + 1
        if len(decisions) == 5:
            break
    # Restarts at 0 and 5 did not help: the next waits 10 minutes from 5 (held at 10, granted at 15); then the
    # budget (3 in the window) is spent.
    assert decisions == [(0, True, False), (5, True, False), (10, False, True), (15, True, False), (20, False, False)]
    assert summary["metrics"][m.AUTO_RESTART_BUDGET_EXCEEDED] == 1
    assert summary["restart"]["done"] is False
    # Each restart was judged on the next run: the task failed again every time.
    assert "helped" not in [
        r["outcome"] for r in aws["table"].get_item(Key={"connectorId": "it:wms-oracle-cdc"})["Item"]["restarts"]
    ]
    # The first restart's slot frees an hour (plus the clock-skew allowance) after it was made.
    clock.now = T0 + 70 * 60 + 1
    wait_for("connector FAILED", lambda: _failed(failing_connector, "wms-oracle-cdc"), FAILED_WITHIN_S)
    again = _run(local_stack, aws, clock)
    assert again["restart"]["granted"] is True and again["restart"]["done"] is True


def test_topic_offsets_stall_and_advance_with_the_real_broker(local_stack, failing_connector, aws):
    clock = Clock(T0)
    first = _run(local_stack, aws, clock)
    assert m.TOPIC_OFFSETS_STALLED not in first["metrics"]  # nothing to compare with yet
    clock.now += 600
    # The connector never reached the database, so nothing was written: capture has stopped.
    second = _run(local_stack, aws, clock)
    assert second["metrics"].get(m.TOPIC_OFFSETS_STALLED) == 1, second["errors"]

    topics = local_stack.topics
    producer = KafkaProducer(bootstrap_servers=local_stack.bootstrap_servers)
    try:
        for _ in range(3):
            producer.send(topics.data_topics[0], b"{}")
        producer.send(topics.heartbeat_topic, b"{}")
        producer.flush(timeout=30)
    finally:
        producer.close()
    clock.now += 600
    moved = _run(local_stack, aws, clock)["metrics"]
    assert moved[m.TOPIC_OFFSETS_STALLED] == 0
    assert moved[m.EVENTS_CAPTURED] == 3


# Debezium registers its streaming and snapshot MBeans only once its task has connected to Oracle, which never
# happens here. This JVM registers MBeans under Debezium's own names, implementing Debezium's own MXBean
# interfaces (from the pinned plugin jars), and runs the real exporter agent with the real rules file, so the
# names the health check parses are exactly the ones production scrapes. Only the values are chosen.
METRICS_HOST_JAVA = """
import java.lang.management.ManagementFactory;
import java.lang.reflect.Array;
import java.lang.reflect.Proxy;
import java.util.*;
import javax.management.ObjectName;
import javax.management.StandardMBean;

public class DebeziumMetricsHost {
    public static void main(String[] args) throws Exception {
        register("io.debezium.connector.oracle.logminer.LogMinerStreamingChangeEventSourceMetricsMXBean",
                 "streaming", args[0],
                 Map.of("MilliSecondsBehindSource", 4321L, "Connected", true, "MilliSecondsSinceLastEvent", 765L));
        register("io.debezium.pipeline.metrics.SnapshotChangeEventSourceMetricsMXBean", "snapshot", args[0],
                 Map.of("SnapshotRunning", true, "RemainingTableCount", 3, "TotalTableCount", 4));
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static void register(String iface, String context, String server, Map<String, Object> values) throws Exception {
        Class type = Class.forName(iface);
        Object bean = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, a) -> {
            Object value = values.get(method.getName().replaceFirst("^(get|is)", ""));
            if (value != null) return value;
            Class<?> r = method.getReturnType();
            if (r == long.class) return 0L;
            if (r == int.class) return 0;
            if (r == boolean.class) return false;
            if (r == double.class) return 0d;
            if (r == String.class) return "";
            if (r.isArray()) return Array.newInstance(r.getComponentType(), 0);
            if (Map.class.isAssignableFrom(r)) return Map.of();
            if (Set.class.isAssignableFrom(r)) return Set.of();
            if (List.class.isAssignableFrom(r)) return List.of();
            if (method.getName().equals("hashCode")) return 0;
            if (method.getName().equals("equals")) return false;
            if (method.getName().equals("toString")) return iface;
            return null;
        });
        ObjectName name = new ObjectName(
            "debezium.oracle:type=connector-metrics,context=" + context + ",server=" + server);
        ManagementFactory.getPlatformMBeanServer().registerMBean(new StandardMBean(bean, type, true), name);
    }
}
"""


@pytest.fixture
def debezium_exporter(local_stack, tmp_path):
    """URL of the real JMX exporter agent serving Debezium-named MBeans through connect-image/jmx-exporter.yml."""
    source = tmp_path / "DebeziumMetricsHost.java"
    source.write_text(METRICS_HOST_JAVA)
    agent = next((local_stack.jars_dir / "jmx-exporter").glob("jmx_prometheus_javaagent-*.jar"))
    plugin = local_stack.jars_dir / "plugins" / "debezium-connector-oracle"
    port = free_ports(1)[0]
    process = subprocess.Popen(
        [
            "java",
            f"-javaagent:{agent}=127.0.0.1:{port}:{CONNECT_IMAGE_DIR / 'jmx-exporter.yml'}",
            "-cp",
            f"{plugin}/*",
            str(source),
            local_stack.topics.topic_prefix,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    fetch = http_fetch(timeout=2)

    def serving() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"Debezium metrics host exited: {process.stdout.read()}")
        try:
            return "debezium_oracle_" in fetch(url)
        except Exception:
            return False

    try:
        wait_for("the JMX exporter serving Debezium metrics", serving, 60, interval_s=0.5)
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)


def test_lag_and_connected_parsed_from_the_real_jmx_exporter(local_stack, debezium_exporter):
    text = http_fetch()(debezium_exporter)
    found = parse_capture_metrics(text, server=local_stack.topics.topic_prefix)
    assert found.lag_ms == 4321.0
    assert found.connected is True
    assert found.ms_since_last_event == 765.0
    assert found.snapshot_running is True
    assert found.snapshot_tables_remaining == 3.0
    # Another connector's metrics (another server) are not taken for this one's.
    assert parse_capture_metrics(text, server="other.aws.wms.cdc").lag_ms is None


def test_the_worker_with_debezium_metrics_is_chosen(local_stack, failing_connector, debezium_exporter):
    # The real worker exports Connect's metrics (its task failed before Debezium registered any); a standby that
    # does not answer is skipped; the worker whose task streams provides the figures.
    urls = ["http://127.0.0.1:1/metrics", local_stack.jmx_url, debezium_exporter]
    worker_text = http_fetch()(local_stack.jmx_url)
    assert "kafka_connect_worker_connector_failed_task_count" in worker_text
    assert not parse_capture_metrics(worker_text, local_stack.topics.topic_prefix).debezium_seen
    chosen = check_capture_on_workers(http_fetch(), urls, local_stack.topics.topic_prefix)
    assert (chosen.lag_ms, chosen.connected) == (4321.0, True)


def test_capture_metrics_reach_the_published_metrics(local_stack, failing_connector, aws, debezium_exporter):
    summary = _run(local_stack, aws, Clock(T0), jmx_url=debezium_exporter)
    metrics = summary["metrics"]
    assert metrics[m.REPLICATION_LAG_MS] == 4321.0
    assert metrics[m.SOURCE_CONNECTED] == 1
    assert metrics[m.MS_SINCE_LAST_EVENT] == 765.0
    assert metrics[m.SNAPSHOT_RUNNING] == 1 and metrics[m.SNAPSHOT_TABLES_REMAINING] == 3.0


def test_paused_connector_counts_only_after_three_runs_and_is_not_restarted(local_stack, failing_connector, aws):
    name = local_stack.topics.connector_name
    failing_connector.pause(name)
    try:
        wait_for("connector PAUSED", lambda: failing_connector.status(name).state == "PAUSED", 60)
        clock, flagged, restarts = Clock(T0), [], []
        for run in range(4):
            clock.now = T0 + run * 600
            summary = _run(local_stack, aws, clock)
            flagged.append(summary["metrics"][m.CONNECTOR_NOT_RUNNING])
            restarts.append(summary["restart"]["needed"])
    finally:
        failing_connector.resume(name)
    assert flagged == [0, 0, 1, 1]
    assert restarts == [None, None, None, None]


def _declare(aws, local_stack, state: str) -> dict[str, str]:
    """What the stack writes for reconciliation: the stage's connector as declared, tolerating its unreachable
    database (as the local stack does)."""
    config = build_connector_config(
        local_stack.stage, ConnectorOptions(), KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    )
    key = declared_key(local_stack.stage.name, local_stack.topics.connector_name)
    aws["table"].put_item(Item=Declared(config, state, allow_unreachable_database=True).to_item(key))
    return config


def test_a_deleted_connector_is_registered_again_in_its_declared_state(local_stack, failing_connector, aws):
    name = local_stack.topics.connector_name
    config = _declare(aws, local_stack, "stopped")  # declared stopped: it comes back without ever running
    failing_connector.delete(name)
    wait_for("connector deleted", lambda: failing_connector.get_config(name) is None, 30)
    clock = Clock(T0)
    summary = _run(local_stack, aws, clock)
    reconcile = summary["reconcile"]
    assert reconcile["declared"] is True and reconcile["drift"]["missing"] is True
    assert reconcile["repaired"] == ["register"] and reconcile["error"] is None and reconcile["granted"] is True
    metrics = summary["metrics"]
    assert metrics[m.CONNECTOR_REPAIRED] == 1 and metrics[m.CONNECTOR_MISSING] == 0 and metrics[m.CONNECTOR_DRIFT] == 0
    assert failing_connector.get_config(name) == {**config, "name": name}
    wait_for("connector STOPPED", lambda: (s := failing_connector.status(name)) and s.state == "STOPPED", 60)
    # The next run finds it as declared and the repair helped.
    clock.now += 600
    again = _run(local_stack, aws, clock)
    assert again["reconcile"]["drift"] is None and again["reconcile"]["repaired"] == []
    assert again["restart"]["previousOutcome"] == "helped"


def test_a_drifted_config_and_state_are_put_back_and_repair_off_only_reports(local_stack, failing_connector, aws):
    name = local_stack.topics.connector_name
    config = _declare(aws, local_stack, "running")
    # Outside Pulumi: a key changed (unvalidated, no Oracle here) and the connector paused.
    register_unvalidated(local_stack, name, {**config, "heartbeat.interval.ms": "12345"})
    wait_for("the changed config", lambda: failing_connector.get_config(name)["heartbeat.interval.ms"] == "12345", 30)
    failing_connector.pause(name)
    wait_for("connector PAUSED", lambda: failing_connector.status(name).state == "PAUSED", 60)
    clock = Clock(T0)

    reported = _run(local_stack, aws, clock, repair=False)
    assert reported["reconcile"]["drift"] == {
        "missing": False,
        "configKeys": ["heartbeat.interval.ms"],
        "state": {"live": "PAUSED", "declared": "RUNNING"},
    }
    assert reported["reconcile"]["repaired"] == [] and reported["reconcile"]["repair"] is False
    assert reported["metrics"][m.CONNECTOR_DRIFT] == 1 and reported["metrics"][m.CONNECTOR_REPAIRED] == 0
    assert failing_connector.status(name).state == "PAUSED"

    clock.now += 600
    repaired = _run(local_stack, aws, clock)
    assert repaired["reconcile"]["repaired"] == ["apply_config", "set_state"], repaired["reconcile"]
    assert repaired["metrics"][m.CONNECTOR_DRIFT] == 0 and repaired["metrics"][m.CONNECTOR_REPAIRED] == 1
    wait_for("the declared config", lambda: failing_connector.get_config(name)["heartbeat.interval.ms"] == "60000", 30)
    wait_for("connector RUNNING", lambda: failing_connector.status(name).state == "RUNNING", 60)


def test_without_a_declared_connector_nothing_is_compared(local_stack, failing_connector, aws):
    summary = _run(local_stack, aws, Clock(T0))
    assert summary["reconcile"] == {
        "declared": False, "repair": True, "drift": None, "granted": None, "repaired": [], "error": None,
    }


def test_connect_stopped_is_api_unreachable_and_redeploys(local_stack, failing_connector, aws):
    before = [
        d["id"] for d in aws["ecs"].describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]
    ]
    local_stack.stop_worker()
    try:
        summary = _run(local_stack, aws, Clock(T0))
        assert check_connect(ConnectClient(local_stack.connect_url, deadline=1), "wms-oracle-cdc").reachable is False
    finally:
        local_stack.start_worker()
    assert summary["metrics"][m.CONNECT_API_UNREACHABLE] == 1
    assert summary["problems"][0] == m.CONNECT_API_UNREACHABLE
    assert summary["restart"]["action"] == "ecs_redeploy" and summary["restart"]["done"] is True
    after = aws["ecs"].describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]
    assert [d["id"] for d in after] != before

"""The Connect runtime against a real local Kafka (KRaft) + Kafka Connect worker with the real Debezium plugin."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from wms_connector import worker_env
from wms_connector.connect_jars import Manifest
from wms_connector.local_stack import ORACLE_CONNECTOR_CLASS, LocalStack, http_json
from wms_connector.topics import CAPTURED_SCHEMAS, CAPTURED_TABLES

pytestmark = pytest.mark.integration

# Distinct from the stage's real connector name so other test modules sharing the session stack are unaffected.
REGISTERED_CONNECTOR = "wms-oracle-cdc-runtime-it"


def oracle_connector_config(stack: LocalStack) -> dict[str, str]:
    """A full Debezium Oracle config for the stack's stage; credentials only as ${env:...} placeholders."""
    topics = stack.topics
    return {
        "connector.class": ORACLE_CONNECTOR_CLASS,
        "tasks.max": "1",
        "database.hostname": worker_env.placeholder(worker_env.DB_HOST),
        "database.port": worker_env.placeholder(worker_env.DB_PORT),
        "database.dbname": worker_env.placeholder(worker_env.DB_NAME),
        "database.user": worker_env.placeholder(worker_env.DB_USER),
        "database.password": worker_env.placeholder(worker_env.DB_PASSWORD),
        "topic.prefix": topics.topic_prefix,
        "schema.include.list": ",".join(CAPTURED_SCHEMAS),
        "table.include.list": ",".join(f"{schema}.{table}" for schema, table in CAPTURED_TABLES),
        "schema.history.internal.kafka.topic": topics.schema_history_topic,
        "schema.history.internal.kafka.bootstrap.servers": stack.bootstrap_servers,
        "topic.heartbeat.prefix": topics.heartbeat_prefix,
        "heartbeat.interval.ms": "60000",
        "snapshot.mode": "initial",
    }


def _request(method: str, url: str, body: dict | None = None, timeout_s: float = 60.0) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - loopback URL
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - loopback test URL
        return json.load(response)


def _poll(what: str, probe, timeout_s: float = 60.0):
    """probe() until it returns something truthy; HTTP errors while the worker rebalances count as 'not yet'."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (urllib.error.URLError, OSError, ValueError) as error:
            last = error
        time.sleep(0.5)
    pytest.fail(f"{what}: not within {timeout_s:.0f} s (last: {last})")


def _metric_families(stack: LocalStack) -> dict[str, list]:
    with urllib.request.urlopen(stack.jmx_url, timeout=10) as response:  # noqa: S310 - loopback test URL
        text = response.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


@pytest.fixture(scope="module")
def registered_connector(local_stack: LocalStack) -> str:
    """The stage's Oracle connector, registered; its task fails because the database port is closed."""
    local_stack.register_unvalidated(REGISTERED_CONNECTOR, oracle_connector_config(local_stack))

    def task_failed() -> bool:
        status = http_json(f"{local_stack.connect_url}/connectors/{REGISTERED_CONNECTOR}/status")
        return any(task["state"] == "FAILED" for task in status.get("tasks", []))

    _poll("the registered connector's task to fail on the closed database port", task_failed)
    return REGISTERED_CONNECTOR


def test_worker_lists_debezium_oracle_at_the_pinned_version(local_stack: LocalStack):
    manifest = Manifest()
    root = http_json(f"{local_stack.connect_url}/")
    assert root["version"] == manifest.kafka_version
    plugins = http_json(f"{local_stack.connect_url}/connector-plugins")
    oracle = [plugin for plugin in plugins if plugin["class"] == ORACLE_CONNECTOR_CLASS]
    assert oracle == [{"class": ORACLE_CONNECTOR_CLASS, "type": "source", "version": manifest.debezium_version}]


def test_validate_full_config_reports_only_the_unreachable_database(local_stack: LocalStack):
    config = {**oracle_connector_config(local_stack), "name": local_stack.topics.connector_name}
    log_size = local_stack.worker_log.stat().st_size
    result = _request(
        "PUT", f"{local_stack.connect_url}/connector-plugins/{ORACLE_CONNECTOR_CLASS}/config/validate", config
    )
    values = [entry["value"] for entry in result["configs"]]
    errors = {value["name"]: value["errors"] for value in values if value["errors"]}
    assert result["error_count"] == 1, errors
    # Debezium reports the failed connection on the host setting ...
    assert list(errors) == ["database.hostname"]
    assert errors["database.hostname"][0].startswith("Unable to connect")
    # ... and the driver's cause in the worker log names the host and the (closed) port it tried.
    db_host, db_port = local_stack.settings.database_env["DB_HOST"], local_stack.settings.database_env["DB_PORT"]
    with local_stack.worker_log.open() as log:
        log.seek(log_size)
        new_lines = log.read()
    assert "Connection refused" in new_lines
    assert f"{db_host} {db_port} " in new_lines
    # The placeholder was resolved for the check but no credential comes back.
    assert local_stack.settings.database_env["DB_PASSWORD"] not in json.dumps(result)


def test_internal_topics_exist_with_the_configured_names_and_partitions(local_stack: LocalStack):
    topics = local_stack.topics
    admin = local_stack.kafka_admin()
    try:
        existing = set(admin.list_topics())
        assert set(topics.connect_internal_topics) <= existing, existing
        described = {
            t["name"]: len(t["partitions"]) for t in admin.describe_topics(list(topics.connect_internal_topics))
        }
    finally:
        admin.close()
    assert described == {topics.config_topic: 1, topics.offsets_topic: 5, topics.status_topic: 1}
    assert all(name.startswith("it.mgmt.connect.wms-connector-it.") for name in topics.connect_internal_topics)


def test_jmx_exporter_serves_connect_worker_connector_and_task_metrics(
    local_stack: LocalStack, registered_connector: str
):
    families = _metric_families(local_stack)
    assert "kafka_connect_worker_connector_count" in families
    assert "kafka_connect_worker_rebalance_completed_rebalances" in families
    statuses = {
        (s.labels["connector"], s.labels["status"]) for s in families["kafka_connect_connector_status"] if s.value == 1
    }
    assert (registered_connector, "running") in statuses
    task_statuses = {
        (s.labels["connector"], s.labels["task"], s.labels["status"])
        for s in families["kafka_connect_connector_task_status"]
    }
    assert (registered_connector, "0", "failed") in task_statuses
    failed = families["kafka_connect_worker_connector_failed_task_count"]
    failed_counts = {sample.labels["connector"]: sample.value for sample in failed}
    assert failed_counts[registered_connector] == 1
    assert families["jvm_memory_heap_max_bytes"][0].value > 0


# Debezium registers its Oracle metrics beans only once its task has connected to Oracle, which cannot happen
# here. This JVM registers beans under Debezium's exact names so the real agent with the real rules can show
# the families the dashboards and the lag check read.
DEBEZIUM_BEANS_JAVA = """
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;

public class DebeziumBeans {
    public interface StreamingMXBean {
        long getMilliSecondsBehindSource();
        boolean getConnected();
        long getOldestScnAgeInMilliseconds();
    }
    public interface SnapshotMXBean {
        int getRemainingTableCount();
    }
    public static class Streaming implements StreamingMXBean {
        public long getMilliSecondsBehindSource() { return 1234L; }
        public boolean getConnected() { return true; }
        public long getOldestScnAgeInMilliseconds() { return 42L; }
    }
    public static class Snapshot implements SnapshotMXBean {
        public int getRemainingTableCount() { return 3; }
    }
    public static void main(String[] args) throws Exception {
        String name = "debezium.oracle:type=connector-metrics,context=%s,server=" + args[0];
        var server = ManagementFactory.getPlatformMBeanServer();
        server.registerMBean(new Streaming(), new ObjectName(String.format(name, "streaming")));
        server.registerMBean(new Snapshot(), new ObjectName(String.format(name, "snapshot")));
        System.out.println("registered");
        Thread.sleep(120_000L);
    }
}
"""


def test_jmx_exporter_rules_serve_debezium_oracle_families(local_stack: LocalStack, tmp_path):
    import subprocess

    from wms_connector.connect_jars import CONNECT_IMAGE_DIR
    from wms_connector.local_stack import free_ports

    source = tmp_path / "DebeziumBeans.java"
    source.write_text(DEBEZIUM_BEANS_JAVA)
    agent = next((local_stack.jars_dir / "jmx-exporter").glob("jmx_prometheus_javaagent-*.jar"))
    port = free_ports(1)[0]
    server = local_stack.topics.topic_prefix
    command = [
        "java", "-Xmx64m", f"-javaagent:{agent}=127.0.0.1:{port}:{CONNECT_IMAGE_DIR / 'jmx-exporter.yml'}",
        str(source), server,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout.readline().strip() == "registered"

        def families():
            url = f"http://127.0.0.1:{port}/metrics"
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback test URL
                parsed = text_string_to_metric_families(response.read().decode())
                return {family.name: family.samples for family in parsed}

        found = _poll("the stand-in Debezium beans on the exporter", families, timeout_s=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    lag = found["debezium_oracle_millisecondsbehindsource"]
    assert [(s.labels, s.value) for s in lag] == [({"context": "streaming", "server": server}, 1234.0)]
    assert found["debezium_oracle_connected"][0].value == 1.0
    assert found["debezium_oracle_oldestscnageinmilliseconds"][0].value == 42.0
    remaining = found["debezium_oracle_remainingtablecount"]
    assert [(s.labels, s.value) for s in remaining] == [({"context": "snapshot", "server": server}, 3.0)]


def test_worker_restart_keeps_a_registered_connectors_config(local_stack: LocalStack, registered_connector: str):
    url = f"{local_stack.connect_url}/connectors/{registered_connector}/config"
    before = http_json(url)
    assert before["database.password"] == worker_env.placeholder(worker_env.DB_PASSWORD)

    local_stack.stop_worker()
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        http_json(url, timeout_s=2.0)
    local_stack.start_worker()

    after = _poll("the connector config after the restart", lambda: http_json(url))
    assert after == before


def test_up_on_a_running_stack_reuses_it_and_runs_the_steps_again(local_stack):
    from wms_connector.local_stack import up

    seen = []
    stack = up(local_stack.settings, after_ready=[lambda running: seen.append(running.connect_url)])
    assert seen == [local_stack.connect_url]
    assert stack.worker.pid == local_stack.worker.pid and stack.broker.pid == local_stack.broker.pid

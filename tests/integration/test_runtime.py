"""The Connect runtime against a real local Kafka (KRaft) + Kafka Connect worker with the real Debezium plugin."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from components.log_filters import LOG_FILTERS
from devtools.connect_jars import CONNECT_IMAGE_DIR, Manifest
from devtools.local.kafka_tools import kafka_admin, register_unvalidated
from devtools.local.settings import free_ports
from devtools.local.stack import ORACLE_CONNECTOR_CLASS, LocalStack
from tests.integration.connect_http import http_json
from tests.log_patterns import matches
from wms_connector import worker_env
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.health.checks.capture import (
    STREAMING_ATTRIBUTES,
    CaptureFindings,
    http_fetch,
    not_started,
    parse_capture_metrics,
)
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.registration import PROVIDER_REDACTED
from wms_connector.task_cause import log_records
from wms_connector.topics import CAPTURED_TABLES

pytestmark = pytest.mark.integration

# Distinct from the stage's real connector name so other test modules sharing the session stack are unaffected.
REGISTERED_CONNECTOR = "wms-oracle-cdc-runtime-it"


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


def _validate(stack: LocalStack, overrides: dict[str, str] | None = None) -> tuple[dict[str, list[str]], str]:
    """Validate the stage's connector config (with overrides) on the worker: (errors by property, raw answer)."""
    config = {**stack.connector_config(), **(overrides or {})}
    result = _request("PUT", f"{stack.connect_url}/connector-plugins/{ORACLE_CONNECTOR_CLASS}/config/validate", config)
    # Connect 4 lists some definitions without a value (keys the config does not set and no recommender fills).
    values = [entry["value"] for entry in result["configs"] if entry.get("value")]
    errors = {value["name"]: value["errors"] for value in values if value["errors"]}
    assert result["error_count"] == sum(len(messages) for messages in errors.values())
    return errors, json.dumps(result)


def _metric_families(stack: LocalStack) -> dict[str, list]:
    with urllib.request.urlopen(stack.jmx_url, timeout=10) as response:  # noqa: S310 - loopback test URL
        text = response.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


@pytest.fixture(scope="module")
def registered_connector(local_stack: LocalStack) -> str:
    """The stage's Oracle connector, registered; the database port is closed, so Debezium 3.6 retries its start
    with the task RUNNING (BaseSourceTask.start logs the retriable failure and retries from poll())."""
    register_unvalidated(local_stack, REGISTERED_CONNECTOR, local_stack.connector_config())
    context = f"[{REGISTERED_CONNECTOR}|task-0]"

    def retrying() -> bool:
        status = http_json(f"{local_stack.connect_url}/connectors/{REGISTERED_CONNECTOR}/status")
        running = [task["state"] for task in status.get("tasks", [])] == ["RUNNING"]
        log = local_stack.worker_log.read_text(errors="replace")
        return running and any(
            context in line and "Failed to start connector, will re-attempt during polling." in line
            for line in log.splitlines()
        )

    _poll("the registered connector's task to retry its start on the closed database port", retrying)
    return REGISTERED_CONNECTOR


def test_worker_lists_debezium_oracle_at_the_pinned_version(local_stack: LocalStack):
    manifest = Manifest()
    root = http_json(f"{local_stack.connect_url}/")
    assert root["version"] == manifest.kafka_version
    plugins = http_json(f"{local_stack.connect_url}/connector-plugins")
    oracle = [plugin for plugin in plugins if plugin["class"] == ORACLE_CONNECTOR_CLASS]
    assert oracle == [{"class": ORACLE_CONNECTOR_CLASS, "type": "source", "version": manifest.debezium_version}]


def test_validate_full_config_reports_only_the_unreachable_database(local_stack: LocalStack):
    config = local_stack.connector_config()  # the stack's own config: all four tables, ${env:DB_*} credentials
    assert config["table.include.list"].count(",") == len(CAPTURED_TABLES) - 1
    assert config["database.password"] == worker_env.placeholder(worker_env.DB_PASSWORD)
    errors, answer = _validate(local_stack)
    # Debezium reports the failed connection on the host setting, and nothing else is wrong; Connect redacts the
    # error on a value from a config provider (AbstractHerder.redactResolvedValues).
    redacted = f"Invalid value for configuration 'database.hostname': {PROVIDER_REDACTED}"
    assert errors == {"database.hostname": [redacted]}
    # The same host given literally shows what the redaction hides: Debezium's failed connection check.
    literal_host = {"database.hostname": local_stack.settings.database_env[worker_env.DB_HOST]}
    unredacted, _ = _validate(local_stack, literal_host)
    assert list(unredacted) == ["database.hostname"] and unredacted["database.hostname"][0].startswith(
        "Unable to connect (primary): "
    ), unredacted
    # The placeholders were resolved for the check, but no database value comes back.
    database = local_stack.settings.database_env
    for variable in (worker_env.DB_NAME, worker_env.DB_USER, worker_env.DB_PASSWORD):
        assert database[variable] not in answer, variable


def test_env_provider_resolves_only_the_database_variables(local_stack: LocalStack):
    database_host = local_stack.settings.database_env[worker_env.DB_HOST]
    # A transform alias is echoed in Connect's error, which shows what a placeholder resolved to.
    errors, _ = _validate(local_stack, {"transforms": worker_env.placeholder(worker_env.DB_HOST)})
    assert f"transforms.{database_host}.type" in errors
    # PATH is in the worker's environment but not on the allowlist: it stays an unresolved placeholder.
    errors, answer = _validate(local_stack, {"transforms": worker_env.placeholder("PATH")})
    assert "transforms.${env:PATH}.type" in errors
    assert os.environ["PATH"] not in answer
    # Nor can a worker setting that holds an integer stand in for the database port.
    errors, _ = _validate(local_stack, {"database.port": worker_env.placeholder(worker_env.REST_PORT)})
    assert errors["database.port"][0] == "The 'database.port' value is invalid: An integer is expected"


def test_internal_topics_exist_with_the_configured_names_and_partitions(local_stack: LocalStack):
    topics = local_stack.topics
    admin = kafka_admin(local_stack.bootstrap_servers)
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
    # Debezium retries the failed start itself: Connect counts the task running, not failed.
    assert (registered_connector, "0", "running") in task_statuses
    failed = families["kafka_connect_worker_connector_failed_task_count"]
    failed_counts = {sample.labels["connector"]: sample.value for sample in failed}
    assert failed_counts[registered_connector] == 0
    # ... and no Debezium metrics: they are registered only once a start succeeds.
    assert not any(name.startswith("debezium_") for name in families)
    assert families["jvm_memory_heap_max_bytes"][0].value > 0


# Debezium registers its Oracle metrics beans once its task has connected to Oracle, which cannot happen here.
# This JVM builds Debezium's own metrics objects from the pinned plugin (LogMiner streaming, snapshot), registers
# them as the task does and feeds them one change event and a snapshot start, so the real agent with the real
# rules serves the real families that the dashboards, `ops lag` and the health check's capture parser read.
DEBEZIUM_METRICS_JAVA = """import io.debezium.config.Configuration;
import io.debezium.connector.base.ChangeEventQueueMetrics;
import io.debezium.connector.common.CdcSourceTaskContext;
import io.debezium.connector.oracle.OracleConnectorConfig;
import io.debezium.connector.oracle.OraclePartition;
import io.debezium.connector.oracle.logminer.LogMinerStreamingChangeEventSourceMetrics;
import io.debezium.data.Envelope;
import io.debezium.pipeline.metrics.DefaultSnapshotChangeEventSourceMetrics;
import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.relational.TableId;
import io.debezium.spi.schema.DataCollectionId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;

/** Debezium's own Oracle metrics objects, registered as the connector's task registers them. */
public class DebeziumMetrics {
    public static void main(String[] args) throws Exception {
        String topicPrefix = args[0];
        long lagMs = Long.parseLong(args[1]);
        List<TableId> tables = new java.util.ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] schemaTable = args[i].split("[.]");
            tables.add(new TableId("ORCLCDB", schemaTable[0], schemaTable[1]));
        }
        Configuration settings = Configuration.from(Map.of(
            "topic.prefix", topicPrefix, "database.dbname", "ORCLCDB", "connector.class",
            "io.debezium.connector.oracle.OracleConnector"));
        OracleConnectorConfig config = new OracleConnectorConfig(settings);
        CdcSourceTaskContext<OracleConnectorConfig> context =
            new CdcSourceTaskContext<>(settings, config, "0", Map.of());
        ChangeEventQueueMetrics queue = new ChangeEventQueueMetrics() {
            public int totalCapacity() { return 8192; }
            public int remainingCapacity() { return 8192; }
            public long maxQueueSizeInBytes() { return 0L; }
            public long currentQueueSizeInBytes() { return 0L; }
        };
        EventMetadataProvider events = new EventMetadataProvider() {
            public Instant getEventTimestamp(DataCollectionId c, OffsetContext o, Object k, Struct v) {
                return Instant.now().minusMillis(lagMs);
            }
            public Map<String, String> getEventSourcePosition(DataCollectionId c, OffsetContext o, Object k, Struct v) {
                return Map.of();
            }
            public String getTransactionId(DataCollectionId c, OffsetContext o, Object k, Struct v) { return null; }
        };
        OraclePartition partition = new OraclePartition(topicPrefix, "ORCLCDB");

        LogMinerStreamingChangeEventSourceMetrics streaming =
            new LogMinerStreamingChangeEventSourceMetrics(context, queue, events, config, () -> tables);
        streaming.register();
        streaming.connected(true);
        // A transaction open for two hours holds the oldest SCN a restart would read from.
        streaming.setCurrentScn(io.debezium.connector.oracle.Scn.valueOf(5000L));
        streaming.setOffsetScn(io.debezium.connector.oracle.Scn.valueOf(4000L));
        streaming.setOldestScnDetails(io.debezium.connector.oracle.Scn.valueOf(3000L),
            Instant.now().minusMillis(7_200_000L));
        streaming.setActiveTransactionCount(2L);
        streaming.onEvent(partition, tables.get(0), null, null, null, Envelope.Operation.UPDATE);

        DefaultSnapshotChangeEventSourceMetrics<OraclePartition> snapshot =
            new DefaultSnapshotChangeEventSourceMetrics<>(context, queue, events);
        snapshot.register();
        snapshot.monitoredDataCollectionsDetermined(partition, tables);
        snapshot.snapshotStarted(partition);
        System.out.println("registered");
        Thread.sleep(120_000L);
    }
}
"""
EVENT_LAG_MS = 1234


def test_jmx_exporter_rules_serve_debezium_oracle_families(local_stack: LocalStack, tmp_path):
    source = tmp_path / "DebeziumMetrics.java"
    source.write_text(DEBEZIUM_METRICS_JAVA)
    jars = local_stack.jars_dir
    agent = next((jars / "jmx-exporter").glob("jmx_prometheus_javaagent-*.jar"))
    port = free_ports(1)[0]
    server = local_stack.topics.topic_prefix
    command = [
        "java", "-Xmx128m", f"-javaagent:{agent}=127.0.0.1:{port}:{CONNECT_IMAGE_DIR / 'jmx-exporter.yml'}",
        f"-Dlog4j2.configurationFile={CONNECT_IMAGE_DIR / 'log4j2.properties'}",
        "-cp", f"{jars / 'plugins' / 'debezium-connector-oracle'}/*:{jars / 'libs'}/*",
        str(source), server, str(EVENT_LAG_MS), *(f"{schema}.{table}" for schema, table in CAPTURED_TABLES),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(120, process.kill)  # compiling and starting may take a while; never forever
    watchdog.start()
    try:
        output = []
        for line in process.stdout:
            output.append(line)
            if line.strip() == "registered":
                break
        else:
            pytest.fail("The Debezium metrics JVM exited before registering:\n" + "".join(output[-40:]))

        def exported() -> str | None:
            url = f"http://127.0.0.1:{port}/metrics"
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback test URL
                text = response.read().decode()
            return text if "debezium_oracle_" in text else None

        text = _poll("Debezium's metrics on the exporter", exported, timeout_s=30)
    finally:
        watchdog.cancel()
        process.kill()
        process.wait(timeout=10)
    found = {family.name: family.samples for family in text_string_to_metric_families(text)}
    streaming = {"context": "streaming", "server": server}
    # The streaming attributes the runbook and the alarms speak of, under the names the rules give them.
    read_by_the_health_check = tuple(STREAMING_ATTRIBUTES.values())
    for attribute in ("Connected", "LagFromSourceInMilliseconds", "NumberOfEventsInBuffer", *read_by_the_health_check):
        samples = found[f"debezium_oracle_{attribute.lower()}"]
        assert streaming in [sample.labels for sample in samples], attribute
    lag = found["debezium_oracle_millisecondsbehindsource"][0].value
    assert EVENT_LAG_MS <= lag < EVENT_LAG_MS + 1000
    remaining = found["debezium_oracle_remainingtablecount"]
    assert [(s.labels, s.value) for s in remaining] == [({"context": "snapshot", "server": server}, 4.0)]
    # The health check reads exactly what the rules export.
    findings = parse_capture_metrics(text, server)
    assert (findings.connected, findings.snapshot_running, findings.snapshot_tables_remaining) == (True, True, 4.0)
    assert findings.lag_ms == lag and findings.ms_since_last_event >= 0 and findings.error is None
    # Every LogMiner figure the alarms and the dashboard use is read from Debezium's own bean (zeros on a fresh one).
    for field in STREAMING_ATTRIBUTES:
        assert getattr(findings, field) is not None, field
    assert findings.heap_used_percent is not None and 0 < findings.heap_used_percent < 100
    assert (findings.current_scn, findings.offset_scn, findings.active_transactions) == (5000, 4000, 2)
    assert 7_200_000 <= findings.oldest_scn_age_ms < 7_200_000 + 120_000
    other = parse_capture_metrics(text, "other.aws.wms.cdc")
    assert other == CaptureFindings(heap_used_bytes=other.heap_used_bytes, heap_max_bytes=other.heap_max_bytes)


def test_worker_restart_keeps_a_registered_connectors_config(local_stack: LocalStack, registered_connector: str):
    url = f"{local_stack.connect_url}/connectors/{registered_connector}/config"
    before = http_json(url)
    assert before["database.password"] == worker_env.placeholder(worker_env.DB_PASSWORD)

    local_stack.stop_worker()
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        http_json(url, timeout_s=2.0)
    # The worker died beside its running broker: `make local` alone brings it back (no `make local-down` first).
    from devtools.local.cli import up

    _, ok = up(local_stack.settings)
    assert ok and local_stack.worker.running()

    after = _poll("the connector config after the restart", lambda: http_json(url))
    assert after == before


def test_up_on_a_running_stack_reuses_it_and_runs_the_steps_again(local_stack):
    from devtools.local.cli import up

    seen = []
    stack, ok = up(local_stack.settings, after_ready=[lambda running: seen.append(running.connect_url)])
    assert seen == [local_stack.connect_url] and ok and stack.reused
    assert stack.worker.pid == local_stack.worker.pid and stack.broker.pid == local_stack.broker.pid


def test_worker_log_names_the_unreachable_database_but_holds_no_database_value(
    local_stack: LocalStack, registered_connector: str
):
    database = local_stack.settings.database_env
    log = local_stack.worker_log.read_text(errors="replace")
    # The task's failed start attempts log the driver's cause, with the host and the (closed) port it tried.
    # (ojdbc11 23.26: "ORA-12541: Cannot connect. No listener at host <host> port <port>.")
    assert "java.net.ConnectException: Connection refused" in log
    assert f"No listener at host {database[worker_env.DB_HOST]} port {database[worker_env.DB_PORT]}." in log
    # ... while no resolved credential or database name is ever printed, by the entrypoint, Connect or Debezium.
    for variable in (worker_env.DB_NAME, worker_env.DB_USER, worker_env.DB_PASSWORD):
        assert database[variable] not in log, variable


def test_a_task_whose_start_debezium_retries_is_reported_not_started_with_its_cause(
    local_stack: LocalStack, registered_connector: str
):
    admin = ConnectorAdmin(
        connect=local_stack.connect_client(deadline=30), stage=local_stack.stage, jmx_url=local_stack.jmx_url,
        worker_log_records=lambda: log_records(local_stack.worker_log.read_text(errors="replace")),
    )
    status = admin.status(registered_connector)
    assert [task.state for task in status.tasks] == ["RUNNING"]
    retrying = admin.start_retries(status)
    assert retrying is not None and list(retrying) == ["0"]
    cause = retrying["0"]
    assert cause[0].startswith("Failed to start connector, will re-attempt during polling. (io.debezium")
    assert any("RetriableException: Failed to resolve Oracle database version" in line for line in cause)
    assert any("ORA-12541" in line for line in cause)
    # The health check reads the same: no Debezium metrics while Connect says RUNNING.
    capture = parse_capture_metrics(http_fetch()(local_stack.jmx_url), local_stack.topics.topic_prefix)
    connect = ConnectFindings(reachable=True, status=status)
    assert not_started(connect, capture)
    # The RetriedErrors filter counts each of the real worker's retries, one line per retry.
    [retried] = [f.pattern for f in LOG_FILTERS if f.metric == "RetriedErrors"]
    counted = [line for line in local_stack.worker_log.read_text(errors="replace").splitlines()
               if matches(retried, line)]
    assert counted and all("will re-attempt during polling" in line for line in counted)

"""Finding the cause of a task's failed start that Connect's status does not show: in the worker's log records (its
file locally, its CloudWatch log group in AWS, read here from moto), and the admin's status carrying it.

The log lines are the worker's own format (log4j2 `[%d] %p [%X{connector.context}] %m (%c:%L)`), copied from what
the pinned Debezium 3.6.1 (ojdbc11 23.26) logs when its database refuses the connection."""

from __future__ import annotations

import time

import boto3
import pytest
from moto import mock_aws

from tests.unit.lambda_stubs import fake_credentials  # noqa: F401 (autouse fixture)
from wms_connector.admin.environment import AdminEnvironment, cloudwatch_worker_records
from wms_connector.admin.errors import AdminMisconfigured
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.connect_client import ConnectClient
from wms_connector.connect_status import ConnectorStatus, TaskStatus
from wms_connector.stages import Stage
from wms_connector.task_cause import cause_from_records, hides_cause, log_records

NPE = (
    "java.lang.NullPointerException\n"
    "\tat java.base/java.util.Objects.requireNonNull(Objects.java:209)\n"
    "\tat io.debezium.connector.oracle.OracleConnectorTask.getErrorHandler(OracleConnectorTask.java:236)\n"
)
STARTUP_FAILURE = """\
[2026-12-01 22:57:21,967] WARN [wms-oracle-cdc|task-0] Failed to start connector, will re-attempt during polling. \
(io.debezium.connector.common.BaseSourceTask:294)
org.apache.kafka.connect.errors.RetriableException: Failed to resolve Oracle database version
\tat io.debezium.connector.oracle.OracleConnection.resolveOracleDatabaseVersion(OracleConnection.java:169)
Caused by: java.sql.SQLException: ORA-12541: Cannot connect. No listener at host 10.0.3.7 port 1521.
\tat oracle.jdbc.driver.T4CConnection.handleLogonNetException(T4CConnection.java:1022)
Caused by: oracle.net.ns.NetException: ORA-12541: Cannot connect. No listener at host 10.0.3.7 port 1521.
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.connect0(Native Method)"""
OTHER_TASK = STARTUP_FAILURE.replace("task-0", "task-1").replace("Connection refused", "Connection timed out")
LATER = STARTUP_FAILURE.replace("22:57:21", "23:10:02").replace(
    "Connection refused", "ORA-01017: invalid username/password; logon denied"
)
WORKER_LOG = "\n".join([
    "[2026-12-01 22:57:20,001] INFO [Worker clientId=connect-1] Joined group (org.apache.kafka.connect.runtime:1)",
    STARTUP_FAILURE,
    "[2026-12-01 22:57:21,980] ERROR [wms-oracle-cdc|task-0] WorkerSourceTask{id=wms-oracle-cdc-0} Task threw an "
    "uncaught and unrecoverable exception (org.apache.kafka.connect.runtime.WorkerTask:234)",
    NPE.rstrip(),
    OTHER_TASK,
])


@pytest.mark.parametrize(
    ("trace", "hides"),
    [
        (NPE, True),
        ("java.lang.NullPointerException: Cannot invoke \"x\" because \"y\" is null\n\tat a.b(C.java:1)", True),
        (NPE + "Caused by: java.lang.IllegalStateException: z\n", False),
        ("org.apache.kafka.connect.errors.ConnectException: An exception occurred\n", False),
        (None, False),
        ("", False),
    ],
)
def test_only_a_bare_null_pointer_hides_the_cause(trace, hides):
    assert hides_cause(trace) is hides


def test_the_log_splits_into_records_with_their_traces():
    records = log_records(WORKER_LOG)
    assert len(records) == 4
    assert records[1] == STARTUP_FAILURE and records[2].endswith("(OracleConnectorTask.java:236)")


def test_the_cause_is_the_tasks_newest_startup_failure_with_every_caused_by():
    records = log_records(WORKER_LOG)
    assert cause_from_records(records, "wms-oracle-cdc", 0) == [
        "Failed to start connector, will re-attempt during polling. (io.debezium.connector.common.BaseSourceTask:294)",
        "org.apache.kafka.connect.errors.RetriableException: Failed to resolve Oracle database version",
        "Caused by: java.sql.SQLException: ORA-12541: Cannot connect. No listener at host 10.0.3.7 port 1521.",
        "Caused by: oracle.net.ns.NetException: ORA-12541: Cannot connect. No listener at host 10.0.3.7 port 1521.",
        "Caused by: java.net.ConnectException: Connection refused",
    ]
    assert "Connection timed out" in cause_from_records(records, "wms-oracle-cdc", 1)[-1]
    assert "ORA-01017" in cause_from_records([*records, LATER], "wms-oracle-cdc", 0)[-1]
    assert cause_from_records(records, "another-connector", 0) is None
    assert cause_from_records(records, "wms-oracle-cdc", 7) is None


LOG_GROUP = "/aws/fargate/wms-connector-main-kafka-connect"


@mock_aws
def test_the_admin_reads_the_records_from_the_workers_log_group():
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName="connect/kafka-connect/abc")
    now = int(time.time() * 1000)
    events = [{"timestamp": now - 1000 + i, "message": record} for i, record in enumerate(log_records(WORKER_LOG))]
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName="connect/kafka-connect/abc", logEvents=events)

    records = cloudwatch_worker_records(LOG_GROUP, logs)()
    assert STARTUP_FAILURE in records and all("Failed to start connector" in r for r in records)

    status = ConnectorStatus(
        name="wms-oracle-cdc", state="RUNNING", worker_id="10.0.1.5:8083", trace=None,
        tasks=(TaskStatus(id=0, state="FAILED", worker_id="10.0.1.5:8083", trace=NPE),
               TaskStatus(id=1, state="RUNNING", worker_id="10.0.1.5:8083")),
    )
    admin = ConnectorAdmin(
        connect=ConnectClient("http://127.0.0.1:9"), stage=Stage.parse("main"),
        worker_log_records=cloudwatch_worker_records(LOG_GROUP, logs),
    )
    causes = admin.hidden_causes(status)
    assert list(causes) == ["0"] and causes["0"][-1] == "Caused by: java.net.ConnectException: Connection refused"


def test_without_a_log_source_or_a_hidden_cause_nothing_is_read():
    read: list[int] = []
    admin = ConnectorAdmin(connect=ConnectClient("http://127.0.0.1:9"), stage=Stage.parse("main"))
    status = ConnectorStatus("c", "RUNNING", None, None, (TaskStatus(0, "FAILED", None, NPE),))
    assert admin.hidden_causes(status) == {}
    admin.worker_log_records = lambda: read.append(1) or []
    plain = ConnectorStatus("c", "RUNNING", None, None, (TaskStatus(0, "FAILED", None, "x.YException: real\n"),))
    assert admin.hidden_causes(plain) == {} and read == []


def test_the_admin_environment_names_a_bad_log_group():
    env = {"STAGE": "main", "CONNECT_URL": "https://connect.example:443", "WORKER_LOG_GROUP": "no spaces allowed"}
    with pytest.raises(AdminMisconfigured, match="WORKER_LOG_GROUP: 'no spaces allowed' is not a CloudWatch log"):
        AdminEnvironment.from_env(env)
    assert AdminEnvironment.from_env({**env, "WORKER_LOG_GROUP": LOG_GROUP}).worker_log_group == LOG_GROUP

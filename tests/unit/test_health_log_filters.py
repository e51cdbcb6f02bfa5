"""The worker-log metric filters: each pattern is well-formed CloudWatch Logs term syntax, and counts the lines
it is meant for and not the others.

CloudWatch cannot run here and moto does not evaluate `?` patterns, so the documented rules for unstructured
events are applied directly: a pattern is a list of terms; a term with characters other than letters, digits
and `_` must be in double quotes; terms prefixed with `?` match when any of them is in the event, otherwise all
must be; matching is case-sensitive. The worker's log driver (awslogs, no multiline pattern) sends each line of
a stack trace as its own event, so each line is judged alone.
"""

from __future__ import annotations

import pytest

from components.log_filters import LOG_FILTERS
from tests.log_patterns import _terms, matches

BY_METRIC = {f.metric: f.pattern for f in LOG_FILTERS}

# Lines as Kafka Connect, Debezium and the Oracle driver write them (one event each).
ORACLE_LINES = [
    "Caused by: java.sql.SQLException: ORA-01291: missing logfile",
    "io.debezium.DebeziumException: Online REDO LOG files or archive log files do not contain the offset scn "
    "1234567. Please perform a new snapshot. ORA-01291",
    "Caused by: oracle.net.ns.NetException: ORA-12541: Cannot connect. No listener at host 10.0.0.5 port 1521.",
]
CONNECTION_LINES = [
    "org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer. "
    "This connector will be stopped.",
    "Caused by: java.sql.SQLException: ORA-01017: invalid username/password; logon denied",
]
UNKNOWN_TOPIC_LINES = [
    "[Producer clientId=connector-producer-wms-oracle-cdc-0] Error while fetching metadata with correlation id 7 : "
    "{aws.wms.cdc.WMS.PLAN_BASE_WVR_TBL=UNKNOWN_TOPIC_OR_PARTITION}",
]
# Debezium's texts as its logger and its exceptions print them, on the paths this stack reaches (the integration
# test tests/integration/test_log_filter_texts.py reads each term's site, level and carrier in the pinned plugin).
SUPPLEMENTAL_LOGGING_LINES = [
    "WARN Database table 'ORCLPDB1.WMS.PLAN_BASE_WVR_TBL' not configured with supplemental logging \"(ALL) COLUMNS\"; "
    "only explicitly changed columns will be captured. Use: ALTER TABLE WMS.PLAN_BASE_WVR_TBL ADD SUPPLEMENTAL LOG "
    "DATA (ALL) COLUMNS",
    "io.debezium.DebeziumException: Supplemental logging not properly configured. Use: ALTER DATABASE ADD "
    "SUPPLEMENTAL LOG DATA",
]
ARCHIVE_LOGS_GONE_LINES = [
    # A restart whose offset is gone: the warning, then the task's failure as Connect logs it.
    "WARN [wms-oracle-cdc|task-0] Last recorded offset is no longer available on the server. (io.debezium.connector."
    "common.BaseSourceTask)",
    "io.debezium.DebeziumException: The connector is trying to read change stream starting at OracleOffsetContext "
    "[scn=1234567, commit_scn=[]], but this is no longer available on the server. Reconfigure the connector to use a "
    "snapshot mode when needed.",
    # While streaming.
    "io.debezium.connector.oracle.logminer.LogFileNotFoundException: The archive log containing offset SCN: 1234567 "
    "has been deleted. A re-snapshot is required.",
    "io.debezium.connector.oracle.logminer.LogFileNotFoundException: None of the log files contain offset SCN: "
    "1234567, re-snapshot is required.",
    "io.debezium.DebeziumException: Online REDO LOG files or archive log files do not contain the offset scn "
    "1234567. Please perform a new snapshot.",
    "WARN Transaction 0a001b00 was still ongoing while snapshot was taken, but is no longer completely recorded in "
    "the archive logs. Events will be lost. Oldest SCN in logs = 100, TX start SCN = 90",
]
ABANDONED_TRANSACTION_LINES = [
    "WARN [wms-oracle-cdc|task-0] Transaction 0a001b0000c3ef00 (start SCN 1234567, change time 2026-12-07T03:00:00Z, "
    "redo thread 1, 812 events) is being abandoned. (io.debezium.connector.oracle.logminer.buffered."
    "BufferedLogMinerStreamingChangeEventSource)",
]
UNPARSABLE_DDL_LINES = [
    # unparsableDdl: fail (Debezium's default): the task's failure.
    "io.debezium.text.ParsingException: DDL statement couldn't be parsed. Please open a GitHub issue at "
    "https://github.com/debezium/dbz/issues with the statement 'ALTER TABLE WMS.PLAN_BASE_WVR_TBL MODIFY ...'",
    # unparsableDdl: skip.
    "WARN [wms-oracle-cdc|task-0] Ignoring unparsable DDL statement 'ALTER TABLE WMS.PLAN_BASE_WVR_TBL MODIFY ...': "
    "(io.debezium.connector.oracle.OracleSchemaChangeEventEmitter)",
]
UNREQUESTED_SNAPSHOT_LINES = [
    "[2026-12-07 03:00:00,000] INFO [wms-oracle-cdc|task-0] The last recorded offset is no longer available but we "
    "are in when_needed snapshot mode. Attempting to snapshot data to fill the gap. "
    "(io.debezium.connector.common.BaseSourceTask:155)",
]
# One line per retry (ErrorHandler.hasMoreRetries; BaseSourceTask.start for a start retried from poll()).
RETRIED_ERROR_LINES = [
    "[2026-12-07 03:00:10,000] WARN [wms-oracle-cdc|task-0] Retry 1 of unlimited retries will be attempted "
    "(io.debezium.pipeline.ErrorHandler:125)",
    "[2026-12-07 03:00:20,000] WARN [wms-oracle-cdc|task-0] Failed to start connector, will re-attempt during "
    "polling. (io.debezium.connector.common.BaseSourceTask:294)",
]
# The same retry's other lines: counting them too would count one retry two or three times.
SAME_RETRY_LINES = [
    "[2026-12-07 03:00:10,000] ERROR [wms-oracle-cdc|task-0] Producer failure (io.debezium.pipeline.ErrorHandler:52)",
    "[2026-12-07 03:00:10,000] WARN [wms-oracle-cdc|task-0] Going to restart connector after 10 sec. after a "
    "retriable exception (io.debezium.connector.common.BaseSourceTask:524)",
]
QUIET_LINES = [
    "[2026-11-25 12:00:00,000] INFO [wms-oracle-cdc|task-0] Committing offsets (OffsetStorageWriter)",
    "WorkerSourceTask{id=wms-oracle-cdc-0} Source task finished initialization and start",
    "connectexception in lower case is not the class name",
    "Fetching ORACLE metadata for table WMS.PLAN_BASE_WVR_TBL",
]


def test_one_filter_per_metric():
    assert set(BY_METRIC) == {
        "OracleErrors", "ConnectionErrors", "SupplementalLoggingMissing", "ArchiveLogsGone", "AbandonedTransactions",
        "UnparsableDdl", "UnrequestedSnapshot", "RetriedErrors", "UnknownTopicOrPartition",
    }
    assert len(LOG_FILTERS) == len(BY_METRIC)


@pytest.mark.parametrize("log_filter", LOG_FILTERS, ids=lambda f: f.metric)
def test_each_pattern_is_valid_term_syntax(log_filter):
    terms, _ = _terms(log_filter.pattern)
    assert all(terms)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("ORA-", "needs double quotes"),
        ('"ORA-', "stray characters"),
        ("?ConnectException SQLException", "with plain terms"),
        ("", "no term"),
    ],
)
def test_the_syntax_check_refuses_what_cloudwatch_refuses_or_misreads(pattern, why):
    with pytest.raises(AssertionError, match=why):
        _terms(pattern)


@pytest.mark.parametrize(
    ("metric", "lines"),
    [
        ("OracleErrors", ORACLE_LINES),
        ("ConnectionErrors", CONNECTION_LINES),
        ("UnknownTopicOrPartition", UNKNOWN_TOPIC_LINES),
        ("SupplementalLoggingMissing", SUPPLEMENTAL_LOGGING_LINES),
        ("ArchiveLogsGone", ARCHIVE_LOGS_GONE_LINES),
        ("AbandonedTransactions", ABANDONED_TRANSACTION_LINES),
        ("UnparsableDdl", UNPARSABLE_DDL_LINES),
        ("RetriedErrors", RETRIED_ERROR_LINES),
        ("UnrequestedSnapshot", UNREQUESTED_SNAPSHOT_LINES),
    ],
)
def test_each_filter_counts_its_lines(metric, lines):
    assert all(matches(BY_METRIC[metric], line) for line in lines)


@pytest.mark.parametrize("metric", sorted(BY_METRIC))
def test_routine_lines_count_for_no_filter(metric):
    assert not any(matches(BY_METRIC[metric], line) for line in QUIET_LINES)


def test_a_retry_counts_once():
    assert not any(matches(BY_METRIC["RetriedErrors"], line) for line in SAME_RETRY_LINES)


def test_the_unknown_topic_filter_ignores_oracle_and_connection_errors():
    assert not any(matches(BY_METRIC["UnknownTopicOrPartition"], line) for line in ORACLE_LINES + CONNECTION_LINES)

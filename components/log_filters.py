"""The metric filters on the worker's log: what text each counts, which metric it feeds and, for Debezium's own
texts, the code path that writes it (tests/integration/test_log_filter_texts.py checks each against the pinned
plugin's bytecode: the level it is logged at, or the exception that carries it, on a path the stack reaches).
components/alarms.py turns each into a metric filter and an alarm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogFilter:
    key: str
    description: str
    pattern: str  # CloudWatch Logs filter pattern
    metric: str
    threshold_setting: str | None = None  # Health field with the threshold; None means any occurrence


LOG_FILTERS = (
    LogFilter("oracle-errors", "Oracle errors (ORA-) in the Kafka Connect log", '"ORA-"', "OracleErrors"),
    LogFilter(
        "connection-errors",
        "ConnectException or SQLException in the Kafka Connect log",
        "?ConnectException ?SQLException",
        "ConnectionErrors",
    ),
    # Debezium's own texts, each on a path this stack's connector reaches and written at a level the worker logs
    # (tests/integration/test_log_filter_texts.py reads where each is in the pinned plugin's bytecode):
    # AbstractLogMinerStreamingChangeEventSource.checkDatabaseAndTableState warns of a table and throws for the
    # database when streaming starts.
    LogFilter(
        "supplemental-logging",
        "a captured table or the database without the supplemental logging capture needs",
        '?"not configured with supplemental logging" ?"Supplemental logging not properly configured"',
        "SupplementalLoggingMissing",
    ),
    # On every (re)start BaseSourceTask.validateSchemaHistory checks the offset's SCN is still in the logs: WARN
    # "Last recorded offset is no longer available on the server.", then a DebeziumException "... but this is no
    # longer available on the server ..." (or, with snapshot.mode when_needed, a re-snapshot: the gap is lost
    # either way). While streaming, LogFileCollector.getLogs throws LogFileNotFoundException ("... has been
    # deleted. A re-snapshot is required.", "None of the log files contain offset SCN ...") and
    # AbstractLogMinerStreamingChangeEventSource.execute throws "... do not contain the offset scn ...". A first
    # start warns when an in-flight transaction's start is gone (computeStartScnForFirstMiningSession).
    LogFilter(
        "archive-logs-gone",
        "the redo a restart needs is no longer in the archive logs",
        '?"no longer available on the server" ?"has been deleted. A re-snapshot is required" '
        '?"None of the log files contain offset SCN" ?"do not contain the offset scn" '
        '?"no longer completely recorded in the archive logs"',
        "ArchiveLogsGone",
    ),
    # BufferedLogMinerStreamingChangeEventSource.abandonTransactions warns once per transaction it abandons (the
    # metric's count is capped at 10, see metric_names.ABANDONED_TRANSACTIONS).
    LogFilter(
        "abandoned-transactions",
        "LogMiner abandoned a transaction held longer than log.mining.transaction.retention.ms: its events are lost",
        '"is being abandoned"',
        "AbandonedTransactions",
    ),
    # A DDL statement the parser refuses: by default ParsingErrorListener throws ParsingException and the task
    # fails; with `unparsableDdl: skip` OracleSchemaChangeEventEmitter warns for each statement it leaves out.
    LogFilter(
        "unparsable-ddl",
        "Debezium met a DDL statement it could not parse: the task failed on it, or (unparsableDdl: skip) the "
        "schema history left it out",
        '?"DDL statement couldn\'t be parsed" ?"Ignoring unparsable DDL statement"',
        "UnparsableDdl",
    ),
    # With snapshot.mode when_needed (a named stage only with acceptSilentResnapshot), BaseSourceTask.
    # validateSchemaHistory resets an offset no longer in the logs and snapshots again: INFO "The last recorded
    # offset is no longer available but we are in {} snapshot mode. Attempting to snapshot data to fill the gap."
    LogFilter(
        "unrequested-snapshot",
        "Debezium started a snapshot no one asked for: the stored position was no longer in the archive logs and "
        "snapshotMode when_needed snapshots again; rows deleted in the gap are gone with no event",
        '"Attempting to snapshot data to fill the gap"',
        "UnrequestedSnapshot",
    ),
    # errors.max.retries is -1: Debezium retries a retriable error for ever while Connect shows the task RUNNING.
    # Each retry is one WARN of ErrorHandler.hasMoreRetries ("Retry {} of {} retries will be attempted", after
    # setProducerThrowable's ERROR "Producer failure" with the cause); a start that failed and is retried from poll()
    # is one WARN of BaseSourceTask.start ("Failed to start connector, will re-attempt during polling.").
    LogFilter(
        "retried-errors",
        "Debezium met errors it retries on its own (the connector stays RUNNING while it retries; the worker log "
        'has each cause after "Producer failure")',
        '?"retries will be attempted" ?"will re-attempt during polling"',
        "RetriedErrors",
        threshold_setting="retried_error_threshold",
    ),
    LogFilter(
        "unknown-topic",
        "UNKNOWN_TOPIC_OR_PARTITION in the Kafka Connect log",
        '"UNKNOWN_TOPIC_OR_PARTITION"',
        "UnknownTopicOrPartition",
        threshold_setting="unknown_topic_threshold",
    ),
)

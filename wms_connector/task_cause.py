"""The real cause when a task cannot start and Connect's status does not say why.

When the Oracle connector's task cannot start (the database refuses the connection, a grant is missing), Debezium
logs the cause as a warning, "Failed to start connector, will re-attempt during polling" (BaseSourceTask.start).
Debezium 3.6 then retries the start from poll() while Connect shows the task RUNNING, when the failure is
retriable (an unreachable database: OracleConnection.resolveOracleDatabaseVersion throws a RetriableException);
otherwise the task dies in `OracleConnectorTask.getErrorHandler` with a bare NullPointerException, all Connect's
status shows. Either way the cause is in the worker's log, in a record under the task's context
(`[<connector>|task-<n>]`). This module finds it, in records of the worker log file (locally) or of its CloudWatch
log group (one event per record, see the task definition's multiline pattern).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A log4j2 record of the worker starts with its timestamp: `[2026-12-01 22:57:21,967] WARN [c|task-0] ...`. The
# same pattern is CloudWatch's multiline pattern (awslogs-multiline-pattern) for the worker's log stream.
MULTILINE_PATTERN = r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\] "
RECORD_START = re.compile(MULTILINE_PATTERN)
STARTUP_FAILURE = "Failed to start connector"
_EXCEPTION = re.compile(r"^(?:Caused by: )?[\w$.]+(?:Exception|Error)\b")
MAX_CAUSE_LINES = 6
LINE_WIDTH = 300


def hides_cause(trace: str | None) -> bool:
    """True when a task's trace is only a NullPointerException, with no cause of its own."""
    if not trace:
        return False
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    return lines[0].startswith("java.lang.NullPointerException") and not any(
        line.startswith("Caused by:") for line in lines
    )


def log_records(text: str) -> list[str]:
    """The worker log's records: each starts with its timestamp and carries its stack trace."""
    records: list[list[str]] = []
    for line in text.splitlines():
        if RECORD_START.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    return ["\n".join(record) for record in records]


def cause_from_records(records: Iterable[str], connector: str, task: int) -> list[str] | None:
    """The newest startup failure logged for the task: its message, exception and every `Caused by:` line."""
    context = f"[{connector}|task-{task}]"
    found: list[str] | None = None
    for record in records:
        head, _, rest = record.partition("\n")
        if context not in head or STARTUP_FAILURE not in head:
            continue
        exceptions = [line.strip() for line in rest.splitlines() if _EXCEPTION.match(line.strip())]
        message = head.split(context, 1)[1].strip()
        found = [message, *dict.fromkeys(exceptions)][:MAX_CAUSE_LINES]
    if found is None:
        return None
    return [line if len(line) <= LINE_WIDTH else line[: LINE_WIDTH - 3] + "..." for line in found]

"""Keep secret values out of the health Lambda's log whatever log level it is given.

At DEBUG, botocore logs every response body, and the GetSecretValue body holds the database password. So on each
invocation the wire-level loggers and every child of theirs are held at INFO (which logs no bodies), and every
handler on the root logger gets a filter that drops their records below INFO, even from a child set to DEBUG
after this ran, and passes every other record's text through the redaction rule.
"""

from __future__ import annotations

import logging

from wms_connector.redaction import redact

WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


def _is_wire(name: str) -> bool:
    return name.split(".", 1)[0] in WIRE_LOGGERS


class WireBodyFilter(logging.Filter):
    """Drops wire-level records below INFO; redacts what it lets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and _is_wire(record.name):
            return False
        message = record.getMessage()
        shown = redact(message)
        if shown != message:
            record.msg, record.args = shown, None
        return True


def hold_wire_loggers_at_info() -> None:
    """Called on each invocation: the runtime or a diagnosis may have lowered a level since the last."""
    floor = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    names = [*WIRE_LOGGERS, *(n for n in list(logging.Logger.manager.loggerDict) if _is_wire(n))]
    for name in names:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, WireBodyFilter) for f in handler.filters):
            handler.addFilter(WireBodyFilter())

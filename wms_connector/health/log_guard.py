"""Keep secret values out of the health Lambda's log whatever log level it is given.

At DEBUG, botocore logs every response body, and the GetSecretValue body holds the database password. The
wire-level loggers are held at INFO, which logs no bodies, so raising the function's log level for a diagnosis
can never put the credentials in CloudWatch Logs.
"""

from __future__ import annotations

import logging

WIRE_LOGGERS = ("botocore", "boto3", "urllib3")


def hold_wire_loggers_at_info() -> None:
    """Called on each invocation: the runtime or a diagnosis may have lowered the root level since the last."""
    floor = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)

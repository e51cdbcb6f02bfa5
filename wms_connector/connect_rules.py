"""Kafka Connect's rules that several callers check: connector names, the states a connector is kept in, and how
long one call may wait. The admin, the dynamic provider, the Lambdas' environment and `ops` all check against
these.
"""

from __future__ import annotations

import re

# Connect accepts names of up to 249 characters; this project's are letters, digits and ._- only.
CONNECTOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,248}")
CONNECTOR_NAME_RULE = "1-249 letters, digits, '.', '_' or '-', starting with a letter or digit"

# Desired states (stack config) and the Connect state each one means.
STATES = ("running", "paused", "stopped")
CONNECT_STATE = {"running": "RUNNING", "paused": "PAUSED", "stopped": "STOPPED"}

# How long an admin call may wait for a connector state; the ceiling stays under the Lambda's 15 minutes.
DEFAULT_STATE_TIMEOUT = 180.0
MAX_STATE_TIMEOUT = 840.0

# How long a restarted or resumed connector must stay RUNNING before a verdict calls it healthy: a task whose
# database is unreachable fails within seconds of its start.
DEFAULT_SETTLE_SECONDS = 10.0
MAX_SETTLE_SECONDS = 300.0

# How long one Connect REST call may keep retrying (409 during a rebalance, 5xx, refused connections).
MIN_CONNECT_DEADLINE_SECONDS = 1
MAX_CONNECT_DEADLINE_SECONDS = 600


def is_connector_name(value: object) -> bool:
    return isinstance(value, str) and bool(CONNECTOR_NAME.fullmatch(value))


def is_connect_deadline(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and MIN_CONNECT_DEADLINE_SECONDS <= value <= MAX_CONNECT_DEADLINE_SECONDS
    )


def is_state_timeout(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= MAX_STATE_TIMEOUT

"""Which admin actions only read and which change something: the stage has one admin function for each, so IAM
can let on-call read (status, lag, offsets, the live config) without letting it change anything. The read
function refuses every other action; the transports send each action to its own function.
"""

from __future__ import annotations

# What reads the connector and changes nothing (the read-only function serves only these).
READ_ACTIONS = frozenset({"server_info", "status", "settled_status", "read", "offsets", "lag"})
# What changes the connector, its offsets, its topics, its hold or its declaration, or reaches the database or
# sends a config to Connect (validate, preflight): the full function only.
WRITE_ACTIONS = frozenset({
    "validate", "apply", "ensure", "set_state", "restart", "delete", "delete_stage_topics", "reset_offsets",
    "alter_offsets", "start_from", "release", "preflight", "signal_snapshot",
})

# The admin function's environment variable that makes it the read-only one.
ACCESS_VARIABLE = "ADMIN_ACCESS"
READ_ONLY, READ_WRITE = "read", "write"
ACCESS_LEVELS = (READ_ONLY, READ_WRITE)


def is_read_action(action: object) -> bool:
    return action in READ_ACTIONS

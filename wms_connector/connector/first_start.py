"""A connector's first start from a given SCN (`startScn`) and how the stage gets back to its declared snapshot mode.

A connector created with an offset has no schema history yet. Debezium 3.6.1 (BaseSourceTask.validateSchemaHistory)
then fails every mode but `recovery` with "The db history topic is missing…"; `recovery` takes a schema-only
snapshot of the tables as they are now and streams from the stored offset, but it does so on every start
(RecoverySnapshotter: schema always), and with no offset at all it fails ("Could not find existing redo log
information…"). So the first start runs in `recovery`, and once it streams (the schema history is written) the
declared mode is applied: the health run's reconciliation does it, and until then no one puts the declared mode
back (a restart in `initial` before the schema history exists fails).
"""

from __future__ import annotations

from collections.abc import Mapping

SNAPSHOT_MODE_KEY = "snapshot.mode"
FIRST_START_MODE = "recovery"


def first_start_config(config: Mapping[str, str]) -> dict[str, str]:
    return {**config, SNAPSHOT_MODE_KEY: FIRST_START_MODE}


def first_start_pending(declared: Mapping[str, str], live: Mapping[str, str] | None, streaming: bool | None) -> bool:
    """True while a connector created for a start position has not streamed yet: its live mode is still the first
    start's and the declared one differs. `streaming` is Debezium's StreamingMetrics Connected (None: unknown)."""
    return (
        live is not None
        and live.get(SNAPSHOT_MODE_KEY) == FIRST_START_MODE
        and declared.get(SNAPSHOT_MODE_KEY) != FIRST_START_MODE
        and streaming is not True
    )

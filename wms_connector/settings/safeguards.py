"""What a named stage (one whose topics consumers read) may deploy only when its stack config says it accepts the
cost. Checked by the program before anything is created (`pulumi preview` refuses), not by `load_settings`, so
tools and tests can still read a stage's settings without them.
"""

from __future__ import annotations

from wms_connector.connector.options import OPTIONS_KEY
from wms_connector.settings.load import StageSettings
from wms_connector.settings.parsers import SettingsError


def check_named_stage_safeguards(settings: StageSettings) -> None:
    """What a named stage (one that feeds consumers) may run only when it says it accepts the cost."""
    stage, options = settings.stage, settings.connector.options
    if stage.is_ephemeral:
        return
    if options.snapshot_mode == "when_needed" and not options.accept_silent_resnapshot:
        # BaseSourceTask.validateSchemaHistory: with when_needed a stored position no longer in the logs resets
        # the offset and snapshots again (INFO "... Attempting to snapshot data to fill the gap.").
        raise SettingsError(
            f"Invalid stack config `{OPTIONS_KEY}.snapshotMode` = 'when_needed' on named stage {stage.name}: when "
            "the stored position is no longer in the archive logs, Debezium then takes a new snapshot without "
            "asking, and rows deleted in the gap are gone with no event. Use `initial` (capture stops, "
            "ArchiveLogsGone pages, and on-call chooses; docs/operations.md, *Archive logs gone*), or set "
            f"`{OPTIONS_KEY}.acceptSilentResnapshot: true` to accept it (the UnrequestedSnapshot alarm still fires)."
        )
    if not settings.network.oracle_cidrs:
        raise SettingsError(
            f"Missing stack config `wms-connector:oracleCidrs` on named stage {stage.name}: the workers and Lambdas "
            "may reach the database port only inside the ranges it names, and a named stage has no default (every "
            "private range would be far more than its database). Set the database network's range, e.g. "
            "`oracleCidrs: [10.20.30.0/24]` (docs/configuration.md)."
        )
    if options.heartbeat_table is None and not options.runs_without_heartbeat_table:
        raise SettingsError(
            f"Missing stack config `{OPTIONS_KEY}.heartbeatTable` on named stage {stage.name}: without the heartbeat "
            "table nothing proves Oracle -> LogMiner -> Kafka end to end, so a capture that stops while the "
            "connector says RUNNING raises no alarm (CaptureStale needs it). The DBA creates it once per database "
            "with the SQL in docs/operations.md, *The heartbeat table*; then set `heartbeatTable: SCHEMA.TABLE`. "
            f"To run without it, set `{OPTIONS_KEY}.runsWithoutHeartbeatTable: true`."
        )

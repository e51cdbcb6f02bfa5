"""The database probe of every health run: read-only, as the CDC user, over the preflight's connection and queries
(sql.py), what can change under a running connector without it noticing:

- supplemental logging, database level and ALL COLUMNS on each captured table: Debezium checks it only when
  streaming starts (AbstractLogMinerStreamingChangeEventSource.checkDatabaseAndTableState), so one dropped since
  then is data silently not captured;
- ARCHIVELOG mode;
- the archive logs on disk of the destination Debezium reads (ArchiveDestinationNameResolver): how old the oldest
  is (the real retention, on the database's clock) and whether the log holding the position a restart would read
  from is still there.

Any failure makes the probe "unknown" with its reason: it never raises and no restart is decided on it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wms_connector.preflight import checks, sql
from wms_connector.preflight.run import ORACLE_NAME


@dataclass(frozen=True)
class ProbeFindings:
    archivelog: bool | None = None
    database_logging: bool | None = None  # MIN YES or IMPLICIT, or ALL YES: what Debezium accepts
    tables_without_logging: tuple[str, ...] = ()
    destination: str | None = None
    on_disk_hours: float | None = None  # how old the oldest archive log still on disk is
    oldest_archived_scn: int | None = None
    oldest_online_scn: int | None = None
    restart_scn: float | None = None
    queries: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def supplemental_logging_dropped(self) -> bool | None:
        if self.database_logging is None:
            return None
        return not self.database_logging or bool(self.tables_without_logging)

    @property
    def position_gone(self) -> bool | None:
        """The log holding the restart position is in neither the archive logs on disk nor the online redo."""
        if self.restart_scn is None or (self.oldest_archived_scn is None and self.oldest_online_scn is None):
            return None
        oldest = min(scn for scn in (self.oldest_archived_scn, self.oldest_online_scn) if scn is not None)
        return self.restart_scn < oldest

    @property
    def summary(self) -> str:
        if self.error:
            return f"unknown: {self.error}"
        parts = [
            "ARCHIVELOG" if self.archivelog else "NOT in ARCHIVELOG mode",
            "supplemental logging in place" if not self.supplemental_logging_dropped
            else "supplemental logging DROPPED" + (f" on {', '.join(self.tables_without_logging)}"
                                                   if self.tables_without_logging else " at the database level"),
        ]
        if self.on_disk_hours is not None:
            parts.append(f"oldest archive log on disk ({self.destination}) {self.on_disk_hours:.1f} h old")
        if self.position_gone:
            parts.append("the log holding the restart position is GONE")
        return "; ".join(parts) + f" ({self.queries} queries, {self.seconds * 1000:.0f} ms)"


def _destination(rows: Sequence[Sequence[Any]], configured: tuple[str, ...]) -> str | None:
    usable = [str(row[1]) for row in rows if str(row[2]) == "VALID" and str(row[3]) == "LOCAL"]
    return next((name for name in configured if name in usable), None) if configured else next(iter(usable), None)


def run_probe(
    connection: Any, *, tables: Sequence[str], pdb: str | None = None, archive_destination_name: tuple[str, ...] = (),
    restart_scn: float | None = None,
) -> ProbeFindings:
    started = time.monotonic()
    cursor = connection.cursor()
    asked = 0

    def rows(query: str, params: dict[str, Any] | None = None) -> list[Sequence[Any]]:
        nonlocal asked
        asked += 1
        cursor.execute(query, params or {})
        return list(cursor.fetchall())

    try:
        if pdb and not ORACLE_NAME.fullmatch(pdb):
            raise ValueError("dbInfo's pdb is not an Oracle name")
        archivelog = checks.archivelog(rows(sql.LOG_MODE)).status == checks.PASS
        logging_rows = rows(sql.DATABASE_SUPPLEMENTAL_LOGGING)
        database_logging = checks.database_supplemental_logging(logging_rows).status == checks.PASS
        all_columns = bool(logging_rows) and str(logging_rows[0][1]) == "YES"
        destination = _destination(rows(sql.ARCHIVE_DESTINATIONS), archive_destination_name)
        oldest_scn = hours = None
        if destination:
            [(oldest_scn, hours)] = rows(sql.ARCHIVED_LOGS_ON_DISK, {"dest": destination}) or [(None, None)]
        [(online_scn,)] = rows(sql.ONLINE_LOGS_OLDEST) or [(None,)]
        missing: list[str] = []
        if not all_columns:
            if pdb:
                cursor.execute(sql.set_container(pdb))
            try:
                for table in tables:
                    owner, _, name = table.partition(".")
                    groups = {str(row[0]) for row in rows(sql.TABLE_LOG_GROUPS, {"owner": owner, "table_name": name})}
                    if "ALL COLUMN LOGGING" not in groups:
                        missing.append(table)
            finally:
                if pdb:
                    cursor.execute(sql.set_container(sql.ROOT_CONTAINER))
        return ProbeFindings(
            archivelog=archivelog, database_logging=database_logging, tables_without_logging=tuple(missing),
            destination=destination, on_disk_hours=None if hours is None else float(hours),
            oldest_archived_scn=None if oldest_scn is None else int(oldest_scn),
            oldest_online_scn=None if online_scn is None else int(online_scn), restart_scn=restart_scn,
            queries=asked, seconds=time.monotonic() - started,
        )
    except Exception as error:  # noqa: BLE001 - any driver or shape failure is "unknown", never a crash
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return ProbeFindings(queries=asked, seconds=time.monotonic() - started, error=reason)

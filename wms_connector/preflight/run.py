"""Runs the preflight over any DB-API connection (python-oracledb in thin mode in practice, see connect.py):
each query of sql.py once, each verdict from checks.py. A query Oracle refuses (a view the user may not read)
fails its own check with Oracle's error code and the grant that fixes it; the other checks still run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wms_connector.preflight import checks, sql
from wms_connector.preflight.checks import FAIL, CheckResult, PreflightReport
from wms_connector.topics import CAPTURED_TABLE_NAMES

ORACLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_$#]{0,127}")


@dataclass(frozen=True)
class PreflightTarget:
    """What the stage captures and needs: its tables, the PDB (`usePdb`) and the heartbeat table."""

    tables: tuple[str, ...] = CAPTURED_TABLE_NAMES
    pdb: str | None = None
    heartbeat_table: str | None = None
    signal_table: str | None = None  # SCHEMA.TABLE of `signal.data.collection`, when incremental snapshots are set up
    archive_destination_name: str | None = None  # the `archiveDestinationName` option
    rac_nodes: tuple[str, ...] = ()  # the `racNodes` option
    port: int | None = None  # dbInfo's port, for the racNodes it suggests


class QueryRefused(Exception):
    def __init__(self, query: str, error: BaseException) -> None:
        # Oracle's message starts with its code (ORA-00942: table or view does not exist); no value is in it.
        super().__init__(str(error).splitlines()[0] if str(error) else type(error).__name__)
        self.query = query


def _split(table: str) -> dict[str, str]:
    owner, _, name = table.partition(".")
    return {"owner": owner, "table_name": name}


def run_preflight(connection: Any, target: PreflightTarget) -> PreflightReport:
    cursor = connection.cursor()

    def rows(query: str, params: Mapping[str, Any] | None = None) -> list[Sequence[Any]]:
        try:
            cursor.execute(query, dict(params or {}))
            return list(cursor.fetchall())
        except Exception as error:  # noqa: BLE001 - any driver error is this query's answer
            raise QueryRefused(query, error) from None

    user = str(rows(sql.SESSION_USER)[0][0])
    results: list[CheckResult] = []

    def check(name: str, fix: Sequence[str], verdict: Callable[[], CheckResult | list[CheckResult]]) -> None:
        try:
            outcome = verdict()
        except QueryRefused as refused:
            results.append(CheckResult(name, FAIL, f"Oracle refused the check's query: {refused}", tuple(fix)))
            return
        results.extend(outcome if isinstance(outcome, list) else [outcome])

    # Answers later checks depend on are kept here; a refused one fails its own check and counts as "no".
    cdb_rows: list[Sequence[Any]] = []

    def multitenant() -> list[CheckResult]:
        cdb_rows.extend(rows(sql.IS_CDB))
        return []  # no line of its own: it decides whether the grants need CONTAINER=ALL

    check("Multitenant", sql.fix_select_on("V_$DATABASE", user), multitenant)
    cdb = bool(cdb_rows) and str(cdb_rows[0][0]) == "YES"
    database_fix = sql.fix_select_on("V_$DATABASE", user, cdb)
    check("ARCHIVELOG mode", database_fix, lambda: checks.archivelog(rows(sql.LOG_MODE)))
    supplemental: list[Sequence[Any]] = []

    def database_logging() -> CheckResult:
        supplemental.extend(rows(sql.DATABASE_SUPPLEMENTAL_LOGGING))
        return checks.database_supplemental_logging(supplemental)

    check("Database supplemental logging", database_fix, database_logging)
    all_columns = bool(supplemental) and str(supplemental[0][1]) == "YES"
    redo_fix = sql.fix_select_on("V_$LOG", user, cdb)
    check("Redo log groups", redo_fix, lambda: checks.redo_logs(rows(sql.REDO_LOG_GROUPS)))
    check(
        "Archive log destination", sql.fix_select_on("V_$ARCHIVE_DEST_STATUS", user, cdb),
        lambda: checks.archive_destinations(rows(sql.ARCHIVE_DESTINATIONS), target.archive_destination_name),
    )
    check(
        "Redo threads (RAC)", sql.fix_select_on("V_$THREAD", user, cdb),
        lambda: checks.redo_threads(
            rows(sql.REDO_THREADS), rows(sql.RAC_HOSTS), target.rac_nodes, target.port
        ),
    )
    session_privileges: list[Sequence[Any]] = []

    def privileges() -> list[CheckResult]:
        session_privileges.extend(rows(sql.SESSION_PRIVILEGES))
        return checks.privileges(user, cdb, session_privileges, rows(sql.SESSION_ROLES))

    check("Privileges", [], privileges)
    check(
        "LogMiner views and packages", [],
        lambda: checks.logminer_objects(user, cdb, rows(sql.VISIBLE_LOGMINER_VIEWS), rows(sql.EXECUTABLE_PACKAGES)),
    )
    pdb = target.pdb
    if pdb and not ORACLE_NAME.fullmatch(pdb):
        # It goes into ALTER SESSION SET CONTAINER, which takes no bind variable.
        results.append(CheckResult("Pluggable database", FAIL, "dbInfo's pdb is not an Oracle name", ()))
        return PreflightReport(user, tuple(results))
    if pdb:
        check(f"Pluggable database {pdb}", [], lambda: checks.pdb(pdb, rows(sql.PDB_OPEN_MODE, {"pdb": pdb})))
        try:
            cursor.execute(sql.set_container(pdb))
        except Exception as error:  # noqa: BLE001 - the driver's error is the answer
            refused = str(error).splitlines()[0] if str(error) else type(error).__name__
            results.append(CheckResult(f"Session in {pdb}", FAIL, f"Oracle refused to switch: {refused}",
                                       tuple(sql.fix_grant("SET CONTAINER", user, cdb))))
            return PreflightReport(user, tuple(results))
        # Where Debezium checks the tables and writes its flush table and heartbeat: what a PDB-local grant
        # gives or lacks shows only here.
        pdb_privileges: list[Sequence[Any]] = []

        def privileges_in_pdb() -> list[CheckResult]:
            pdb_privileges.extend(rows(sql.SESSION_PRIVILEGES))
            return checks.privileges(user, cdb, pdb_privileges, rows(sql.SESSION_ROLES), container=pdb)

        check(f"Privileges in {pdb}", [], privileges_in_pdb)
        session_privileges = pdb_privileges
    _container_checks(check, rows, target, user, all_columns, session_privileges)
    if pdb:
        cursor.execute(sql.set_container(sql.ROOT_CONTAINER))
    return PreflightReport(user, tuple(results))


def _container_checks(
    check: Callable[..., None], rows: Callable[..., list[Sequence[Any]]], target: PreflightTarget, user: str,
    all_columns: bool, session_privileges: list[Sequence[Any]],
) -> None:
    """The checks Debezium makes in the container it captures from: the tables, the heartbeat table, the quota."""
    for table in target.tables:
        check(
            f"ALL COLUMNS supplemental logging on {table}",
            sql.fix_table_supplemental_logging(table),
            lambda table=table: checks.table_supplemental_logging(
                table, int(rows(sql.TABLE_VISIBLE, _split(table))[0][0]),
                rows(sql.TABLE_LOG_GROUPS, _split(table)), all_columns, user,
            ),
        )
    written = ((checks.HEARTBEAT, target.heartbeat_table), (checks.SIGNALS, target.signal_table))
    for kind, table in written:
        if table:
            check(
                f"{kind.kind} {table}",
                kind.create(table, user),
                lambda kind=kind, table=table: checks.written_table(
                    kind, table, user, int(rows(sql.TABLE_VISIBLE, _split(table))[0][0]),
                    rows(sql.TABLE_LOG_GROUPS, _split(table)), rows(sql.TABLE_PRIVILEGES, _split(table)),
                    session_privileges,
                ),
            )
    where = f" in {target.pdb}" if target.pdb else ""
    check(
        f"Tablespace quota{where}", [],
        lambda: checks.tablespace_quota(
            user, rows(sql.DEFAULT_TABLESPACE), rows(sql.TABLESPACE_QUOTAS), session_privileges, target.pdb
        ),
    )


def render(report: Mapping[str, Any]) -> list[str]:
    """The checklist, from the report as the admin returns it (`PreflightReport.to_dict`): one line per check,
    the fix SQL under each failure or warning, a verdict last."""
    results = report.get("checks") or []
    lines = [f"Database preflight as {report.get('user')}:"]
    for result in results:
        lines.append(f"  {result['status'].upper():4}  {result['check']}: {result['detail']}")
        lines.extend(f"        {line}" for statement in result.get("fix") or () for line in statement.splitlines())
    failed = sum(result["status"] == checks.FAIL for result in results)
    warned = sum(result["status"] == checks.WARN for result in results)
    if failed:
        lines.append(f"UNHEALTHY: {failed} check(s) failed; a DBA runs the SQL under each (as SYSDBA).")
    else:
        lines.append(f"OK: the database is ready for capture ({warned} warning(s)).")
    return lines

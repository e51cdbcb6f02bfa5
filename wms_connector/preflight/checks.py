"""The preflight's verdicts, one pure function per check: rows as Oracle returns them in, checklist lines out.

Each line says what was checked, what was found, and for a failure the SQL a DBA runs to fix it (sql.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wms_connector.preflight import sql

PASS, WARN, FAIL = "pass", "warn", "fail"


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: str
    detail: str
    fix: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status, "detail": self.detail, "fix": list(self.fix)}


@dataclass(frozen=True)
class PreflightReport:
    user: str
    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(result.status != FAIL for result in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "user": self.user, "checks": [result.to_dict() for result in self.results]}


def _failed(check: str, detail: str, fix: Sequence[str]) -> CheckResult:
    return CheckResult(check, FAIL, detail, tuple(fix))


def _first(rows: Sequence[Sequence[Any]]) -> Sequence[Any]:
    return rows[0] if rows else ()


def archivelog(rows: Sequence[Sequence[Any]]) -> CheckResult:
    mode = str(_first(rows)[0]) if rows else "unknown"
    if mode == "ARCHIVELOG":
        return CheckResult("ARCHIVELOG mode", PASS, "V$DATABASE.LOG_MODE is ARCHIVELOG")
    detail = f"V$DATABASE.LOG_MODE is {mode}: LogMiner reads archived logs"
    return _failed("ARCHIVELOG mode", detail, sql.fix_archivelog())


# Debezium 3.6.1 (AbstractLogMinerStreamingChangeEventSource.isDatabaseMinSupplementalLoggingEnabled) accepts YES
# and IMPLICIT (ADD SUPPLEMENTAL LOG DATA SUBSET DATABASE REPLICATION), or SUPPLEMENTAL_LOG_DATA_ALL = YES.
def database_supplemental_logging(rows: Sequence[Sequence[Any]]) -> CheckResult:
    minimal, all_columns = (str(value) for value in _first(rows)) if rows else ("unknown", "unknown")
    if minimal in ("YES", "IMPLICIT") or all_columns == "YES":
        return CheckResult("Database supplemental logging", PASS, f"SUPPLEMENTAL_LOG_DATA_MIN is {minimal}")
    return CheckResult(
        "Database supplemental logging", FAIL, f"SUPPLEMENTAL_LOG_DATA_MIN is {minimal}",
        tuple(sql.fix_database_supplemental_logging()),
    )


def table_supplemental_logging(
    table: str, visible: int, log_groups: Iterable[Sequence[Any]], database_all_columns: bool, user: str
) -> CheckResult:
    check = f"ALL COLUMNS supplemental logging on {table}"
    if not visible:
        return _failed(check, f"{user} cannot see {table} (ALL_TABLES)", sql.fix_table_select(table, user))
    if database_all_columns:
        return CheckResult(check, PASS, "the database logs all columns (SUPPLEMENTAL_LOG_DATA_ALL is YES)")
    types = {str(row[0]) for row in log_groups}
    if "ALL COLUMN LOGGING" in types:
        return CheckResult(check, PASS, "ALL_LOG_GROUPS has ALL COLUMN LOGGING")
    found = ", ".join(sorted(types)) or "no log group"
    return _failed(check, f"{found}: only changed columns would be captured", sql.fix_table_supplemental_logging(table))


def privileges(
    user: str, cdb: bool, session_privileges: Iterable[Sequence[Any]], session_roles: Iterable[Sequence[Any]],
    container: str | None = None,
) -> list[CheckResult]:
    """`container`: the PDB the session was switched to (a grant local to the root or to another PDB is not
    held there); None in the root or a non-CDB."""
    held = {str(row[0]) for row in session_privileges}
    roles = {str(row[0]) for row in session_roles}
    needed = (*sql.SYSTEM_PRIVILEGES, *(sql.CDB_PRIVILEGES if cdb else ()))
    where = f" in {container}" if container else ""
    results = [
        CheckResult(f"Privilege {name}{where}", PASS, "held")
        if name in held
        else CheckResult(
            f"Privilege {name}{where}", FAIL, "not held (SESSION_PRIVS)", tuple(sql.fix_grant(name, user, cdb))
        )
        for name in needed
    ]
    results += [
        CheckResult(f"Role {role}{where}", PASS, "enabled")
        if role in roles
        else CheckResult(
            f"Role {role}{where}", FAIL, "not enabled (SESSION_ROLES)", tuple(sql.fix_grant(role, user, cdb))
        )
        for role in sql.ROLES
    ]
    return results


def logminer_objects(
    user: str, cdb: bool, visible_views: Iterable[Sequence[Any]], packages: Iterable[Sequence[Any]]
) -> list[CheckResult]:
    views = {str(row[0]) for row in visible_views}
    executable = {str(row[0]) for row in packages}
    results = [
        CheckResult(f"SELECT on {view}", PASS, "granted")
        if view in views
        else _failed(f"SELECT on {view}", "not visible (ALL_VIEWS)", sql.fix_select_on(view, user, cdb))
        for view in sql.VIEWS
    ]
    results += [
        CheckResult(f"EXECUTE on {package}", PASS, "granted")
        if package in executable
        else CheckResult(
            f"EXECUTE on {package}", FAIL, "not visible (ALL_OBJECTS)", tuple(sql.fix_execute_on(package, user, cdb))
        )
        for package in sql.PACKAGES
    ]
    return results


def redo_logs(rows: Sequence[Sequence[Any]]) -> CheckResult:
    """rows: (GROUP#, THREAD#, BYTES, MEMBERS). A warning, not a failure: capture works, but falls behind."""
    check = "Redo log groups"
    groups = [(int(row[0]), int(row[2])) for row in rows]
    small = [group for group, size in groups if size < sql.MIN_REDO_BYTES]
    sizes = ", ".join(f"#{group} {size // (1024 * 1024)} MB" for group, size in groups) or "none"
    if len(groups) >= sql.MIN_REDO_GROUPS and not small:
        return CheckResult(check, PASS, sizes)
    minimum = f"at least {sql.MIN_REDO_GROUPS} groups of {sql.MIN_REDO_BYTES // (1024 * 1024)} MB"
    missing = max(sql.MIN_REDO_GROUPS - (len(groups) - len(small)), 0)
    next_group = max((group for group, _ in groups), default=0) + 1
    fix = sql.fix_redo_groups(next_group, missing)
    return CheckResult(check, WARN, f"{sizes}; this project's guidance is {minimum}", tuple(fix))


def pdb(name: str, rows: Sequence[Sequence[Any]]) -> CheckResult:
    check = f"Pluggable database {name}"
    if not rows:
        return CheckResult(check, FAIL, "not in V$PDBS: check dbInfo's pdb", ())
    mode = str(rows[0][1])
    if mode == "READ WRITE":
        return CheckResult(check, PASS, "open READ WRITE")
    return CheckResult(check, FAIL, f"open mode is {mode}", tuple(sql.fix_pdb_open(name)))


@dataclass(frozen=True)
class WrittenTable:
    """A table Debezium writes to as the CDC user: what it is for, the privileges it needs, and its DBA SQL."""

    kind: str  # "Heartbeat table", "Signalling table"
    privileges: tuple[str, ...]
    why: str  # what the privileges are for
    create: Callable[[str, str], list[str]]  # (table, user) -> the SQL that creates and grants it


# The heartbeat action query is a MERGE; incremental snapshots insert their watermarks into the signalling table
# (SignalBasedIncrementalSnapshotChangeEventSource: INSERT INTO <table> VALUES (?, ?, ?)).
HEARTBEAT = WrittenTable("Heartbeat table", sql.HEARTBEAT_PRIVILEGES, "the heartbeat MERGE", sql.fix_heartbeat_table)
SIGNALS = WrittenTable("Signalling table", ("INSERT",), "Debezium's watermarks", sql.fix_signal_table)


def written_table(
    kind: WrittenTable, table: str, user: str, visible: int, log_groups: Iterable[Sequence[Any]],
    granted: Iterable[Sequence[Any]], session_privileges: Iterable[Sequence[Any]],
) -> CheckResult:
    """Present, logged (its changes are mined back), and writable by the CDC user."""
    check = f"{kind.kind} {table}"
    if not visible:
        return _failed(check, "missing, or not visible to the CDC user", kind.create(table, user))
    problems, fix = [], []
    if "ALL COLUMN LOGGING" not in {str(row[0]) for row in log_groups}:
        problems.append("no ALL COLUMNS supplemental logging")
        fix += sql.fix_table_supplemental_logging(table)
    held = {str(row[0]) for row in granted} | {
        str(row[0]).removesuffix(" ANY TABLE") for row in session_privileges if str(row[0]).endswith(" ANY TABLE")
    }
    owner = table.split(".", 1)[0]
    missing = [] if owner == user else [p for p in kind.privileges if p not in held]
    if missing:
        problems.append(f"no {' or '.join(missing)} privilege for {kind.why}")
        fix.append(f"GRANT {', '.join(missing)} ON {table} TO {user};")
    if problems:
        return CheckResult(check, FAIL, "; ".join(problems), tuple(fix))
    return CheckResult(check, PASS, "present, logged, writable")


def tablespace_quota(
    user: str, default_tablespace: Sequence[Sequence[Any]], quotas: Iterable[Sequence[Any]],
    session_privileges: Iterable[Sequence[Any]], pdb: str | None,
) -> CheckResult:
    """Debezium creates its flush table in the CDC user's default tablespace at the first start of streaming;
    without a quota there that start fails with ORA-01950."""
    where = f" in {pdb}" if pdb else ""
    check = f"Tablespace quota{where}"
    if "UNLIMITED TABLESPACE" in {str(row[0]) for row in session_privileges}:
        return CheckResult(check, PASS, "UNLIMITED TABLESPACE held")
    tablespace = str(_first(default_tablespace)[0]) if default_tablespace else "unknown"
    quota = {str(row[0]): int(row[1]) for row in quotas}.get(tablespace)
    if quota is not None and quota != 0:
        shown = "unlimited" if quota < 0 else f"{quota // (1024 * 1024)} MB"
        return CheckResult(check, PASS, f"{shown} on the default tablespace {tablespace}")
    detail = (f"no quota on the default tablespace {tablespace}: Debezium's first start creates its flush table "
              "there and fails with ORA-01950")
    return _failed(check, detail, sql.fix_quota(user, tablespace, pdb))


def archive_destinations(rows: Sequence[Sequence[Any]], configured: str | None) -> CheckResult:
    """rows: (DEST_ID, DEST_NAME, STATUS, TYPE). Debezium reads the configured destination, or the first VALID and
    LOCAL one of LOG_ARCHIVE_DEST_1.._31 (ArchiveDestinationNameResolver)."""
    check = "Archive log destination"
    usable = [str(row[1]) for row in rows if str(row[2]) == "VALID" and str(row[3]) == "LOCAL"]
    if configured:
        names = [name.strip() for name in configured.split(",")]
        known = {str(row[1]) for row in rows}
        unknown = [name for name in names if name not in known]
        if unknown:
            return _failed(check, f"{', '.join(unknown)} unknown to V$ARCHIVE_DEST_STATUS (archiveDestinationName)",
                           ())
        if not any(name in usable for name in names):
            return _failed(check, f"none of {configured} is VALID and LOCAL (archiveDestinationName)", ())
        reads = next(name for name in names if name in usable)
        return CheckResult(check, PASS, f"archiveDestinationName {configured}: Debezium reads {reads}")
    if not usable:
        return _failed(check, "no VALID, LOCAL destination in V$ARCHIVE_DEST_STATUS: Debezium cannot start", ())
    if len(usable) == 1:
        return CheckResult(check, PASS, f"{usable[0]}, the only VALID, LOCAL one")
    return CheckResult(
        check, WARN,
        f"{len(usable)} VALID, LOCAL destinations ({', '.join(usable)}): Debezium reads {usable[0]}, the first. "
        "If the DBA keeps archive logs longer in another, name it",
        (f"connector option: archiveDestinationName: {usable[0]}",),
    )


def redo_threads(
    threads: Sequence[Sequence[Any]], hosts: Sequence[Sequence[Any]], rac_nodes: tuple[str, ...], port: int | None,
) -> CheckResult:
    """threads: (THREAD#, STATUS, ENABLED) of V$THREAD; hosts: (INST_ID, HOST_NAME) of GV$INSTANCE."""
    check = "Redo threads (RAC)"
    enabled = [int(row[0]) for row in threads if str(row[2]) != "DISABLED"]
    if len(enabled) <= 1:
        if rac_nodes:
            return CheckResult(check, WARN, "one redo thread, but racNodes is set: this is not RAC; remove it")
        return CheckResult(check, PASS, "one redo thread: not RAC")
    if rac_nodes:
        if len(rac_nodes) < len(enabled):
            return _failed(check, f"{len(enabled)} redo threads but racNodes names {len(rac_nodes)} node(s): "
                           "Debezium would not flush every node's log writer", ())
        return CheckResult(check, PASS, f"{len(enabled)} redo threads, racNodes names {len(rac_nodes)} nodes")
    suggestion = ",".join(f"{row[1]}:{port}" if port else str(row[1]) for row in hosts)
    return _failed(
        check,
        f"{len(enabled)} redo threads (RAC) and no racNodes: Debezium flushes only the log writer of the node it "
        "is connected to, so changes made on the others reach it late, when their logs switch",
        (f"connector option: racNodes: {suggestion or '<host:port of each node>'}",),
    )

"""A DB-API connection double for the code that talks to Oracle (the preflight, the health check's database probe).

Oracle cannot run on these machines. `OracleDouble` answers each statement of wms_connector/preflight/sql.py with
rows shaped as Oracle returns them through python-oracledb: tuples, VARCHAR2 columns as str (`'ARCHIVELOG'`, `'YES'`,
`'ALL COLUMN LOGGING'`, `'READ WRITE'`, `'VALID'`, `'LOCAL'`), NUMBER columns as int (`COUNT(*)`, `GROUP#`,
`BYTES`, `FIRST_CHANGE#`, `MAX_BYTES` with -1 for unlimited) or float (a computed number of hours), and a refused
query as `oracledb.DatabaseError` with Oracle's message (`ORA-00942: table or view does not exist`). Column names
and values follow Debezium's Oracle documentation and the queries Debezium 3.6.1 runs (each text found in the
pinned jar by tests/integration/test_pinned_jar_facts.py).
"""

from __future__ import annotations

from wms_connector.preflight import sql

USER = "C##WMSCDC"
MB = 1024 * 1024


def _table(params: dict) -> str:
    return f"{params['owner']}.{params['table_name']}"


class OracleDouble:
    """A DB-API connection: `cursor().execute(statement, params)` then `fetchall()`. `answers` maps each statement
    to rows, or to a function of the bind parameters giving rows; an exception instance is raised instead.
    `ALTER SESSION SET CONTAINER = X` switches the session's container, as Oracle does; `in_container` maps
    (container, statement) to what that statement answers there (a PDB-local grant, a table only in the PDB), and
    `ran_in` records the container each statement ran in."""

    def __init__(self, answers: dict[str, object], in_container: dict[tuple[str, str], object] | None = None) -> None:
        self.answers = answers
        self.in_container = in_container or {}
        self.closed = False
        self.executed: list[str] = []
        self.container = sql.ROOT_CONTAINER
        self.ran_in: list[tuple[str, str]] = []

    def cursor(self) -> OracleDouble:
        return self

    def execute(self, statement: str, params: dict | None = None) -> None:
        self.executed.append(statement)
        if statement.startswith("ALTER SESSION SET CONTAINER = "):
            self.container = statement.removeprefix("ALTER SESSION SET CONTAINER = ")
            self._rows = []
            return
        self.ran_in.append((self.container, statement))
        answer = self.in_container.get((self.container, statement), self.answers[statement])
        if isinstance(answer, BaseException):
            raise answer
        self._rows = answer(params or {}) if callable(answer) else answer

    def fetchall(self) -> list[tuple]:
        return list(self._rows)

    def close(self) -> None:
        self.closed = True


def ready_database(in_container: dict[tuple[str, str], object] | None = None, **changes: object) -> OracleDouble:
    """A database ready for capture (a CDB with one PDB), then `changes` to what one statement answers."""
    answers: dict[str, object] = {
        sql.SESSION_USER: [(USER,)],
        sql.IS_CDB: [("YES",)],
        sql.LOG_MODE: [("ARCHIVELOG",)],
        sql.DATABASE_SUPPLEMENTAL_LOGGING: [("YES", "NO")],
        sql.TABLE_VISIBLE: lambda p: [(1,)],
        sql.TABLE_LOG_GROUPS: lambda p: [("ALL COLUMN LOGGING",)],
        sql.SESSION_PRIVILEGES: [(p,) for p in (*sql.SYSTEM_PRIVILEGES, *sql.CDB_PRIVILEGES, "UNLIMITED TABLESPACE")],
        sql.SESSION_ROLES: [("SELECT_CATALOG_ROLE",), ("EXECUTE_CATALOG_ROLE",), ("HS_ADMIN_SELECT_ROLE",)],
        sql.VISIBLE_LOGMINER_VIEWS: [(v,) for v in (*sql.VIEWS, "V_$SESSION", "V_$INSTANCE")],
        sql.EXECUTABLE_PACKAGES: [("DBMS_LOGMNR",), ("DBMS_LOGMNR_D",), ("DBMS_OUTPUT",)],
        sql.REDO_LOG_GROUPS: [(1, 1, 1024 * MB, 2), (2, 1, 1024 * MB, 2), (3, 1, 1024 * MB, 2)],
        sql.PDB_OPEN_MODE: lambda p: [(p["pdb"], "READ WRITE")],
        sql.TABLE_PRIVILEGES: lambda p: [("INSERT",), ("UPDATE",), ("SELECT",)],
        sql.DEFAULT_TABLESPACE: [("LOGMINER_TBS",)],
        sql.TABLESPACE_QUOTAS: [("LOGMINER_TBS", -1)],
        sql.ARCHIVE_DESTINATIONS: [(1, "LOG_ARCHIVE_DEST_1", "VALID", "LOCAL"), (2, "LOG_ARCHIVE_DEST_2", "INACTIVE",
                                                                                  "LOCAL")],
        sql.REDO_THREADS: [(1, "OPEN", "PUBLIC")],
        sql.RAC_HOSTS: [(1, "db-node-1")],
        # The archive logs on disk of LOG_ARCHIVE_DEST_1: the oldest from SCN 1000, 30.5 hours old; online from 5000.
        sql.ARCHIVED_LOGS_ON_DISK: lambda p: (
            [(1000, 30.5)] if p.get("dest") == "LOG_ARCHIVE_DEST_1" else [(None, None)]
        ),
        sql.ONLINE_LOGS_OLDEST: [(5000,)],
        # Start positions: nothing open, N a minute old, undo kept 15 minutes (Oracle's default UNDO_RETENTION),
        # no DDL on the captured tables since.
        sql.OPEN_TRANSACTIONS: lambda p: [],
        sql.OPEN_TRANSACTIONS_RAC: lambda p: [],
        sql.COMMITTED_SINCE: lambda p: [],
        sql.SCN_AGE_SECONDS: lambda p: [(60,)],
        sql.UNDO_RETENTION_SECONDS: [(900,)],
        sql.DDL_SINCE: lambda p: [],
    }
    answers.update({getattr(sql, key): value for key, value in changes.items()})
    return OracleDouble(answers, in_container)

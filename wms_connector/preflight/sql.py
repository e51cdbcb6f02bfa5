"""Every statement of the database preflight: what it asks Oracle, and what a DBA runs to fix what fails.

The one home of this SQL: the checks (checks.py) read the rows of these queries, the runner (run.py) sends them,
and the deploy guide's DBA statements are generated from the fix templates here. Names and shapes follow
Debezium's Oracle documentation (the LogMiner user's grants) and the queries Debezium 3.6.1 itself runs
(`SqlUtils`: `SUPPLEMENTAL_LOG_DATA_MIN`/`_ALL` of V$DATABASE, `LOG_GROUP_TYPE` of ALL_LOG_GROUPS; the LogMiner
streaming source: 'ALL COLUMN LOGGING', `SELECT GROUP#, BYTES FROM V$LOG`).
"""

from __future__ import annotations

# -- what is asked -----------------------------------------------------------------------------------------------

SESSION_USER = "SELECT USER FROM DUAL"
LOG_MODE = "SELECT LOG_MODE FROM V$DATABASE"
DATABASE_SUPPLEMENTAL_LOGGING = "SELECT SUPPLEMENTAL_LOG_DATA_MIN, SUPPLEMENTAL_LOG_DATA_ALL FROM V$DATABASE"
IS_CDB = "SELECT CDB FROM V$DATABASE"
TABLE_VISIBLE = "SELECT COUNT(*) FROM ALL_TABLES WHERE OWNER = :owner AND TABLE_NAME = :table_name"
TABLE_LOG_GROUPS = "SELECT LOG_GROUP_TYPE FROM ALL_LOG_GROUPS WHERE OWNER = :owner AND TABLE_NAME = :table_name"
SESSION_PRIVILEGES = "SELECT PRIVILEGE FROM SESSION_PRIVS"
SESSION_ROLES = "SELECT ROLE FROM SESSION_ROLES"
# Views and packages the user may use, directly or through a role (ALL_* list only those).
VISIBLE_LOGMINER_VIEWS = "SELECT VIEW_NAME FROM ALL_VIEWS WHERE OWNER = 'SYS' AND VIEW_NAME LIKE 'V\\_$%' ESCAPE '\\'"
EXECUTABLE_PACKAGES = "SELECT OBJECT_NAME FROM ALL_OBJECTS WHERE OWNER = 'SYS' AND OBJECT_TYPE = 'PACKAGE'"
REDO_LOG_GROUPS = "SELECT GROUP#, THREAD#, BYTES, MEMBERS FROM V$LOG ORDER BY GROUP#"
PDB_OPEN_MODE = "SELECT NAME, OPEN_MODE FROM V$PDBS WHERE NAME = :pdb"
TABLE_PRIVILEGES = "SELECT PRIVILEGE FROM ALL_TAB_PRIVS WHERE TABLE_SCHEMA = :owner AND TABLE_NAME = :table_name"
# Where the CDC user's flush table goes (CommitLogWriterFlushStrategy: CREATE TABLE LOG_MINING_FLUSH (LAST_SCN
# NUMBER(19,0)) in its default tablespace, in the PDB when there is one): a quota there, or UNLIMITED TABLESPACE.
DEFAULT_TABLESPACE = "SELECT DEFAULT_TABLESPACE FROM USER_USERS"
TABLESPACE_QUOTAS = "SELECT TABLESPACE_NAME, MAX_BYTES FROM USER_TS_QUOTAS"
# ArchiveDestinationNameResolver: without archive.destination.name Debezium reads the first of LOG_ARCHIVE_DEST_1
# .. _31 whose V$ARCHIVE_DEST_STATUS row is VALID and LOCAL.
ARCHIVE_DESTINATIONS = "SELECT DEST_ID, DEST_NAME, STATUS, TYPE FROM V$ARCHIVE_DEST_STATUS ORDER BY DEST_ID"
# More than one redo thread is RAC: Debezium then needs rac.nodes to flush every node's log writer
# (RacCommitLogWriterFlushStrategy) and to read GV$TRANSACTION.
REDO_THREADS = "SELECT THREAD#, STATUS, ENABLED FROM V$THREAD ORDER BY THREAD#"
RAC_HOSTS = "SELECT INST_ID, HOST_NAME FROM GV$INSTANCE ORDER BY INST_ID"
# The health check's database probe: the archive logs of the destination Debezium reads that are still on disk
# (LogFileCollector reads V$ARCHIVED_LOG rows with STATUS 'A' and DELETED 'NO'), their oldest SCN and how old the
# oldest is on the database's own clock, and the oldest SCN of the online redo.
ARCHIVED_LOGS_ON_DISK = (
    "SELECT MIN(A.FIRST_CHANGE#), (SYSDATE - MIN(A.FIRST_TIME)) * 24 FROM V$ARCHIVED_LOG A "
    "JOIN V$ARCHIVE_DEST_STATUS D ON D.DEST_ID = A.DEST_ID "
    "WHERE D.DEST_NAME = :dest AND A.STATUS = 'A' AND A.DELETED = 'NO'"
)
ONLINE_LOGS_OLDEST = "SELECT MIN(FIRST_CHANGE#) FROM V$LOG"
# A start position (start_position.py): which transactions were open at an SCN N, so the offset can start before
# the oldest of them. Those still open now (V$TRANSACTION, GV$TRANSACTION on RAC, as Debezium's own snapshot reads
# them: AbstractLogMinerStreamingAdapter.getPendingTransactions), and those that have committed since, from the
# undo (FLASHBACK_TRANSACTION_QUERY, which needs SELECT ANY TRANSACTION). Undo is kept for about
# TUNED_UNDORETENTION seconds after a commit, so the second list is complete only when N is younger than that.
OPEN_TRANSACTIONS = "SELECT RAWTOHEX(XID), START_SCN FROM V$TRANSACTION WHERE START_SCN < :scn ORDER BY START_SCN"
OPEN_TRANSACTIONS_RAC = (
    "SELECT RAWTOHEX(XID), START_SCN FROM GV$TRANSACTION WHERE START_SCN < :scn ORDER BY START_SCN"
)
COMMITTED_SINCE = (
    "SELECT RAWTOHEX(XID), MIN(START_SCN), MAX(COMMIT_SCN) FROM FLASHBACK_TRANSACTION_QUERY "
    "WHERE START_SCN < :scn AND COMMIT_SCN >= :scn GROUP BY XID ORDER BY 2"
)
# How many seconds ago N was (ORA-08181 when it is too old for Oracle to tell), and how long undo is kept.
SCN_AGE_SECONDS = (
    "SELECT ROUND((CAST(SYSTIMESTAMP AS DATE) - CAST(SCN_TO_TIMESTAMP(:scn) AS DATE)) * 86400) FROM DUAL"
)
UNDO_RETENTION_SECONDS = "SELECT MIN(TUNED_UNDORETENTION) FROM V$UNDOSTAT"
# A captured table whose structure changed at or after N (LAST_DDL_TIME; grants and rebuilds move it too, so a
# hit means "may").
DDL_SINCE = (
    "SELECT TO_CHAR(LAST_DDL_TIME, 'YYYY-MM-DD HH24:MI:SS') FROM ALL_OBJECTS WHERE OBJECT_TYPE = 'TABLE' "
    "AND OWNER = :owner AND OBJECT_NAME = :table_name AND LAST_DDL_TIME >= CAST(SCN_TO_TIMESTAMP(:scn) AS DATE)"
)
# OracleConnection.setSessionToPdb / resetSessionToCdb: Debezium checks tables and writes its flush table and
# heartbeat in the PDB, and mines from the root.
ROOT_CONTAINER = "CDB$ROOT"


def set_container(container: str) -> str:
    """`container` is dbInfo's pdb, checked as an Oracle name by the caller, or ROOT_CONTAINER."""
    return f"ALTER SESSION SET CONTAINER = {container}"

# -- what Debezium's LogMiner user needs ------------------------------------------------------------------------

SYSTEM_PRIVILEGES = (
    "CREATE SESSION", "LOGMINING", "FLASHBACK ANY TABLE", "SELECT ANY TABLE", "SELECT ANY TRANSACTION",
    "CREATE TABLE", "LOCK ANY TABLE", "CREATE SEQUENCE",
)
CDB_PRIVILEGES = ("SET CONTAINER",)  # only in a multitenant database
ROLES = ("SELECT_CATALOG_ROLE", "EXECUTE_CATALOG_ROLE")
PACKAGES = ("DBMS_LOGMNR", "DBMS_LOGMNR_D")
VIEWS = (
    "V_$DATABASE", "V_$LOG", "V_$LOG_HISTORY", "V_$LOGFILE", "V_$ARCHIVED_LOG", "V_$ARCHIVE_DEST_STATUS",
    "V_$LOGMNR_LOGS", "V_$LOGMNR_CONTENTS", "V_$LOGMNR_PARAMETERS", "V_$TRANSACTION", "V_$MYSTAT", "V_$STATNAME",
)
# This project's redo guidance, not Debezium's (its documentation, "Redo log sizing", gives no figure: the redo
# must hold the data dictionary, and the DBA judges the capacity): 50 MB logs (Oracle XE's default) switch every
# few seconds under load, and LogMiner reads per log, so at least three groups of 200 MB.
MIN_REDO_GROUPS = 3
MIN_REDO_BYTES = 200 * 1024 * 1024
HEARTBEAT_PRIVILEGES = ("INSERT", "UPDATE")  # the heartbeat action query is a MERGE

# -- what a DBA runs (as SYSDBA) ---------------------------------------------------------------------------------


def fix_archivelog() -> list[str]:
    return ["SHUTDOWN IMMEDIATE;", "STARTUP MOUNT;", "ALTER DATABASE ARCHIVELOG;", "ALTER DATABASE OPEN;"]


def fix_database_supplemental_logging() -> list[str]:
    return ["ALTER DATABASE ADD SUPPLEMENTAL LOG DATA;"]


def fix_table_supplemental_logging(table: str) -> list[str]:
    return [f"ALTER TABLE {table} ADD SUPPLEMENTAL LOG DATA (ALL) COLUMNS;"]


def _to(user: str, cdb: bool) -> str:
    return f"TO {user}" + (" CONTAINER=ALL" if cdb else "")


def fix_grant(privilege: str, user: str, cdb: bool = False) -> list[str]:
    return [f"GRANT {privilege} {_to(user, cdb)};"]


def fix_select_on(view: str, user: str, cdb: bool = False) -> list[str]:
    return [f"GRANT SELECT ON {view} {_to(user, cdb)};"]


def fix_execute_on(package: str, user: str, cdb: bool = False) -> list[str]:
    return [f"GRANT EXECUTE ON {package} {_to(user, cdb)};"]


def fix_table_select(table: str, user: str) -> list[str]:
    return [f"GRANT SELECT ON {table} TO {user};"]


def fix_redo_groups(next_group: int, missing: int) -> list[str]:
    size_mb = MIN_REDO_BYTES // (1024 * 1024)
    statements = [f"ALTER DATABASE ADD LOGFILE GROUP {next_group + i} SIZE {size_mb}M;" for i in range(missing)]
    return [*statements, "-- then, for each smaller group once V$LOG shows it INACTIVE: "
            "ALTER DATABASE DROP LOGFILE GROUP <n>;"]


def fix_quota(user: str, tablespace: str, pdb: str | None = None) -> list[str]:
    """A quota in the container where the flush table is created (the PDB when there is one)."""
    into = [f"{set_container(pdb)};"] if pdb else []
    return [*into, f"ALTER USER {user} QUOTA UNLIMITED ON {tablespace};"]


def fix_pdb_open(pdb: str) -> list[str]:
    return [f"ALTER PLUGGABLE DATABASE {pdb} OPEN;", f"ALTER PLUGGABLE DATABASE {pdb} SAVE STATE;"]


def fix_heartbeat_table(table: str, user: str) -> list[str]:
    return [
        f"CREATE TABLE {table} (\n  STAGE VARCHAR2(64) PRIMARY KEY,\n  LAST_HEARTBEAT TIMESTAMP NOT NULL\n);",
        *fix_table_supplemental_logging(table),
        f"GRANT SELECT, {', '.join(HEARTBEAT_PRIVILEGES)} ON {table} TO {user};",
    ]


def fix_signal_table(table: str, user: str) -> list[str]:
    return [
        # Debezium's signalling table layout (id, type, data).
        f"CREATE TABLE {table} (\n  ID VARCHAR2(42) PRIMARY KEY,\n  TYPE VARCHAR2(32) NOT NULL,\n"
        "  DATA VARCHAR2(2048)\n);",
        *fix_table_supplemental_logging(table),
        f"GRANT SELECT, INSERT ON {table} TO {user};",
    ]


def logminer_user_grants(user: str) -> list[str]:
    """Every grant Debezium's LogMiner user needs (for the deploy guide)."""
    return [
        *(line for privilege in (*SYSTEM_PRIVILEGES, *CDB_PRIVILEGES, *ROLES) for line in fix_grant(privilege, user)),
        *(line for package in PACKAGES for line in fix_execute_on(package, user)),
        *(line for view in VIEWS for line in fix_select_on(view, user)),
    ]

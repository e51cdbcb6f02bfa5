"""The database preflight: each check passing and failing, the fix SQL it prints, the admin action and `ops
preflight`, and that no password is ever shown.

Oracle cannot run on these machines. The queries go to `OracleDouble`, a DB-API connection double that answers
each statement of wms_connector/preflight/sql.py with rows shaped as Oracle returns them through python-oracledb:
tuples, VARCHAR2 columns as str (`'ARCHIVELOG'`, `'YES'`, `'ALL COLUMN LOGGING'`, `'READ WRITE'`), NUMBER columns
as int (`COUNT(*)`, `GROUP#`, `BYTES`), and a refused query as `oracledb.DatabaseError` with Oracle's message
(`ORA-00942: table or view does not exist`). Column names and values follow Debezium's Oracle documentation and
the queries Debezium 3.6.1 runs (each text found in the pinned jar by tests/integration/test_pinned_jar_facts.py).
The connection failure is the real driver (thin mode) against a closed local port.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable

import oracledb
import pytest

from devtools.local.settings import PORTS
from devtools.ops import OK, UNHEALTHY, main
from tests.unit.oracle_double import MB, USER, OracleDouble, _table, ready_database  # noqa: F401
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.protocol import handle
from wms_connector.connect_client import ConnectClient
from wms_connector.preflight import PreflightTarget, render, run_preflight, sql
from wms_connector.preflight.connect import PreflightConnectError, connect
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_TABLE_NAMES

PASSWORD = "Preflight-Pa55word-7f3e9c"  # must never be printed
HEARTBEAT = "WMS.DEBEZIUM_HEARTBEAT"


FULL = PreflightTarget(pdb="ORCLPDB1", heartbeat_table=HEARTBEAT)


def _by_check(report) -> dict:
    return {result.check: result for result in report.results}


def test_a_ready_database_passes_every_check():
    connection = ready_database()
    report = run_preflight(connection, FULL)
    assert report.ok and report.user == USER
    assert {r.status for r in report.results} == {"pass"}
    checks = _by_check(report)
    assert "ARCHIVELOG mode" in checks and "Redo log groups" in checks
    assert all(f"ALL COLUMNS supplemental logging on {t}" in checks for t in CAPTURED_TABLE_NAMES)
    assert {"Privilege SET CONTAINER", "Role SELECT_CATALOG_ROLE", "SELECT on V_$LOGMNR_CONTENTS",
            "EXECUTE on DBMS_LOGMNR", "Pluggable database ORCLPDB1", f"Heartbeat table {HEARTBEAT}"} <= set(checks)


NOT_IN = "WMS.PLAN_WVR_RVSN_TBL"


@pytest.mark.parametrize(
    ("changes", "check", "fix"),
    [
        ({"LOG_MODE": [("NOARCHIVELOG",)]}, "ARCHIVELOG mode", "ALTER DATABASE ARCHIVELOG;"),
        (
            {"DATABASE_SUPPLEMENTAL_LOGGING": [("NO", "NO")]},
            "Database supplemental logging",
            "ALTER DATABASE ADD SUPPLEMENTAL LOG DATA;",
        ),
        (
            {"TABLE_LOG_GROUPS": lambda p: [] if _table(p) == NOT_IN else [("ALL COLUMN LOGGING",)]},
            f"ALL COLUMNS supplemental logging on {NOT_IN}",
            f"ALTER TABLE {NOT_IN} ADD SUPPLEMENTAL LOG DATA (ALL) COLUMNS;",
        ),
        (
            {"TABLE_LOG_GROUPS": lambda p: [("PRIMARY KEY LOGGING",)] if _table(p) == "MMDL.PLAN_BASE_WVR_TBL"
             else [("ALL COLUMN LOGGING",)]},
            "ALL COLUMNS supplemental logging on MMDL.PLAN_BASE_WVR_TBL",
            "ALTER TABLE MMDL.PLAN_BASE_WVR_TBL ADD SUPPLEMENTAL LOG DATA (ALL) COLUMNS;",
        ),
        (
            {"TABLE_VISIBLE": lambda p: [(0,)] if _table(p) == NOT_IN else [(1,)]},
            f"ALL COLUMNS supplemental logging on {NOT_IN}",
            f"GRANT SELECT ON {NOT_IN} TO {USER};",
        ),
        (
            {"SESSION_PRIVILEGES": [(p,) for p in (*sql.SYSTEM_PRIVILEGES, *sql.CDB_PRIVILEGES) if p != "LOGMINING"]},
            ["Privilege LOGMINING", "Privilege LOGMINING in ORCLPDB1"],  # missing in every container
            f"GRANT LOGMINING TO {USER} CONTAINER=ALL;",
        ),
        ({"SESSION_ROLES": [("SELECT_CATALOG_ROLE",)]},
         ["Role EXECUTE_CATALOG_ROLE", "Role EXECUTE_CATALOG_ROLE in ORCLPDB1"],
         f"GRANT EXECUTE_CATALOG_ROLE TO {USER} CONTAINER=ALL;"),
        (
            {"VISIBLE_LOGMINER_VIEWS": [(v,) for v in sql.VIEWS if v != "V_$LOGMNR_CONTENTS"]},
            "SELECT on V_$LOGMNR_CONTENTS",
            f"GRANT SELECT ON V_$LOGMNR_CONTENTS TO {USER} CONTAINER=ALL;",
        ),
        ({"EXECUTABLE_PACKAGES": [("DBMS_LOGMNR",)]}, "EXECUTE on DBMS_LOGMNR_D",
         f"GRANT EXECUTE ON DBMS_LOGMNR_D TO {USER} CONTAINER=ALL;"),
        ({"PDB_OPEN_MODE": lambda p: [(p["pdb"], "MOUNTED")]}, "Pluggable database ORCLPDB1",
         "ALTER PLUGGABLE DATABASE ORCLPDB1 OPEN;"),
        (
            {"TABLE_VISIBLE": lambda p: [(0,)] if _table(p) == HEARTBEAT else [(1,)]},
            f"Heartbeat table {HEARTBEAT}",
            f"GRANT SELECT, INSERT, UPDATE ON {HEARTBEAT} TO {USER};",
        ),
        (
            {"TABLE_PRIVILEGES": lambda p: [("SELECT",), ("INSERT",)]},
            f"Heartbeat table {HEARTBEAT}",
            f"GRANT UPDATE ON {HEARTBEAT} TO {USER};",
        ),
        (
            {"LOG_MODE": oracledb.DatabaseError("ORA-00942: table or view does not exist\nHelp: https://docs.oracle")},
            "ARCHIVELOG mode",
            f"GRANT SELECT ON V_$DATABASE TO {USER} CONTAINER=ALL;",
        ),
    ],
)
def test_each_failure_names_the_check_and_prints_the_sql_that_fixes_it(changes, check, fix):
    report = run_preflight(ready_database(**changes), FULL)
    assert not report.ok
    failed = [r for r in report.results if r.status == "fail"]
    expected = [check] if isinstance(check, str) else check
    assert [r.check for r in failed] == expected, [r.to_dict() for r in failed]
    assert any(fix in statement for statement in failed[0].fix), failed[0].fix
    lines = render(report.to_dict())
    assert lines[-1].startswith(f"UNHEALTHY: {len(expected)} check(s) failed")
    assert any(fix in line for line in lines)


def test_a_refused_query_shows_oracles_code_and_the_other_checks_still_run():
    refused = oracledb.DatabaseError("ORA-00942: table or view does not exist")
    report = run_preflight(ready_database(REDO_LOG_GROUPS=refused), FULL)
    redo = _by_check(report)["Redo log groups"]
    assert redo.status == "fail" and "ORA-00942" in redo.detail
    assert redo.fix == (f"GRANT SELECT ON V_$LOG TO {USER} CONTAINER=ALL;",)
    assert _by_check(report)["ARCHIVELOG mode"].status == "pass"


def test_small_or_few_redo_groups_are_a_warning_with_the_statements_to_add_groups():
    small = [(1, 1, 50 * MB, 1), (2, 1, 50 * MB, 1)]
    report = run_preflight(ready_database(REDO_LOG_GROUPS=small), FULL)
    redo = _by_check(report)["Redo log groups"]
    assert report.ok and redo.status == "warn"
    assert "#1 50 MB, #2 50 MB" in redo.detail and "at least 3 groups of 200 MB" in redo.detail
    assert redo.fix[:3] == tuple(f"ALTER DATABASE ADD LOGFILE GROUP {n} SIZE 200M;" for n in (3, 4, 5))
    assert render(report.to_dict())[-1] == "OK: the database is ready for capture (1 warning(s))."


def test_a_database_that_logs_all_columns_needs_no_table_log_groups_and_a_non_cdb_no_set_container():
    report = run_preflight(
        ready_database(
            IS_CDB=[("NO",)],
            DATABASE_SUPPLEMENTAL_LOGGING=[("IMPLICIT", "YES")],
            TABLE_LOG_GROUPS=lambda p: [],
            SESSION_PRIVILEGES=[(p,) for p in sql.SYSTEM_PRIVILEGES],
        ),
        PreflightTarget(),
    )
    assert report.ok and "Privilege SET CONTAINER" not in _by_check(report)
    assert not any("CONTAINER=ALL" in line for r in report.results for line in r.fix)


def test_the_heartbeat_owner_needs_no_grant_on_its_own_table():
    own = PreflightTarget(heartbeat_table=f"{USER}.DEBEZIUM_HEARTBEAT")
    report = run_preflight(ready_database(TABLE_PRIVILEGES=lambda p: []), own)
    assert _by_check(report)[f"Heartbeat table {USER}.DEBEZIUM_HEARTBEAT"].status == "pass"


# -- through the admin and `ops` -----------------------------------------------------------------------------------


def _admin(connect_with: Callable, info: dict | None) -> ConnectorAdmin:
    return ConnectorAdmin(
        connect=ConnectClient("http://127.0.0.1:9", deadline=1),
        stage=Stage.parse("main"),
        database_info=(lambda: info) if info is not None else None,
        database_connect=connect_with,
    )


INFO = {"host": "db.example.internal", "port": 1521, "db": "ORCLCDB", "pdb": "ORCLPDB1", "user": USER,
        "password": PASSWORD}


def test_the_admin_action_runs_the_checklist_and_closes_the_connection():
    connection = ready_database(LOG_MODE=[("NOARCHIVELOG",)])
    seen: list[dict] = []
    admin = _admin(lambda info: seen.append(dict(info)) or connection, INFO)
    response = handle(admin, {"action": "preflight", "stage": "main", "heartbeat_table": HEARTBEAT, "use_pdb": True})
    assert response["ok"] is True
    report = response["result"]
    assert report["ok"] is False and report["user"] == USER
    assert "Pluggable database ORCLPDB1" in {c["check"] for c in report["checks"]}
    assert seen == [INFO] and connection.closed
    assert PASSWORD not in json.dumps(response)


@pytest.mark.parametrize(
    ("request_fields", "info", "error", "says"),
    [
        ({}, None, "AdminMisconfigured", "no database settings"),
        ({"use_pdb": True}, {**INFO, "pdb": None}, "BadRequest", "dbInfo key 'pdb'"),
        ({"use_pdb": "yes"}, INFO, "BadRequest", "use_pdb"),
        ({"heartbeat_table": "NO_SCHEMA"}, INFO, "BadRequest", "heartbeat_table"),
        ({"archive_destination_name": ["/u01/arch"]}, INFO, "BadRequest", "archive_destination_name"),
        ({"rac_nodes": ["one"]}, INFO, "BadRequest", "rac_nodes"),
    ],
)
def test_bad_preflight_requests_are_refused_naming_what_is_wrong(request_fields, info, error, says):
    admin = _admin(lambda info: ready_database(), info)
    response = handle(admin, {"action": "preflight", "stage": "main", **request_fields})
    assert response["ok"] is False and response["error"]["type"] == error
    assert says in response["error"]["message"]


def test_the_admin_checks_the_stages_archive_destination_and_rac_nodes_and_suggests_with_dbinfos_port():
    rac = ready_database(REDO_THREADS=[(1, "OPEN", "PUBLIC"), (2, "OPEN", "PUBLIC")],
                         RAC_HOSTS=[(1, "db-node-1"), (2, "db-node-2")], ARCHIVE_DESTINATIONS=TWO_DESTINATIONS)
    response = handle(_admin(lambda info: rac, INFO), {"action": "preflight", "stage": "main"})
    checks = {c["check"]: c for c in response["result"]["checks"]}
    port = INFO["port"]
    assert checks["Redo threads (RAC)"]["fix"] == [f"connector option: racNodes: db-node-1:{port},db-node-2:{port}"]
    assert checks["Archive log destination"]["status"] == "warn"
    rac = ready_database(REDO_THREADS=[(1, "OPEN", "PUBLIC"), (2, "OPEN", "PUBLIC")],
                         ARCHIVE_DESTINATIONS=TWO_DESTINATIONS)
    configured = {"action": "preflight", "stage": "main", "archive_destination_name": ["LOG_ARCHIVE_DEST_3"],
                  "rac_nodes": ["db-node-1:1521", "db-node-2:1521"]}
    checks = {c["check"]: c for c in handle(_admin(lambda info: rac, INFO), configured)["result"]["checks"]}
    assert checks["Redo threads (RAC)"]["status"] == "pass"
    assert checks["Archive log destination"]["detail"].endswith("Debezium reads LOG_ARCHIVE_DEST_3")


def test_ops_preflight_sends_the_stages_options():
    from devtools.ops import build_parser, requests_for

    args = build_parser().parse_args(["--stage", "main", "preflight", "--archive-destination", "LOG_ARCHIVE_DEST_3",
                       "--archive-destination", "LOG_ARCHIVE_DEST_1", "--rac-node", "a:1521", "--rac-node", "b:1521",
                                      "--signal-table", "ORCLPDB1.WMS.DEBEZIUM_SIGNAL"])
    [request] = requests_for(args, "wms-oracle-cdc")
    assert request["archive_destination_name"] == ["LOG_ARCHIVE_DEST_3", "LOG_ARCHIVE_DEST_1"]
    assert request["rac_nodes"] == ["a:1521", "b:1521"]
    assert request["signal_table"] == "ORCLPDB1.WMS.DEBEZIUM_SIGNAL"
    assert "heartbeat_table" not in request


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_connection_failure_says_where_and_as_whom_and_never_the_password():
    info = {"host": "127.0.0.1", "port": _closed_port(), "db": "ORCLCDB", "user": USER, "password": PASSWORD}
    with pytest.raises(PreflightConnectError) as caught:
        connect(info)
    message = str(caught.value)
    assert message.startswith(f"Could not connect to 127.0.0.1:{info['port']}/ORCLCDB as {USER}: ")
    assert "DPY-" in message and PASSWORD not in message
    response = handle(_admin(connect, info), {"action": "preflight", "stage": "main"})
    assert response["error"]["type"] == "DatabaseUnreachable" and PASSWORD not in json.dumps(response)


def test_a_host_that_does_not_resolve_is_named_with_the_failure():
    # `.invalid` never resolves (RFC 6761): python-oracledb raises the resolver's socket.gaierror, not its own error.
    info = {"host": "db.wms.invalid", "port": 1521, "db": "ORCLCDB", "user": USER, "password": PASSWORD}
    with pytest.raises(PreflightConnectError) as caught:
        connect(info, timeout_seconds=5)
    message = str(caught.value)
    assert message.startswith(f"Could not connect to db.wms.invalid:1521/ORCLCDB as {USER}: "), message
    assert PASSWORD not in message


def test_ops_preflight_against_the_local_env_file_prints_why_and_exits_1_without_the_password(tmp_path):
    env_file = tmp_path / "local.env"
    env_file.write_text(
        f"DB_HOST=127.0.0.1\nDB_PORT={_closed_port()}\nDB_NAME=ORCLCDB\nDB_USER={USER}\nDB_PASSWORD={PASSWORD}\n"
    )
    environ = {PORTS[name].env_var: str(port) for name, port in
               {"broker": 19092, "connect": 18083, "jmx": 19404, "controller": 19093}.items()}
    environ["WMS_LOCAL_ENV_FILE"] = str(env_file)
    for extra in ([], ["--json"]):
        out, err = io.StringIO(), io.StringIO()
        code = main(["--stage", "local", "--local", *extra, "preflight"], environ=environ, out=out, err=err)
        assert code == UNHEALTHY
        assert "error (DatabaseUnreachable): Could not connect to 127.0.0.1" in err.getvalue()
        assert PASSWORD not in out.getvalue() + err.getvalue()
        if extra:
            assert json.loads(out.getvalue())["error"]["type"] == "DatabaseUnreachable"


def test_ops_preflight_renders_the_checklist_and_its_exit_code_is_the_verdict(monkeypatch):
    from devtools import ops

    for database, expected in ((ready_database(), OK), (ready_database(LOG_MODE=[("NOARCHIVELOG",)]), UNHEALTHY)):
        report = run_preflight(database, PreflightTarget()).to_dict()
        monkeypatch.setattr(ops, "_invoke", lambda *a, report=report: report)
        out = io.StringIO()
        assert main(["--stage", "main", "preflight"], environ={}, out=out, err=io.StringIO()) == expected
        printed = out.getvalue().splitlines()
        assert printed[0] == f"Database preflight as {USER}:"
        assert printed[-1].startswith("OK:" if expected == OK else "UNHEALTHY:")
        if expected == UNHEALTHY:
            assert "        ALTER DATABASE ARCHIVELOG;" in printed


# -- where Debezium looks (Debezium 3.6.1: OracleConnection.setSessionToPdb before the table checks, the flush table
# and the heartbeat; LogMiner and the database-level checks in the root) ------------------------------------------

ROOT, PDB = sql.ROOT_CONTAINER, "ORCLPDB1"
TABLE_QUERIES = (sql.TABLE_VISIBLE, sql.TABLE_LOG_GROUPS, sql.TABLE_PRIVILEGES, sql.DEFAULT_TABLESPACE,
                 sql.TABLESPACE_QUOTAS)


def test_with_a_pdb_the_tables_heartbeat_grants_and_quota_are_checked_in_the_pdb_the_rest_in_the_root():
    database = ready_database()
    report = run_preflight(database, FULL)
    assert report.ok, [r.to_dict() for r in report.results if r.status != "pass"]
    containers: dict[str, set[str]] = {}
    for container, statement in database.ran_in:
        containers.setdefault(statement, set()).add(container)
    for statement in TABLE_QUERIES:
        assert containers[statement] == {PDB}, statement
    for statement in (sql.LOG_MODE, sql.DATABASE_SUPPLEMENTAL_LOGGING, sql.REDO_LOG_GROUPS, sql.ARCHIVE_DESTINATIONS,
                      sql.REDO_THREADS, sql.VISIBLE_LOGMINER_VIEWS, sql.PDB_OPEN_MODE):
        assert containers[statement] == {ROOT}, statement
    assert containers[sql.SESSION_PRIVILEGES] == {ROOT, PDB}  # a grant local to one container shows only there
    assert database.container == ROOT  # left where it started
    assert "Tablespace quota in ORCLPDB1" in _by_check(report)


def test_a_grant_missing_only_in_the_pdb_fails_there_with_the_common_grant():
    held_in_root = [(p,) for p in (*sql.SYSTEM_PRIVILEGES, *sql.CDB_PRIVILEGES)]
    in_pdb = [row for row in held_in_root if row[0] != "FLASHBACK ANY TABLE"]
    report = run_preflight(ready_database({(PDB, sql.SESSION_PRIVILEGES): in_pdb}), FULL)
    failed = [r for r in report.results if r.status == "fail"]
    assert [r.check for r in failed] == ["Privilege FLASHBACK ANY TABLE in ORCLPDB1"]
    assert failed[0].fix == (f"GRANT FLASHBACK ANY TABLE TO {USER} CONTAINER=ALL;",)


def test_the_tables_are_judged_as_the_pdb_sees_them():
    # The root sees no PDB table and no log group: checked from there, every table would fail with the wrong fix.
    # In the PDB all are visible and one lacks ALL COLUMNS logging: that one fails, with the ALTER TABLE.
    in_pdb = {
        (PDB, sql.TABLE_VISIBLE): lambda p: [(1,)],
        (PDB, sql.TABLE_LOG_GROUPS): lambda p: [] if _table(p) == NOT_IN else [("ALL COLUMN LOGGING",)],
    }
    database = ready_database(in_pdb, TABLE_VISIBLE=lambda p: [(0,)], TABLE_LOG_GROUPS=lambda p: [])
    failed = [r for r in run_preflight(database, FULL).results if r.status == "fail"]
    assert [r.check for r in failed] == [f"ALL COLUMNS supplemental logging on {NOT_IN}"]
    assert failed[0].fix == (f"ALTER TABLE {NOT_IN} ADD SUPPLEMENTAL LOG DATA (ALL) COLUMNS;",)


def test_a_pdb_name_that_is_not_an_oracle_name_is_never_sent():
    database = ready_database()
    report = run_preflight(database, PreflightTarget(pdb="PDB1; DROP USER X"))
    assert not report.ok and report.results[-1].detail == "dbInfo's pdb is not an Oracle name"
    assert not any("DROP" in statement for statement in database.executed)


def test_a_refused_container_switch_fails_with_the_grant_and_stops():
    database = ready_database()
    original = database.execute

    def execute(statement, params=None):
        if statement == sql.set_container(PDB):
            raise oracledb.DatabaseError("ORA-01031: insufficient privileges")
        original(statement, params)

    database.execute = execute
    report = run_preflight(database, FULL)
    assert report.results[-1].check == "Session in ORCLPDB1"
    assert "ORA-01031" in report.results[-1].detail and "SET CONTAINER" in report.results[-1].fix[0]


def test_implicit_database_logging_passes_as_debezium_361_accepts_it():
    report = run_preflight(ready_database(DATABASE_SUPPLEMENTAL_LOGGING=[("IMPLICIT", "NO")]), FULL)
    assert _by_check(report)["Database supplemental logging"].status == "pass"


@pytest.mark.parametrize(
    ("quotas", "privileges", "status"),
    [
        ([], [], "fail"),
        ([("USERS", -1)], [], "fail"),  # a quota, but not on the default tablespace
        ([("LOGMINER_TBS", 0)], [], "fail"),
        ([("LOGMINER_TBS", 50 * MB)], [], "pass"),
        ([], ["UNLIMITED TABLESPACE"], "pass"),
    ],
)
def test_the_flush_tables_quota(quotas, privileges, status):
    held = [(p,) for p in (*sql.SYSTEM_PRIVILEGES, *sql.CDB_PRIVILEGES, *privileges)]
    report = run_preflight(ready_database(TABLESPACE_QUOTAS=quotas, SESSION_PRIVILEGES=held), FULL)
    quota = _by_check(report)["Tablespace quota in ORCLPDB1"]
    assert quota.status == status
    if status == "fail":
        assert "ORA-01950" in quota.detail
        assert quota.fix == (f"ALTER SESSION SET CONTAINER = {PDB};",
                             f"ALTER USER {USER} QUOTA UNLIMITED ON LOGMINER_TBS;")


TWO_DESTINATIONS = [(1, "LOG_ARCHIVE_DEST_1", "VALID", "LOCAL"), (3, "LOG_ARCHIVE_DEST_3", "VALID", "LOCAL"),
                    (5, "LOG_ARCHIVE_DEST_5", "VALID", "REMOTE")]


@pytest.mark.parametrize(
    ("rows", "configured", "status", "says"),
    [
        (TWO_DESTINATIONS, None, "warn", "Debezium reads LOG_ARCHIVE_DEST_1, the first"),
        (TWO_DESTINATIONS, "LOG_ARCHIVE_DEST_3", "pass", "Debezium reads LOG_ARCHIVE_DEST_3"),
        (TWO_DESTINATIONS, "LOG_ARCHIVE_DEST_5", "fail", "is VALID and LOCAL"),
        (TWO_DESTINATIONS, "LOG_ARCHIVE_DEST_9", "fail", "unknown to V$ARCHIVE_DEST_STATUS"),
        ([(1, "LOG_ARCHIVE_DEST_1", "ERROR", "LOCAL")], None, "fail", "no VALID, LOCAL destination"),
    ],
)
def test_archive_destinations_as_debezium_resolves_them(rows, configured, status, says):
    target = PreflightTarget(archive_destination_name=configured)
    result = _by_check(run_preflight(ready_database(ARCHIVE_DESTINATIONS=rows), target))["Archive log destination"]
    assert result.status == status and says in result.detail
    if status == "warn":
        assert result.fix == ("connector option: archiveDestinationName: LOG_ARCHIVE_DEST_1",)


@pytest.mark.parametrize(
    ("nodes", "status", "says"),
    [
        ((), "fail", "2 redo threads (RAC) and no racNodes"),
        (("db-node-1:1521",), "fail", "racNodes names 1 node(s)"),
        (("db-node-1:1521", "db-node-2:1521"), "pass", "racNodes names 2 nodes"),
    ],
)
def test_two_redo_threads_need_rac_nodes_and_the_preflight_suggests_them(nodes, status, says):
    database = ready_database(REDO_THREADS=[(1, "OPEN", "PUBLIC"), (2, "OPEN", "PUBLIC")],
                              RAC_HOSTS=[(1, "db-node-1"), (2, "db-node-2")])
    result = _by_check(run_preflight(database, PreflightTarget(rac_nodes=nodes, port=1521)))["Redo threads (RAC)"]
    assert result.status == status and says in result.detail
    if not nodes:
        assert result.fix == ("connector option: racNodes: db-node-1:1521,db-node-2:1521",)


def test_rac_nodes_on_a_single_instance_is_a_warning():
    result = _by_check(run_preflight(ready_database(), PreflightTarget(rac_nodes=("a:1521",))))["Redo threads (RAC)"]
    assert result.status == "warn" and "not RAC" in result.detail


SIGNALS = "WMS.DEBEZIUM_SIGNAL"


@pytest.mark.parametrize(
    ("changes", "status", "fix"),
    [
        ({}, "pass", None),
        ({"TABLE_VISIBLE": lambda p: [(0,)] if _table(p) == SIGNALS else [(1,)]}, "fail",
         f"GRANT SELECT, INSERT ON {SIGNALS} TO {USER};"),
        ({"TABLE_LOG_GROUPS": lambda p: [] if _table(p) == SIGNALS else [("ALL COLUMN LOGGING",)]}, "fail",
         f"ALTER TABLE {SIGNALS} ADD SUPPLEMENTAL LOG DATA (ALL) COLUMNS;"),
        ({"TABLE_PRIVILEGES": lambda p: [("SELECT",)] if _table(p) == SIGNALS else [("INSERT",), ("UPDATE",)]},
         "fail", f"GRANT INSERT ON {SIGNALS} TO {USER};"),
    ],
)
def test_the_signalling_table_is_checked_in_the_pdb_when_one_is_configured(changes, status, fix):
    database = ready_database(**changes)
    target = PreflightTarget(pdb=PDB, signal_table=SIGNALS)
    result = _by_check(run_preflight(database, target))[f"Signalling table {SIGNALS}"]
    assert result.status == status, result
    if fix:
        assert fix in result.fix
    assert all(container == PDB for container, statement in database.ran_in
               if statement == sql.TABLE_PRIVILEGES)


@pytest.mark.parametrize(
    ("value", "reaches"),
    [("ORCLPDB1.WMS.DEBEZIUM_SIGNAL", "WMS.DEBEZIUM_SIGNAL"), ("WMS.DEBEZIUM_SIGNAL", "WMS.DEBEZIUM_SIGNAL")],
)
def test_the_admin_takes_the_signal_table_as_the_stage_names_it(value, reaches):
    database = ready_database()
    response = handle(_admin(lambda info: database, INFO),
                      {"action": "preflight", "stage": "main", "signal_table": value})
    assert f"Signalling table {reaches}" in {c["check"] for c in response["result"]["checks"]}


@pytest.mark.parametrize("value", ["wms.signal", "A.B.C.D", "WMS.SIG;DROP", 7])
def test_a_bad_signal_table_is_refused_naming_the_field(value):
    response = handle(_admin(lambda info: ready_database(), INFO),
                      {"action": "preflight", "stage": "main", "signal_table": value})
    assert response["ok"] is False and "signal_table" in response["error"]["message"]

"""The health check's database probe (wms_connector/preflight/probe.py) against the Oracle connection double
(tests/unit/oracle_double.py: rows shaped as python-oracledb returns Oracle's; Oracle cannot run here): everything in
place, supplemental logging dropped on one table or the database, ARCHIVELOG off, the archive logs deleted behind
the restart position, a PDB (the table checks run in it), and any failure "unknown" with its reason."""

from __future__ import annotations

import oracledb
import pytest

from tests.unit.oracle_double import _table, ready_database
from wms_connector.preflight import sql
from wms_connector.preflight.probe import run_probe
from wms_connector.topics import CAPTURED_TABLE_NAMES

PDB = "ORCLPDB1"


def _probe(database, **kwargs):
    return run_probe(database, tables=CAPTURED_TABLE_NAMES, **kwargs)


def test_everything_in_place():
    found = _probe(ready_database(), restart_scn=1500)
    assert (found.archivelog, found.supplemental_logging_dropped, found.position_gone) == (True, False, False)
    assert (found.destination, found.on_disk_hours, found.oldest_archived_scn) == ("LOG_ARCHIVE_DEST_1", 30.5, 1000)
    assert found.queries == 5 + len(CAPTURED_TABLE_NAMES) and found.error is None
    assert "oldest archive log on disk (LOG_ARCHIVE_DEST_1) 30.5 h old" in found.summary


def test_supplemental_logging_dropped_on_one_table_since_the_last_start():
    dropped = "WMS.PLAN_WVR_RVSN_TBL"
    database = ready_database(TABLE_LOG_GROUPS=lambda p: [] if _table(p) == dropped else [("ALL COLUMN LOGGING",)])
    found = _probe(database)
    assert found.supplemental_logging_dropped and found.tables_without_logging == (dropped,)
    assert f"supplemental logging DROPPED on {dropped}" in found.summary


def test_database_level_logging_dropped_and_archivelog_off():
    found = _probe(ready_database(DATABASE_SUPPLEMENTAL_LOGGING=[("NO", "NO")], LOG_MODE=[("NOARCHIVELOG",)]))
    assert found.supplemental_logging_dropped and found.archivelog is False
    assert "NOT in ARCHIVELOG mode" in found.summary and "at the database level" in found.summary


def test_all_columns_at_the_database_level_needs_no_table_queries():
    database = ready_database(DATABASE_SUPPLEMENTAL_LOGGING=[("YES", "YES")])
    found = _probe(database)
    assert found.supplemental_logging_dropped is False and sql.TABLE_LOG_GROUPS not in database.executed


@pytest.mark.parametrize(("restart_scn", "gone"), [(999, True), (1000, False), (6000, False), (None, None)])
def test_the_restart_position_against_the_logs_still_on_disk(restart_scn, gone):
    assert _probe(ready_database(), restart_scn=restart_scn).position_gone is gone


def test_logs_deleted_behind_the_position_with_only_online_redo_left():
    database = ready_database(ARCHIVED_LOGS_ON_DISK=lambda p: [(None, None)])
    found = _probe(database, restart_scn=4000)
    assert found.position_gone is True and found.on_disk_hours is None
    assert "the log holding the restart position is GONE" in found.summary


def test_the_configured_destination_is_the_one_read():
    database = ready_database(ARCHIVE_DESTINATIONS=[(1, "LOG_ARCHIVE_DEST_1", "VALID", "LOCAL"),
                                                    (3, "LOG_ARCHIVE_DEST_3", "VALID", "LOCAL")],
                              ARCHIVED_LOGS_ON_DISK=lambda p: [(2000, 70.0)] if p["dest"] == "LOG_ARCHIVE_DEST_3"
                              else [(1000, 30.5)])
    found = _probe(database, archive_destination_name=("LOG_ARCHIVE_DEST_3",))
    assert (found.destination, found.on_disk_hours) == ("LOG_ARCHIVE_DEST_3", 70.0)


def test_with_a_pdb_the_tables_are_read_in_the_pdb_and_the_session_returns_to_the_root():
    database = ready_database()
    _probe(database, pdb=PDB)
    assert {c for c, s in database.ran_in if s == sql.TABLE_LOG_GROUPS} == {PDB}
    assert {c for c, s in database.ran_in if s == sql.ARCHIVED_LOGS_ON_DISK} == {sql.ROOT_CONTAINER}
    assert database.container == sql.ROOT_CONTAINER


@pytest.mark.parametrize(
    "database",
    [
        ready_database(LOG_MODE=oracledb.DatabaseError("ORA-00942: table or view does not exist\nHelp: x")),
        ready_database(ONLINE_LOGS_OLDEST=[(1, 2)]),  # a row of another shape
    ],
)
def test_any_failure_is_unknown_with_its_reason_never_raised(database):
    found = _probe(database)
    assert found.error and found.supplemental_logging_dropped is None and found.position_gone is None
    assert found.summary.startswith("unknown: ")


def test_a_pdb_that_is_not_an_oracle_name_is_never_sent():
    database = ready_database()
    found = _probe(database, pdb="X; DROP USER Y")
    assert found.error == "dbInfo's pdb is not an Oracle name" and database.executed == []

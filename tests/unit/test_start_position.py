"""The exact start position for an SCN N (wms_connector/preflight/start_position.py), found as the CDC user.

Oracle cannot run here: the database is tests/unit/oracle_double.py, answering each statement of
wms_connector/preflight/sql.py with rows shaped as python-oracledb returns them (RAWTOHEX(XID) as a 16-digit hex
str, START_SCN/COMMIT_SCN/TUNED_UNDORETENTION as int, TO_CHAR(LAST_DDL_TIME) as str, a refused or failed query as
oracledb.DatabaseError with Oracle's message). How Debezium reads the offset written here is asked of the pinned
jar in tests/integration/test_pinned_jar_facts.py, and the offset goes through the real Connect offsets API in
tests/integration/test_start_positions.py.
"""

from __future__ import annotations

import oracledb
import pytest

from tests.unit.oracle_double import ready_database
from wms_connector.preflight import sql
from wms_connector.preflight.start_position import OpenTransaction, find_start_position
from wms_connector.topics import CAPTURED_TABLES

N = 5000
XID_A, XID_B = "0A0012003F040000", "0B000A00AA030000"


def _position(db, **kwargs):
    return find_start_position(db, N, tables=CAPTURED_TABLES, **kwargs)


def _open_before(rows):
    """V$TRANSACTION as Oracle filters it: START_SCN < :scn."""
    return lambda p: [row for row in rows if row[1] < p["scn"]]


def _committed_since(rows):
    """FLASHBACK_TRANSACTION_QUERY grouped by XID: started before :scn, committed at or after it."""
    return lambda p: [row for row in rows if row[1] < p["scn"] <= row[2]]


@pytest.mark.parametrize(
    ("open_now", "committed", "threads", "mining_scn", "commit_scn", "oldest"),
    [
        # Nothing open at N: mining starts at N itself (`SCN > N - 1`), every thread's commits below N are handled.
        ([], [], [(1, "OPEN", "PUBLIC")], N - 1, f"{N}:1:", None),
        # One open since SCN 4500 and still open: mining starts with its first change.
        ([(XID_A, 4500)], [], [(1, "OPEN", "PUBLIC")], 4499, f"{N}:1:", XID_A),
        # One open at N that has committed since: found in the undo.
        ([], [(XID_B, 4700, 5100)], [(1, "OPEN", "PUBLIC")], 4699, f"{N}:1:", XID_B),
        # One that committed exactly at N is sent (a commit at N is at or after N): it is read from its start.
        ([], [(XID_B, 4800, N)], [(1, "OPEN", "PUBLIC")], 4799, f"{N}:1:", XID_B),
        # One that committed before N, and one that started at N: neither moves the start.
        ([(XID_A, N)], [(XID_B, 4800, N - 1)], [(1, "OPEN", "PUBLIC")], N - 1, f"{N}:1:", None),
        # Two redo threads (RAC): every thread at N, and the open transactions from GV$TRANSACTION.
        ([(XID_A, 4900)], [(XID_B, 4600, 5200)], [(1, "OPEN", "PUBLIC"), (2, "OPEN", "PUBLIC")], 4599,
         f"{N}:1:,{N}:2:", XID_B),
    ],
)
def test_the_offset_starts_before_every_transaction_open_at_n(open_now, committed, threads, mining_scn, commit_scn,
                                                               oldest):
    rac = len(threads) > 1
    db = ready_database(
        REDO_THREADS=threads,
        **{"OPEN_TRANSACTIONS_RAC" if rac else "OPEN_TRANSACTIONS": _open_before(open_now)},
        COMMITTED_SINCE=_committed_since(committed),
    )
    position = _position(db)
    assert position.known and position.warnings == ()
    assert position.offset() == {"scn": str(mining_scn), "commit_scn": commit_scn}
    assert (position.open_transactions[0].xid if position.open_transactions else None) == oldest
    ran = {statement for _, statement in db.ran_in}
    assert (sql.OPEN_TRANSACTIONS_RAC in ran, sql.OPEN_TRANSACTIONS in ran) == (rac, not rac)


def test_a_redo_thread_the_old_offset_names_keeps_its_entry():
    position = _position(ready_database(), offset_threads=[3])
    assert position.commit_scn == f"{N}:1:,{N}:3:"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        # N older than the undo is kept: a transaction that committed since may be gone from the view.
        ({"SCN_AGE_SECONDS": lambda p: [(7200,)]}, "7200 s old and the undo is kept about 900 s"),
        ({"SCN_AGE_SECONDS": oracledb.DatabaseError("ORA-08181: specified number is not a valid system change "
                                                    "number")}, "Oracle could not date SCN 5000: ORA-08181"),
        ({"UNDO_RETENTION_SECONDS": [(None,)]}, "no undo retention"),
    ],
)
def test_when_what_was_open_cannot_be_told_the_position_says_why(changes, says):
    position = _position(ready_database(**changes))
    assert not position.known and says in position.unknown_reason
    # The undo is not read when it cannot be complete; what is still open is still counted.
    assert sql.COMMITTED_SINCE not in {statement for _, statement in ready_database(**changes).ran_in}


def test_ddl_on_a_captured_table_since_the_earlier_position_is_warned_of():
    seen = []

    def ddl(p):
        seen.append(p["scn"])
        table = (p["owner"], p["table_name"])
        return [("2026-12-07 10:15:00",)] if table == ("MMDL", "PLAN_WVR_RVSN_TBL") else []

    position = _position(ready_database(DDL_SINCE=ddl), old_scn=7000)
    assert set(seen) == {N}  # the earlier of the old position and N
    assert position.ddl_since == (("MMDL.PLAN_WVR_RVSN_TBL", "2026-12-07 10:15:00"),)
    (warning,) = position.warnings
    assert "between the connector's position (SCN 7000) and SCN 5000" in warning
    assert "MMDL.PLAN_WVR_RVSN_TBL (2026-12-07 10:15:00)" in warning
    moving_forward = _position(ready_database(DDL_SINCE=ddl), old_scn=3000)
    assert moving_forward.ddl_since_scn == 3000


def test_a_ddl_check_that_fails_is_a_warning_not_a_silence():
    refused = oracledb.DatabaseError("ORA-00942: table or view does not exist")
    position = _position(ready_database(DDL_SINCE=refused))
    assert position.known and position.ddl_since == ()
    assert position.warnings == ("Could not check the captured tables for DDL since SCN 5000: ORA-00942: table or "
                                 "view does not exist.",)


def test_with_a_pdb_the_questions_are_asked_there_and_the_session_goes_back_to_the_root():
    db = ready_database()
    _position(db, pdb="ORCLPDB1")
    assert {container for container, _ in db.ran_in} == {"ORCLPDB1"}
    assert db.container == sql.ROOT_CONTAINER


def test_the_oldest_open_transaction_is_the_one_reported():
    db = ready_database(OPEN_TRANSACTIONS=_open_before([(XID_A, 4900), (XID_B, 4100)]))
    position = _position(db)
    assert position.open_transactions[0] == OpenTransaction(XID_B, 4100, None)
    assert position.to_dict()["oldestOpen"] == {"xid": XID_B, "startScn": 4100, "commitScn": None}
    assert position.to_dict()["openTransactions"] == 2

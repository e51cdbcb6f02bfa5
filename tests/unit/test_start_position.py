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
from wms_connector.preflight.start_position import OpenTransaction, find_start_position, unchecked_position
from wms_connector.topics import CAPTURED_TABLES

N = 5000
XID_A, XID_B, XID_C = "0A0012003F040000", "0B000A00AA030000", "0C0005001B020000"


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
        ({"SCN_AGE_SECONDS": lambda p: [(7200,)]},
         "SCN 5000 is 7200 s old and the undo is kept about 900 s: transactions that were open then and have "
         "committed since may be gone from FLASHBACK_TRANSACTION_QUERY"),
        # One second past the undo retention is already too old.
        ({"SCN_AGE_SECONDS": lambda p: [(901,)]},
         "SCN 5000 is 901 s old and the undo is kept about 900 s: transactions that were open then and have "
         "committed since may be gone from FLASHBACK_TRANSACTION_QUERY"),
        ({"SCN_AGE_SECONDS": oracledb.DatabaseError("ORA-08181: specified number is not a valid system change "
                                                    "number")},
         "Oracle could not date SCN 5000: ORA-08181: specified number is not a valid system change number"),
        # Only the first line of a multi-line error goes into the reason.
        ({"SCN_AGE_SECONDS": oracledb.DatabaseError("ORA-08181: specified number is not a valid system change "
                                                    "number\nORA-06512: at \"SYS.SCN_TO_TIMESTAMP\", line 1")},
         "Oracle could not date SCN 5000: ORA-08181: specified number is not a valid system change number"),
        # An error that carries no text is still named, by its type.
        ({"SCN_AGE_SECONDS": oracledb.DatabaseError()}, "Oracle could not date SCN 5000: DatabaseError"),
        ({"UNDO_RETENTION_SECONDS": [(None,)]}, "the database reported no undo retention (V$UNDOSTAT is empty)"),
    ],
)
def test_when_what_was_open_cannot_be_told_the_position_says_why(changes, says):
    position = _position(ready_database(**changes))
    assert (position.known, position.unknown_reason) == (False, says)
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
    assert position.warnings == (
        "DDL may lie between the connector's position (SCN 7000) and SCN 5000 on MMDL.PLAN_WVR_RVSN_TBL "
        "(2026-12-07 10:15:00): the schema history does not follow a move across it, so events from before the "
        "change may be read with the wrong table structure. Check the DDL, and if a column changed, take a new "
        "snapshot of those tables instead.",
    )
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


def _aged(now_scn):
    """SCN_TO_TIMESTAMP on a database now at `now_scn` that makes one SCN a second: N is (now - N) s old."""
    return lambda p: [(now_scn - p["scn"],)]


@pytest.mark.parametrize(
    ("now_scn", "known"),
    [
        (N + 60, True),
        # N exactly as old as the undo is kept: its commits since are all still in the undo.
        (N + 900, True),
        (N + 901, False),
    ],
)
def test_it_is_the_age_of_n_that_is_held_against_the_undo_retention(now_scn, known):
    position = _position(ready_database(SCN_AGE_SECONDS=_aged(now_scn)))
    assert position.known is known
    if not known:
        assert position.unknown_reason.startswith(f"SCN {N} is {now_scn - N} s old and the undo is kept about 900 s")


def test_a_transaction_that_commits_between_the_two_reads_is_counted_once_as_first_seen():
    # Open in V$TRANSACTION when read, then committed before FLASHBACK_TRANSACTION_QUERY is read.
    db = ready_database(
        OPEN_TRANSACTIONS=_open_before([(XID_A, 4500)]), COMMITTED_SINCE=_committed_since([(XID_A, 4500, 5100)])
    )
    assert _position(db).open_transactions == (OpenTransaction(XID_A, 4500, None),)


def test_the_position_as_shown_to_on_call():
    db = ready_database(
        OPEN_TRANSACTIONS=_open_before([(XID_A, 4500)]),
        COMMITTED_SINCE=_committed_since([(XID_B, 4100, 5100), (XID_C, 4300, 5050)]),
        REDO_THREADS=[(1, "OPEN", "PUBLIC"), (2, "OPEN", "PUBLIC")],
        OPEN_TRANSACTIONS_RAC=_open_before([(XID_A, 4500)]),
        DDL_SINCE=lambda p: [("2026-12-07 10:15:00",)] if p["table_name"] == "PLAN_WVR_RVSN_TBL" else [],
    )
    position = _position(db)
    assert position.open_transactions == (
        OpenTransaction(XID_B, 4100, 5100), OpenTransaction(XID_C, 4300, 5050), OpenTransaction(XID_A, 4500, None),
    )
    warning = (
        "DDL may lie since SCN 5000 on MMDL.PLAN_WVR_RVSN_TBL (2026-12-07 10:15:00), WMS.PLAN_WVR_RVSN_TBL "
        "(2026-12-07 10:15:00): the schema history does not follow a move across it, so events from before the "
        "change may be read with the wrong table structure. Check the DDL, and if a column changed, take a new "
        "snapshot of those tables instead."
    )
    assert position.to_dict() == {
        "scn": N,
        "offset": {"scn": "4099", "commit_scn": f"{N}:1:,{N}:2:"},
        "openTransactions": 3,
        "oldestOpen": {"xid": XID_B, "startScn": 4100, "commitScn": 5100},
        "redoThreads": [1, 2],
        "known": True,
        "unknownReason": None,
        "ddlSince": [
            {"table": "MMDL.PLAN_WVR_RVSN_TBL", "lastDdl": "2026-12-07 10:15:00"},
            {"table": "WMS.PLAN_WVR_RVSN_TBL", "lastDdl": "2026-12-07 10:15:00"},
        ],
        "warnings": [warning],
    }


def test_a_position_with_nothing_open_and_nothing_changed_as_shown_to_on_call():
    assert _position(ready_database()).to_dict() == {
        "scn": N,
        "offset": {"scn": str(N - 1), "commit_scn": f"{N}:1:"},
        "openTransactions": 0,
        "oldestOpen": None,
        "redoThreads": [1],
        "known": True,
        "unknownReason": None,
        "ddlSince": [],
        "warnings": [],
    }


def test_a_ddl_check_that_fails_without_text_names_the_error():
    position = _position(ready_database(DDL_SINCE=oracledb.DatabaseError()))
    assert position.warnings == ("Could not check the captured tables for DDL since SCN 5000: DatabaseError.",)


@pytest.mark.parametrize(
    ("threads", "redo_threads", "commit_scn"),
    [
        # The threads the current offset names, each once and in order.
        ([3, 1, 3], [1, 3], f"{N}:1:,{N}:3:"),
        # No offset yet: thread 1, the only thread of a single-instance database.
        ([], [1], f"{N}:1:"),
    ],
)
def test_a_position_the_database_was_not_asked_for_is_unknown_and_says_why(threads, redo_threads, commit_scn):
    position = unchecked_position(N, threads, "this admin has no database settings to ask Oracle")
    assert position.to_dict() == {
        "scn": N,
        "offset": {"scn": str(N - 1), "commit_scn": commit_scn},
        "openTransactions": 0,
        "oldestOpen": None,
        "redoThreads": redo_threads,
        "known": False,
        "unknownReason": "this admin has no database settings to ask Oracle",
        "ddlSince": [],
        "warnings": [],
    }

"""Setting a connector's source offset to an exact start position: `alter_offsets` (only while STOPPED, or shown with
`dry_run`) and `start_from` (stop, write, start), through ConnectorAdmin as the admin Lambda and `ops` run them.

Connect and Oracle cannot run here, so both are doubles: `StoppableConnect` answers as
wms_connector.connect_client.ConnectClient does (status -> ConnectorStatus or None, get_config -> dict or None,
get_offsets -> Connect 4.x's `{"offsets": [{"partition": {"server": <topic.prefix>}, "offset": {...}}]}` with the
keys Debezium's Oracle connector commits, a PATCH of the offsets refused unless STOPPED and answered with Connect's
message), and the database is tests/unit/oracle_double.py. The same operations run against the real worker in
tests/integration/test_ops.py, test_holds.py and test_connector_lifecycle.py.
"""

from __future__ import annotations

import copy

import oracledb
import pytest

from tests.unit.oracle_double import OracleDouble, ready_database
from wms_connector.admin.errors import BadRequest, ConnectorNotFound, Refused, StateTimeout
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.positions import check_scn
from wms_connector.connect_client import ConnectError
from wms_connector.connect_status import ConnectorStatus, TaskStatus
from wms_connector.connector.options import MAX_SCN
from wms_connector.preflight import sql
from wms_connector.preflight.connect import PreflightConnectError
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

NAME = "wms-oracle-cdc"
STAGE = Stage.parse("feat-x")
PARTITION = {"server": StageTopics(STAGE).topic_prefix}
N = 5000
XID = "0A0012003F040000"
# What Connect answers a PATCH of a source connector's offsets when the connector keeps no offsets of its own
# (Debezium's do not): ConnectorsResource.alterConnectorOffsets.
ALTERED = (
    "The Connect framework-managed offsets for this connector have been altered successfully. However, if this "
    "connector manages offsets externally, they will need to be manually altered in the system that the connector "
    "uses."
)
# An offset as Debezium 3.6 commits it mid-stream on two redo threads: half a transaction sent (txId/txSeq) after
# an initial snapshot. Values as Connect's offsets API shows them.
LIVE_OFFSET = {
    "scn": "4800", "commit_scn": "4900:1:0b000a00aa030000,4950:2:", "txId": "0a0012003f040000", "txSeq": 3,
    "snapshot_scn": "4000", "snapshot_completed": False,
}
# The connector's config as Connect returns it: with `usePdb` the PDB's name is a placeholder the worker resolves.
CONFIG = {"name": NAME, "connector.class": "io.debezium.connector.oracle.OracleConnector",
          "topic.prefix": PARTITION["server"], "database.pdb.name": "${env:DB_PDB}"}
NO_PDB_CONFIG = {key: value for key, value in CONFIG.items() if key != "database.pdb.name"}
DB_INFO = {"user": "C##WMSCDC", "password": "x", "host": "db", "port": "1521", "db": "ORCLCDB", "pdb": "ORCLPDB1"}
REFUSED_SUFFIX = (
    "One that was open then would be emitted without its changes before SCN 5000. Pick a younger SCN, or go ahead "
    "knowing that (`--accept-unknown-open-transactions` with ops, the option `acceptUncheckedStartScn` with "
    "startScn)."
)
# How often a caller may poll the status before it has clearly waited past any timeout a test gives it.
MAX_POLLS = 400


class StoppableConnect:
    """One connector on Connect. A running connector's task commits its last offset as it stops (`final_offset`);
    `ignore` lists the target-state requests a worker loses (one that arrives during a rebalance); `task_state`
    is what the task does once started (FAILED: the database is unreachable, as in the integration tests)."""

    def __init__(self, state: str | None, offset: dict | None = None, *, config: dict | None = None,
                 other_partitions: tuple[dict, ...] = (), final_offset: dict | None = None,
                 ignore: tuple[str, ...] = (), task_state: str = "RUNNING") -> None:
        self.state = state
        self.config = dict(config or CONFIG) if state else None
        self.entries = [{"partition": dict(p), "offset": {"scn": "100", "commit_scn": "100:1:"}}
                        for p in other_partitions]
        if offset is not None:
            self.entries.append({"partition": dict(PARTITION), "offset": dict(offset)})
        self.final_offset = final_offset
        self.ignore = ignore
        self.task_state = task_state
        self.calls: list[str] = []
        self.written: list[list[dict]] = []
        self.polls = 0

    def _known(self, name: str) -> None:
        if not name:
            raise ValueError("Connector name must not be empty.")  # ConnectClient._path
        if self.state is None or name != NAME:
            raise ConnectError(f"Connector {name} not found", status=404)

    def status(self, name: str) -> ConnectorStatus | None:
        self.polls += 1
        if self.polls > MAX_POLLS:
            raise AssertionError("the status was polled long after the caller's timeout")
        if self.state is None or name != NAME:
            return None
        tasks = () if self.state == "STOPPED" else (TaskStatus(0, self.task_state, "10.0.1.5:8083"),)
        return ConnectorStatus(name=name, state=self.state, worker_id="10.0.1.5:8083", trace=None, tasks=tasks)

    def get_config(self, name: str) -> dict | None:
        return dict(self.config) if self.config is not None and name == NAME else None

    def get_offsets(self, name: str) -> dict:
        self._known(name)
        return {"offsets": copy.deepcopy(self.entries)}

    def alter_offsets(self, name: str, offsets: list[dict]) -> dict:
        self._known(name)
        if self.state != "STOPPED":
            # The herder's modifyConnectorOffsetsChecks: a 400 (a connector it does not know is a 404).
            raise ConnectError(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for "
                f"the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint",
                status=400,
            )
        self.calls.append("alter_offsets")
        self.written.append(copy.deepcopy(offsets))
        for entry in offsets:
            self.entries = [e for e in self.entries if e["partition"] != entry["partition"]]
            self.entries.append(copy.deepcopy(entry))
        return {"message": ALTERED}

    def _target(self, call: str, state: str) -> None:
        self.calls.append(call)
        if call in self.ignore:
            return
        if state == "STOPPED" and self.state == "RUNNING" and self.final_offset is not None:
            self.entries = [e for e in self.entries if e["partition"] != PARTITION]
            self.entries.append({"partition": dict(PARTITION), "offset": dict(self.final_offset)})
        self.state = state

    def stop(self, name: str) -> None:
        self._target("stop", "STOPPED")

    def resume(self, name: str) -> None:
        self._target("resume", "RUNNING")

    def pause(self, name: str) -> None:
        self._target("pause", "PAUSED")

    def restart(self, name: str, *, include_tasks: bool, only_failed: bool) -> None:
        self.calls.append("restart")


class Cdb(OracleDouble):
    """A CDB with one PDB: switching to a container that does not exist fails as Oracle does."""

    def execute(self, statement: str, params: dict | None = None) -> None:
        container = statement.removeprefix("ALTER SESSION SET CONTAINER = ")
        if container != statement and container not in (sql.ROOT_CONTAINER, "ORCLPDB1"):
            raise oracledb.DatabaseError(f"ORA-65011: Pluggable database {container} does not exist.")
        super().execute(statement, params)


def cdb(in_container: dict | None = None, **changes: object) -> Cdb:
    ready = ready_database(in_container, **changes)
    return Cdb(ready.answers, ready.in_container)


class Databases:
    """`database_connect`: the CDC user's connection to the database dbInfo names."""

    def __init__(self, db: OracleDouble | None = None, error: Exception | None = None) -> None:
        self.db, self.error = db, error
        self.asked: list[dict] = []

    def __call__(self, info):
        self.asked.append(dict(info))
        if self.error is not None:
            raise self.error
        return {DB_INFO["host"]: self.db}[info["host"]]


def _admin(connect: StoppableConnect, databases: Databases | None = None, info: dict | None = None) -> ConnectorAdmin:
    admin = ConnectorAdmin(connect=connect, stage=STAGE, poll_interval=0.01)
    if databases is not None:
        admin.database_info = lambda: dict(info or DB_INFO)
        admin.database_connect = databases
    return admin


def _unchecked(scn: int, threads: list[int], reason: str) -> dict:
    """The `position` a result shows when what was open at `scn` could not be told."""
    offset = {"scn": str(scn - 1), "commit_scn": ",".join(f"{scn}:{t}:" for t in threads)}
    return {"scn": scn, "offset": offset, "openTransactions": 0, "oldestOpen": None, "redoThreads": threads,
            "known": False, "unknownReason": reason, "ddlSince": [], "warnings": []}


# -- which SCNs are positions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("scn", [1, 2, MAX_SCN - 1, MAX_SCN])
def test_every_scn_from_1_to_the_largest_is_a_position(scn):
    assert check_scn(scn, "SCN") == scn
    result = _admin(StoppableConnect("RUNNING")).alter_offsets(NAME, scn, accept_unknown=True, dry_run=True)
    assert result["offset"] == {"scn": str(scn - 1), "commit_scn": f"{scn}:1:"}


@pytest.mark.parametrize("scn", [0, -1, MAX_SCN + 1, True, "5000", 5000.0])
def test_what_is_not_an_scn_is_refused_before_connect_is_asked(scn):
    message = f"SCN {scn!r} is not allowed: a whole number from 1 to {MAX_SCN}."
    connect = StoppableConnect("RUNNING", LIVE_OFFSET)
    admin = _admin(connect)
    with pytest.raises(BadRequest) as start:
        admin.start_from(NAME, scn, timeout=5, accept_unknown=True)
    with pytest.raises(BadRequest) as alter:
        admin.alter_offsets(NAME, scn, accept_unknown=True)
    assert start.value.message == alter.value.message == message
    assert connect.calls == [] and connect.polls == 0


# -- the connector it is asked of ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        lambda admin: admin.start_from(NAME, N, timeout=5, accept_unknown=True),
        lambda admin: admin.start_from(NAME, N, timeout=5, accept_unknown=True, dry_run=True),
        lambda admin: admin.alter_offsets(NAME, N, accept_unknown=True),
        lambda admin: admin.alter_offsets(NAME, N, accept_unknown=True, dry_run=True),
    ],
    ids=["start_from", "start_from dry run", "alter_offsets", "alter_offsets dry run"],
)
def test_a_connector_that_does_not_exist_is_named(operation):
    connect = StoppableConnect(None)
    with pytest.raises(ConnectorNotFound) as raised:
        operation(_admin(connect))
    assert raised.value.message == f"Connector `{NAME}` does not exist on this Connect cluster."
    assert connect.calls == []


@pytest.mark.parametrize("state", ["RUNNING", "PAUSED", "FAILED"])
def test_offsets_are_written_only_while_stopped(state):
    connect = StoppableConnect(state, LIVE_OFFSET)
    with pytest.raises(Refused) as raised:
        _admin(connect).alter_offsets(NAME, N, accept_unknown=True)
    assert raised.value.message == (
        f"Refusing to alter the offsets of connector `{NAME}`: it is {state}. Connect changes offsets only while a "
        "connector is STOPPED; stop it first."
    )
    assert connect.calls == [] and connect.entries[0]["offset"] == LIVE_OFFSET


# -- a position that cannot be checked ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        lambda admin: admin.start_from(NAME, N, timeout=5),
        lambda admin: admin.start_from(NAME, N, timeout=5, dry_run=True),
        lambda admin: admin.alter_offsets(NAME, N),
        lambda admin: admin.alter_offsets(NAME, N, dry_run=True),
    ],
    ids=["start_from", "start_from dry run", "alter_offsets", "alter_offsets dry run"],
)
def test_without_the_database_a_position_is_refused_unless_accepted_and_nothing_changes(operation):
    connect = StoppableConnect("STOPPED", LIVE_OFFSET)
    with pytest.raises(Refused) as raised:
        operation(_admin(connect))
    assert raised.value.message == (
        "Refused: cannot tell which transactions were open at SCN 5000: this admin has no database settings to ask "
        f"Oracle. {REFUSED_SUFFIX}"
    )
    assert connect.calls == [] and connect.entries[0]["offset"] == LIVE_OFFSET


def test_an_accepted_unchecked_position_is_written_for_every_redo_thread_of_the_offset():
    connect = StoppableConnect("STOPPED", LIVE_OFFSET)
    result = _admin(connect).alter_offsets(NAME, N, accept_unknown=True)
    offset = {"scn": "4999", "commit_scn": "5000:1:,5000:2:"}
    assert result == {
        "partition": PARTITION, "offset": offset, "previous": LIVE_OFFSET,
        "position": _unchecked(N, [1, 2], "this admin has no database settings to ask Oracle"),
        "warnings": [], "dryRun": False, "message": ALTERED,
    }
    # Only `scn` and `commit_scn`: txId/txSeq/snapshot_scn of the old position would skip events after the move.
    assert connect.written == [[{"partition": PARTITION, "offset": offset}]]
    assert connect.get_offsets(NAME) == {"offsets": [{"partition": PARTITION, "offset": offset}]}
    assert connect.calls == ["alter_offsets"] and connect.state == "STOPPED"


def test_a_connector_that_never_committed_an_offset_gets_one_on_the_first_redo_thread():
    connect = StoppableConnect("STOPPED")  # created stopped, never ran
    result = _admin(connect).alter_offsets(NAME, N, accept_unknown=True)
    assert (result["previous"], result["offset"]) == (None, {"scn": "4999", "commit_scn": "5000:1:"})
    assert connect.written == [[{"partition": PARTITION, "offset": {"scn": "4999", "commit_scn": "5000:1:"}}]]


def test_only_the_stages_own_partition_is_the_current_offset():
    # A partition left from another topic.prefix is not this connector's position, and is left alone.
    other = {"server": "feat-y.aws.wms.cdc"}
    connect = StoppableConnect("STOPPED", LIVE_OFFSET, other_partitions=(other,))
    result = _admin(connect).alter_offsets(NAME, N, accept_unknown=True)
    assert result["previous"] == LIVE_OFFSET and result["partition"] == PARTITION
    assert connect.written == [[{"partition": PARTITION, "offset": {"scn": "4999", "commit_scn": "5000:1:,5000:2:"}}]]
    assert {"partition": other, "offset": {"scn": "100", "commit_scn": "100:1:"}} in connect.entries


@pytest.mark.parametrize("state", ["RUNNING", "STOPPED"])
def test_a_dry_run_shows_the_offset_and_writes_nothing(state):
    connect = StoppableConnect(state, LIVE_OFFSET)
    result = _admin(connect).alter_offsets(NAME, N, accept_unknown=True, dry_run=True)
    assert result == {
        "partition": PARTITION, "offset": {"scn": "4999", "commit_scn": "5000:1:,5000:2:"}, "previous": LIVE_OFFSET,
        "position": _unchecked(N, [1, 2], "this admin has no database settings to ask Oracle"),
        "warnings": [], "dryRun": True,
    }
    assert connect.calls == [] and connect.entries[0]["offset"] == LIVE_OFFSET


# -- the position found as the CDC user -----------------------------------------------------------------------------


def _ddl_in_pdb_at_4900(p: dict) -> list[tuple]:
    """ALL_OBJECTS in the PDB: WMS.PLAN_WVR_RVSN_TBL was altered at SCN 4900 (LAST_DDL_TIME >= the SCN's time)."""
    table = (p["owner"], p["table_name"])
    return [("2026-12-07 23:10:00",)] if table == ("WMS", "PLAN_WVR_RVSN_TBL") and p["scn"] <= 4900 else []


def _pdb_database() -> Cdb:
    # A transaction open since SCN 4500 at N; the captured tables (and their DDL) are visible only in the PDB.
    return cdb(
        in_container={("ORCLPDB1", sql.DDL_SINCE): _ddl_in_pdb_at_4900},
        OPEN_TRANSACTIONS=lambda p: [(XID, 4500)] if p["scn"] > 4500 else [],
        REDO_THREADS=[(1, "OPEN", "PUBLIC"), (2, "OPEN", "PUBLIC")],
        OPEN_TRANSACTIONS_RAC=lambda p: [(XID, 4500)] if p["scn"] > 4500 else [],
    )


DDL_WARNING = (
    "DDL may lie between the connector's position (SCN 4800) and SCN 5000 on WMS.PLAN_WVR_RVSN_TBL (2026-12-07 "
    "23:10:00): the schema history does not follow a move across it, so events from before the change may be read "
    "with the wrong table structure. Check the DDL, and if a column changed, take a new snapshot of those tables "
    "instead."
)
KNOWN_POSITION = {
    "scn": N, "offset": {"scn": "4499", "commit_scn": "5000:1:,5000:2:"}, "openTransactions": 1,
    "oldestOpen": {"xid": XID, "startScn": 4500, "commitScn": None}, "redoThreads": [1, 2], "known": True,
    "unknownReason": None, "ddlSince": [{"table": "WMS.PLAN_WVR_RVSN_TBL", "lastDdl": "2026-12-07 23:10:00"}],
    "warnings": [DDL_WARNING],
}


@pytest.mark.parametrize("dry_run", [False, True])
def test_alter_offsets_writes_the_position_found_in_the_pdb_since_the_connectors_own(dry_run):
    db = _pdb_database()
    databases = Databases(db)
    connect = StoppableConnect("STOPPED", LIVE_OFFSET)
    result = _admin(connect, databases).alter_offsets(NAME, N, dry_run=dry_run)
    assert result == {
        "partition": PARTITION, "offset": KNOWN_POSITION["offset"], "previous": LIVE_OFFSET,
        "position": KNOWN_POSITION, "warnings": [DDL_WARNING], "dryRun": dry_run,
        **({} if dry_run else {"message": ALTERED}),
    }
    assert connect.written == ([] if dry_run else [[{"partition": PARTITION, "offset": KNOWN_POSITION["offset"]}]])
    assert databases.asked == [DB_INFO] and db.closed and db.container == sql.ROOT_CONTAINER


def test_start_from_stops_writes_the_position_it_found_before_stopping_and_starts_again():
    db = _pdb_database()
    # Stopping, the task commits one last offset: the write must follow it, not the offset read before the stop.
    final = {**LIVE_OFFSET, "scn": "4850", "commit_scn": "4950:1:,4960:2:,4970:3:0c0005001b020000"}
    connect = StoppableConnect("RUNNING", LIVE_OFFSET, final_offset=final, task_state="FAILED")
    result = _admin(connect, Databases(db)).start_from(NAME, N, timeout=5)
    offset = {"scn": "4499", "commit_scn": "5000:1:,5000:2:,5000:3:"}
    position = {**KNOWN_POSITION, "offset": offset, "redoThreads": [1, 2, 3]}
    assert result == {"partition": PARTITION, "offset": offset, "previous": final, "position": position,
                      "warnings": [DDL_WARNING], "dryRun": False, "message": ALTERED}
    # Running again even though its task fails (no database here): the caller's status shows that, not a timeout.
    assert connect.calls == ["stop", "alter_offsets", "resume"] and connect.state == "RUNNING"
    assert connect.written == [[{"partition": PARTITION, "offset": offset}]]


def test_a_start_from_dry_run_shows_the_position_and_leaves_the_connector_running():
    connect = StoppableConnect("RUNNING", LIVE_OFFSET)
    result = _admin(connect, Databases(_pdb_database())).start_from(NAME, N, timeout=5, dry_run=True)
    assert result == {"partition": PARTITION, "offset": KNOWN_POSITION["offset"], "previous": LIVE_OFFSET,
                      "position": KNOWN_POSITION, "warnings": [DDL_WARNING], "dryRun": True}
    assert connect.calls == [] and connect.state == "RUNNING"


@pytest.mark.parametrize(
    ("config", "info", "warnings"),
    [
        # usePdb off (no `database.pdb.name`): the captured tables live in the root, whatever dbInfo says.
        (NO_PDB_CONFIG, DB_INFO, [DDL_WARNING]),
        # A dbInfo that names no PDB: the questions are asked in the root rather than of a container named "".
        (CONFIG, {k: v for k, v in DB_INFO.items() if k != "pdb"}, [DDL_WARNING]),
    ],
    ids=["no usePdb", "dbInfo without pdb"],
)
def test_without_a_pdb_the_position_is_read_in_the_root(config, info, warnings):
    db = cdb(in_container={("ORCLPDB1", sql.DDL_SINCE): lambda p: []}, DDL_SINCE=_ddl_in_pdb_at_4900)
    connect = StoppableConnect("STOPPED", LIVE_OFFSET, config=config)
    result = _admin(connect, Databases(db), info).alter_offsets(NAME, N)
    assert result["position"]["known"] is True and result["warnings"] == warnings
    assert {container for container, _ in db.ran_in} == {sql.ROOT_CONTAINER}


def test_a_connector_that_never_committed_an_offset_is_checked_for_ddl_since_n():
    def ddl_at_5100(p: dict) -> list[tuple]:
        return [("2026-12-08 00:05:00",)] if (p["owner"], p["table_name"]) == ("MMDL", "PLAN_BASE_WVR_TBL") and \
            p["scn"] <= 5100 else []

    db = cdb(in_container={("ORCLPDB1", sql.DDL_SINCE): ddl_at_5100})
    result = _admin(StoppableConnect("STOPPED"), Databases(db)).alter_offsets(NAME, N)
    assert result["previous"] is None and result["position"]["known"] is True
    assert result["offset"] == {"scn": "4999", "commit_scn": "5000:1:"}
    assert result["warnings"] == [
        "DDL may lie since SCN 5000 on MMDL.PLAN_BASE_WVR_TBL (2026-12-08 00:05:00): the schema history does not "
        "follow a move across it, so events from before the change may be read with the wrong table structure. "
        "Check the DDL, and if a column changed, take a new snapshot of those tables instead."
    ]


def test_with_no_ddl_since_either_position_there_is_no_warning():
    # The current offset is past the DDL at 4900 and N too: nothing to warn of.
    db = cdb(in_container={("ORCLPDB1", sql.DDL_SINCE): _ddl_in_pdb_at_4900})
    connect = StoppableConnect("STOPPED", {**LIVE_OFFSET, "scn": "4950"})
    result = _admin(connect, Databases(db)).alter_offsets(NAME, N)
    assert result["warnings"] == [] and result["position"]["known"] is True
    assert result["offset"] == {"scn": "4999", "commit_scn": "5000:1:,5000:2:"}


def test_a_thread_only_the_offset_names_has_its_open_transactions_looked_for_on_every_instance():
    # V$THREAD lists one thread now, the offset names two: what was open is read from GV$TRANSACTION (every
    # instance), where the transaction open since 4600 on the other instance shows.
    db = cdb(OPEN_TRANSACTIONS=lambda p: [], OPEN_TRANSACTIONS_RAC=lambda p: [(XID, 4600)])
    result = _admin(StoppableConnect("STOPPED", LIVE_OFFSET), Databases(db)).alter_offsets(NAME, N)
    assert result["offset"] == {"scn": "4599", "commit_scn": "5000:1:,5000:2:"}
    assert result["position"]["known"] is True


# -- when the database cannot tell -----------------------------------------------------------------------------------


UNREACHABLE = "Could not connect to db:1521/ORCLCDB as C##WMSCDC: DPY-6005: cannot connect to database"


@pytest.mark.parametrize(
    ("databases", "reason"),
    [
        (Databases(error=PreflightConnectError(UNREACHABLE)), UNREACHABLE),
        # A refused view: only the first line of Oracle's message.
        (Databases(cdb(REDO_THREADS=oracledb.DatabaseError(
            "ORA-00942: table or view does not exist\nHelp: https://docs.oracle.com/error-help/db/ora-00942/"))),
         "DatabaseError: ORA-00942: table or view does not exist"),
        # A connection lost mid-question carries no text: its type still names it.
        (Databases(cdb(REDO_THREADS=ConnectionResetError())), "ConnectionResetError"),
    ],
    ids=["unreachable", "refused view", "lost connection"],
)
def test_a_database_that_cannot_tell_makes_the_position_unknown_with_its_reason(databases, reason):
    connect = StoppableConnect("STOPPED", LIVE_OFFSET)
    with pytest.raises(Refused) as raised:
        _admin(connect, databases).alter_offsets(NAME, N)
    assert raised.value.message == (
        f"Refused: cannot tell which transactions were open at SCN 5000: {reason}. {REFUSED_SUFFIX}"
    )
    assert connect.written == []
    result = _admin(connect, databases).alter_offsets(NAME, N, accept_unknown=True)
    assert result["position"] == _unchecked(N, [1, 2], reason)
    assert connect.written == [[{"partition": PARTITION, "offset": {"scn": "4999", "commit_scn": "5000:1:,5000:2:"}}]]
    if databases.db is not None:
        assert databases.db.closed


# -- start_from waits within the caller's timeout ---------------------------------------------------------------------


def test_a_connector_that_does_not_stop_in_time_gets_no_new_offset():
    connect = StoppableConnect("RUNNING", LIVE_OFFSET, ignore=("stop",))
    with pytest.raises(StateTimeout, match=f"Connector `{NAME}` did not reach stopped within 0s"):
        _admin(connect).start_from(NAME, N, timeout=0.3, accept_unknown=True)
    assert "alter_offsets" not in connect.calls and "resume" not in connect.calls
    assert connect.entries[0]["offset"] == LIVE_OFFSET


def test_a_connector_that_does_not_start_again_in_time_is_reported_with_its_offset_written():
    connect = StoppableConnect("RUNNING", LIVE_OFFSET, ignore=("resume",))
    with pytest.raises(StateTimeout, match=f"Connector `{NAME}` did not reach running within 0s"):
        _admin(connect).start_from(NAME, N, timeout=0.3, accept_unknown=True)
    assert connect.calls[:3] == ["stop", "alter_offsets", "resume"] and connect.state == "STOPPED"
    assert connect.written == [[{"partition": PARTITION, "offset": {"scn": "4999", "commit_scn": "5000:1:,5000:2:"}}]]

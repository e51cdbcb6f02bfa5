"""An exact start position: the source offset that makes Debezium emit every transaction whose commit SCN is N or
higher, whole, and nothing committed before N.

How Debezium 3.6.1's LogMiner adapter reads an offset (BufferedLogMinerStreamingChangeEventSource):
- `scn` is an exclusive lower bound: mining is `SCN > scn` (BufferedLogMinerQueryBuilder.getPredicates). A
  transaction's changes at or below it are never read again, so `scn` must lie below the start of every
  transaction still open at N: `min(N, oldest open start) - 1`.
- `commit_scn` (`<scn>:<thread>:<xids>` per redo thread, CommitScn) marks commits as handled: a commit whose SCN
  is below its thread's value is dropped with all its buffered changes at COMMIT (handleCommitEvent ->
  CommitScn.hasEventScnBeenHandled); a thread the map does not name is never handled. So every redo thread gets
  N with no transaction ids: commits below N are dropped, a commit at N or above is emitted.
- `txId`/`txSeq` skip the first `txSeq` events of transaction `txId` as already sent; `snapshot_scn` skips every
  event below it whose transaction was not pending at the snapshot (isEventIncludedInSnapshot); `snapshot*` keys
  resume a snapshot. None of them may survive a move, so the offset holds `scn` and `commit_scn` only.

Which transactions were open at N is read as the CDC user (queries in sql.py): those still open from
V$TRANSACTION (GV$TRANSACTION with more than one redo thread), those committed since from
FLASHBACK_TRANSACTION_QUERY (SELECT ANY TRANSACTION). The second comes from undo, kept about TUNED_UNDORETENTION
seconds after a commit (V$UNDOSTAT): when N is older than that, or Oracle cannot date N (ORA-08181), what was open
is unknown, and the caller refuses unless told to go ahead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from wms_connector.preflight import sql

# Keys of the new offset; every other key of Debezium's offset is dropped (see above).
OFFSET_KEYS = ("scn", "commit_scn")


@dataclass(frozen=True)
class OpenTransaction:
    xid: str
    start_scn: int
    commit_scn: int | None  # None: still open


@dataclass(frozen=True)
class StartPosition:
    scn: int  # N: the first commit SCN emitted
    threads: tuple[int, ...]  # redo threads (each gets N in commit_scn)
    open_transactions: tuple[OpenTransaction, ...] = ()
    known: bool = True  # whether every transaction open at N could be found
    unknown_reason: str | None = None
    ddl_since: tuple[tuple[str, str], ...] = ()  # (table, last DDL time) for captured tables changed since
    ddl_since_scn: int | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def mining_scn(self) -> int:
        """The offset's `scn`: below N and below the start of every transaction open at N."""
        starts = [t.start_scn for t in self.open_transactions]
        return min([self.scn, *starts]) - 1

    @property
    def commit_scn(self) -> str:
        return ",".join(f"{self.scn}:{thread}:" for thread in self.threads)

    def offset(self) -> dict[str, str]:
        return {"scn": str(self.mining_scn), "commit_scn": self.commit_scn}

    def to_dict(self) -> dict[str, Any]:
        oldest = min(self.open_transactions, key=lambda t: t.start_scn, default=None)
        return {
            "scn": self.scn,
            "offset": self.offset(),
            "openTransactions": len(self.open_transactions),
            "oldestOpen": {"xid": oldest.xid, "startScn": oldest.start_scn, "commitScn": oldest.commit_scn}
            if oldest else None,
            "redoThreads": list(self.threads),
            "known": self.known,
            "unknownReason": self.unknown_reason,
            "ddlSince": [{"table": table, "lastDdl": when} for table, when in self.ddl_since],
            "warnings": list(self.warnings),
        }


def unchecked_position(scn: int, threads: Iterable[int], reason: str) -> StartPosition:
    """The position when the database cannot be asked: no transaction known open at N (one that was is emitted
    without its changes before N)."""
    return StartPosition(scn, tuple(sorted(set(threads))) or (1,), known=False, unknown_reason=reason)


def _rows(connection: Any, statement: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
    cursor = connection.cursor()
    cursor.execute(statement, dict(params or {}))
    return list(cursor.fetchall())


def _oracle_error(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def find_start_position(
    connection: Any,
    scn: int,
    *,
    tables: Sequence[tuple[str, str]],
    pdb: str | None = None,
    old_scn: int | None = None,
    offset_threads: Iterable[int] = (),
) -> StartPosition:
    """The exact position for N = `scn`, read as the CDC user. `tables` are the captured (owner, table) pairs,
    checked for DDL since the earlier of `old_scn` (the connector's position now) and N; `pdb` is the container
    the captured tables live in (dbInfo's pdb when the stage sets usePdb); `offset_threads` are redo threads the
    current offset names (kept, so none of them is re-emitted)."""
    if pdb:
        _rows(connection, sql.set_container(pdb))
    threads = sorted({int(row[0]) for row in _rows(connection, sql.REDO_THREADS)} | set(offset_threads)) or [1]
    open_query = sql.OPEN_TRANSACTIONS_RAC if len(threads) > 1 else sql.OPEN_TRANSACTIONS
    transactions = {
        str(xid): OpenTransaction(str(xid), int(start), None)
        for xid, start in _rows(connection, open_query, {"scn": scn}) if start is not None
    }
    known, reason = True, None
    try:
        age = _rows(connection, sql.SCN_AGE_SECONDS, {"scn": scn})[0][0]
        retention = _rows(connection, sql.UNDO_RETENTION_SECONDS)[0][0]
        if age is None or retention is None:
            known, reason = False, "the database reported no undo retention (V$UNDOSTAT is empty)"
        elif age > retention:
            known, reason = False, (
                f"SCN {scn} is {int(age)} s old and the undo is kept about {int(retention)} s: transactions that "
                "were open then and have committed since may be gone from FLASHBACK_TRANSACTION_QUERY"
            )
    except Exception as exc:  # ORA-08181: too old to date; a refused view: the caller says what it needs
        known, reason = False, f"Oracle could not date SCN {scn}: {_oracle_error(exc)}"
    if known:
        for xid, start, commit in _rows(connection, sql.COMMITTED_SINCE, {"scn": scn}):
            if start is not None and str(xid) not in transactions:
                transactions[str(xid)] = OpenTransaction(str(xid), int(start), None if commit is None else int(commit))
    since = min(scn, old_scn) if old_scn else scn
    ddl: list[tuple[str, str]] = []
    try:
        for owner, table in tables:
            for (when,) in _rows(connection, sql.DDL_SINCE, {"owner": owner, "table_name": table, "scn": since}):
                ddl.append((f"{owner}.{table}", str(when)))
    except Exception as exc:
        ddl_error = _oracle_error(exc)
    else:
        ddl_error = None
    if pdb:
        _rows(connection, sql.set_container(sql.ROOT_CONTAINER))
    position = StartPosition(
        scn, tuple(threads), tuple(sorted(transactions.values(), key=lambda t: t.start_scn)), known, reason,
        tuple(ddl), since,
    )
    return replace(position, warnings=tuple(_warnings(position, old_scn, ddl_error)))


def _warnings(position: StartPosition, old_scn: int | None, ddl_error: str | None) -> list[str]:
    warnings = []
    if position.ddl_since:
        tables = ", ".join(f"{table} ({when})" for table, when in position.ddl_since)
        moving = f"between the connector's position (SCN {old_scn}) and SCN {position.scn}" if old_scn else (
            f"since SCN {position.scn}")
        warnings.append(
            f"DDL may lie {moving} on {tables}: the schema history does not follow a move across it, so events "
            "from before the change may be read with the wrong table structure. Check the DDL, and if a column "
            "changed, take a new snapshot of those tables instead."
        )
    if ddl_error:
        warnings.append(f"Could not check the captured tables for DDL since SCN {position.ddl_since_scn}: {ddl_error}.")
    return warnings

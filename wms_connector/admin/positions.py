"""Start positions for the on-call operations and a first deploy: the exact offset for an SCN
(wms_connector/preflight/start_position.py) found as the CDC user, shown (`dry_run`) or written while the connector
is STOPPED, and `start_from` (stop, write, start) as one operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from wms_connector.admin.checks import check_name
from wms_connector.admin.errors import BadRequest, Refused, not_found
from wms_connector.connect_rules import DEFAULT_STATE_TIMEOUT
from wms_connector.connector.options import MAX_SCN
from wms_connector.preflight.connect import PreflightConnectError
from wms_connector.preflight.start_position import StartPosition, find_start_position, unchecked_position
from wms_connector.topics import CAPTURED_TABLES, StageTopics


def check_scn(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SCN:
        raise BadRequest(f"{what} {value!r} is not allowed: a whole number from 1 to {MAX_SCN}.")
    return value


def offset_threads(offset: Mapping[str, Any] | None) -> list[int]:
    """The redo threads an offset's `commit_scn` names (`<scn>:<thread>:<xids>`, comma-separated, CommitScn)."""
    parts = [part.split(":") for part in str((offset or {}).get("commit_scn") or "").split(",")]
    return sorted({int(p[1]) for p in parts if len(p) == 3 and p[1].isdigit()})


def _unknown_refusal(position: StartPosition) -> Refused:
    return Refused(
        f"Refused: cannot tell which transactions were open at SCN {position.scn}: {position.unknown_reason}. One "
        f"that was open then would be emitted without its changes before SCN {position.scn}. Pick a younger SCN, "
        "or go ahead knowing that (`--accept-unknown-open-transactions` with ops, the option "
        "`acceptUncheckedStartScn` with startScn)."
    )


class StartPositions:
    """The start-position operations of ConnectorAdmin (operations.py), which supplies `connect`, `stage`,
    `database_info`, `database_connect`, `set_state` and `_require_stopped`."""

    def _source_offset(self, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        partition = {"server": StageTopics(self.stage).topic_prefix}
        entries = [e for e in self.connect.get_offsets(name).get("offsets") or [] if e.get("partition") == partition]
        return partition, (entries[0].get("offset") if entries else None)

    def start_position(
        self, scn: int, *, config: Mapping[str, str] | None, current: Mapping[str, Any] | None,
        accept_unknown: bool = False,
    ) -> StartPosition:
        """The exact position for `scn` (wms_connector/preflight/start_position.py), asked of the database as the
        CDC user; Refused when what was open at `scn` cannot be told, unless `accept_unknown`."""
        threads = offset_threads(current)
        old = str((current or {}).get("scn") or "")
        if self.database_info is None:
            position = unchecked_position(scn, threads, "this admin has no database settings to ask Oracle")
        else:
            position = self._ask_database(scn, threads, int(old) if old.isdigit() else None, config)
        if not position.known and not accept_unknown:
            raise _unknown_refusal(position)
        return position

    def _ask_database(
        self, scn: int, threads: list[int], old_scn: int | None, config: Mapping[str, str] | None
    ) -> StartPosition:
        assert self.database_info is not None
        info = self.database_info()
        # The captured tables live in the PDB when the connector names one (its value is a placeholder).
        pdb = str(info.get("pdb") or "") if config and config.get("database.pdb.name") else None
        try:
            connection = self.database_connect(info)
        except PreflightConnectError as exc:
            return unchecked_position(scn, threads, str(exc))
        try:
            return find_start_position(
                connection, scn, tables=CAPTURED_TABLES, pdb=pdb or None, old_scn=old_scn, offset_threads=threads
            )
        except Exception as exc:  # a refused view or a lost connection: what was open at N is unknown
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            return unchecked_position(scn, threads, f"{type(exc).__name__}: {first_line}" if first_line
                                      else type(exc).__name__)
        finally:
            connection.close()

    def alter_offsets(
        self, name: str, scn: int, *, accept_unknown: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        """Point the source offset at `scn` (only while STOPPED): from then on every transaction whose commit SCN
        is `scn` or higher is emitted whole, and nothing committed before it. `dry_run` only shows the offset."""
        check_scn(scn, "SCN")
        if dry_run:
            if self.connect.get_config(check_name(name)) is None:
                raise not_found(name)
        else:
            self._require_stopped(name, "alter the offsets")
        _, current = self._source_offset(name)
        position = self.start_position(
            scn, config=self.connect.get_config(name), current=current, accept_unknown=accept_unknown
        )
        return self._write_position(name, position, dry_run=dry_run)

    def _write_position(self, name: str, position: StartPosition, *, dry_run: bool = False) -> dict[str, Any]:
        partition, current = self._source_offset(name)
        # Every redo thread the offset names now keeps a commit_scn entry (one it lacks is never "handled").
        position = replace(position, threads=tuple(sorted({*position.threads, *offset_threads(current)})))
        result = {"partition": partition, "offset": position.offset(), "previous": current,
                  "position": position.to_dict(), "warnings": list(position.warnings), "dryRun": dry_run}
        if dry_run:
            return result
        answer = self.connect.alter_offsets(name, [{"partition": partition, "offset": position.offset()}])
        return {**result, "message": (answer or {}).get("message")}

    def start_from(
        self, name: str, scn: int, *, timeout: float = DEFAULT_STATE_TIMEOUT, accept_unknown: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """A start position as one operation: stop, set the offset for `scn`, start again. The position is found
        before anything is stopped, so a refusal changes nothing."""
        check_scn(scn, "SCN")
        if self.connect.get_config(check_name(name)) is None:
            raise not_found(name)
        _, current = self._source_offset(name)
        position = self.start_position(
            scn, config=self.connect.get_config(name), current=current, accept_unknown=accept_unknown
        )
        if dry_run:
            return self._write_position(name, position, dry_run=True)
        self.set_state(name, "stopped", timeout=timeout, require_tasks=False)
        written = self._write_position(name, position)
        self.set_state(name, "running", timeout=timeout, require_tasks=False)
        return written


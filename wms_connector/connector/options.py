"""The connector options a stack may set under `wms-connector:connector`, parsed and checked: every error names
the option and says what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wms_connector.connect_rules import STATES
from wms_connector.connector.credentials import is_credential_key
from wms_connector.connector.debezium_properties import property_problem
from wms_connector.connector.managed_keys import is_managed_key, managed_reason
from wms_connector.flags import as_bool
from wms_connector.redaction import redact, shown
from wms_connector.topics import CAPTURED_TABLE_NAMES, CAPTURED_TABLES

# The stack config key that holds the options (a structured object).
OPTIONS_KEY = "wms-connector:connector"

RECORD_FORMATS = ("envelope", "flat")
SNAPSHOT_MODES = ("initial", "when_needed", "no_data", "recovery")
# What a DDL statement Debezium's parser refuses does: fail the task (Debezium's default; nothing is lost, capture
# waits) or skip it (capture goes on; the schema history misses that statement).
UNPARSABLE_DDL_CHOICES = ("fail", "skip")
HASH_ALGORITHMS = ("SHA-256", "SHA-384", "SHA-512")


class ConnectorOptionsError(ValueError):
    """A connector option or property that cannot be used; the message names it and says what is allowed."""

    def __init__(self, message: str, allowed: str | None = None):
        super().__init__(message)
        self.allowed = allowed  # what is allowed, without the refused value (for messages that must not show it)


_COLUMN = re.compile(r"(?P<schema>[A-Z][A-Z0-9_$#]*)\.(?P<table>[A-Z][A-Z0-9_$#]*)\.(?P<column>[A-Z][A-Z0-9_$#]*)")
_PROPERTY_KEY = re.compile(r"[a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
_SALT = re.compile(r"[A-Za-z0-9_-]{16,128}")
_OPTION_NAMES = {
    "recordFormat": "record_format",
    "state": "state",
    "snapshotMode": "snapshot_mode",
    "maskColumns": "mask_columns",
    "maskLength": "mask_length",
    "hashColumns": "hash_columns",
    "hashAlgorithm": "hash_algorithm",
    "hashSalt": "hash_salt",
    "usePdb": "use_pdb",
    "useJdbcUrl": "use_jdbc_url",
    "heartbeatIntervalMs": "heartbeat_interval_ms",
    "allowUnreachableDatabase": "allow_unreachable_database",
    "heartbeatTable": "heartbeat_table",
    "startScn": "start_scn",
    "acceptUncheckedStartScn": "accept_unchecked_start_scn",
    "unparsableDdl": "unparsable_ddl",
    "archiveDestinationName": "archive_destination_name",
    "racNodes": "rac_nodes",
    "acceptSilentResnapshot": "accept_silent_resnapshot",
    "runsWithoutHeartbeatTable": "runs_without_heartbeat_table",
    "extraProperties": "extra_properties",
}


# The largest SCN that survives Pulumi's wire format (a double) exactly.
MAX_SCN = 2**53 - 1


def _fail(option: str, value: object, allowed: str) -> ConnectorOptionsError:
    shown_value = "<hidden>" if option == "hashSalt" else shown(value)
    return ConnectorOptionsError(
        f"Invalid stack config `{OPTIONS_KEY}.{option}` = {shown_value}: allowed {allowed}.", allowed
    )


def _choice(option: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _fail(option, value, "one of " + ", ".join(choices))
    return str(value)


def _boolean(option: str, value: object) -> bool:
    flag = as_bool(value)
    if flag is None:
        raise _fail(option, value, "true or false")
    return flag


def _whole(option: str, value: object, low: int, high: int) -> int:
    # ASCII digits, and few enough that int() reads them (it refuses thousands of digits).
    if isinstance(value, bool) or not isinstance(value, int | str) or not re.fullmatch(r"[0-9]{1,18}", str(value)):
        raise _fail(option, value, f"a whole number from {low} to {high}")
    number = int(value)
    if not low <= number <= high:
        raise _fail(option, value, f"a whole number from {low} to {high}")
    return number


def _columns(option: str, value: object) -> tuple[str, ...]:
    tables = ", ".join(CAPTURED_TABLE_NAMES)
    allowed = f"a list of `SCHEMA.TABLE.COLUMN` (upper case) for a captured table ({tables})"
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _fail(option, value, allowed)
    for column in value:
        match = _COLUMN.fullmatch(column)
        if not match or (match["schema"], match["table"]) not in CAPTURED_TABLES:
            raise _fail(option, column, allowed)
    if len(set(value)) != len(value):
        raise _fail(option, value, allowed + ", each listed once")
    return tuple(value)


# Values that would make the connector silently capture nothing, or carry a credential: key -> (test, why).
def _trap(key: str, text: str) -> str | None:
    if key == "log.mining.query.filter.mode" and text.strip().lower() == "in":
        return (
            "`in` matches the include lists as literal names, and this project's table include list is a list of "
            "regular expressions (`^WMS\\.PLAN_BASE_WVR_TBL$`), so nothing would ever be captured. Use `none` "
            "(the default) or `regex`."
        )
    problem = property_problem(key, text)
    if problem:
        return problem
    if redact(text) != text:
        return (
            "its value carries a credential (a user or password in a URL or connection string). Credentials come "
            "only from the dbInfo secret; remove them from the value."
        )
    return None


def _extra_properties(value: object) -> tuple[tuple[str, str], ...]:
    option = "extraProperties"
    if not isinstance(value, Mapping):
        raise _fail(option, value, "an object of connector property names to string, number or boolean values")
    extras = []
    for key, raw in value.items():
        if not isinstance(key, str) or not _PROPERTY_KEY.fullmatch(key):
            raise _fail(
                option, key, "property names of lower-case dot-separated words (e.g. log.mining.window.max.ms)"
            )
        if is_credential_key(key):
            raise ConnectorOptionsError(
                f"Invalid stack config `{OPTIONS_KEY}.{option}`: property `{key}` looks like a credential. "
                "Credentials never go in stack config; the worker gets them from the dbInfo secret and the "
                "connector refers to them as ${env:…} placeholders."
            )
        if is_managed_key(key):
            raise ConnectorOptionsError(
                f"Invalid stack config `{OPTIONS_KEY}.{option}`: property `{key}` is managed by this project "
                f"({managed_reason(key)}) and cannot be overridden."
            )
        if isinstance(raw, bool):
            text = str(raw).lower()
        elif isinstance(raw, int | float | str):
            text = str(raw)
        else:
            raise _fail(option, {key: raw}, f"a string, number or boolean value for `{key}`")
        trap = _trap(key, text)
        if trap:
            raise ConnectorOptionsError(f"Invalid stack config `{OPTIONS_KEY}.{option}`: property `{key}`: {trap}")
        if "${" in text:
            raise ConnectorOptionsError(
                f"Invalid stack config `{OPTIONS_KEY}.{option}`: property `{key}` uses a config provider reference "
                "(`${…}`); only the managed database properties may reference the worker's environment."
            )
        extras.append((key, text))
    return tuple(sorted(extras))


@dataclass(frozen=True)
class ConnectorOptions:
    """The connector options a stack may set under `wms-connector:connector` (all optional)."""

    record_format: str = "envelope"  # envelope: Debezium's change events; flat: row state like the JDBC topics
    state: str = "running"  # the state Pulumi keeps the connector in
    snapshot_mode: str = "initial"  # `recovery` rebuilds a lost schema history topic
    mask_columns: tuple[str, ...] = ()  # SCHEMA.TABLE.COLUMN replaced by asterisks
    mask_length: int = 8
    hash_columns: tuple[str, ...] = ()  # SCHEMA.TABLE.COLUMN replaced by a salted hash (joinable, not readable)
    hash_algorithm: str = "SHA-256"
    hash_salt: str | None = field(default=None, repr=False)  # config, not a credential, but kept out of logs
    use_pdb: bool = False  # dbInfo has `pdb`: connect to that pluggable database
    use_jdbc_url: bool = False  # dbInfo has `url`: use it instead of host and port
    heartbeat_interval_ms: int = 60_000
    # Register even when validation cannot reach the database (its task then reports the failure); off by
    # default so a wrong host or credential stops `pulumi up`.
    allow_unreachable_database: bool = False
    extra_properties: tuple[tuple[str, str], ...] = ()
    # `SCHEMA.TABLE` the DBA created for end-to-end freshness (docs/operations.md, "Capture freshness"): updated by
    # Debezium's heartbeat action query every heartbeat interval, one row per stage, captured into its own topic.
    heartbeat_table: str | None = None
    # A first deploy that emits every transaction committed from this SCN on, whole, instead of an initial
    # snapshot: the connector is created stopped, its offset set to the exact position for it (the admin asks
    # the database what was open then), then started. Only at creation; an existing connector keeps its offsets.
    start_scn: int | None = None
    # Go ahead with startScn even when the database cannot tell what was open at it (docs/operations.md).
    accept_unchecked_start_scn: bool = False
    unparsable_ddl: str = "fail"  # UNPARSABLE_DDL_CHOICES; both alarm (UnparsableDdl)
    # Where Debezium reads archive logs (`archive.destination.name`, LOG_ARCHIVE_DEST_n names in priority order)
    # and the RAC nodes whose log writers it flushes (`rac.nodes`); `ops preflight` suggests both.
    archive_destination_name: tuple[str, ...] = ()
    rac_nodes: tuple[str, ...] = ()
    # A named stage's declarations that it accepts what the safe default refuses (settings/load.py).
    accept_silent_resnapshot: bool = False  # with `snapshotMode: when_needed`
    runs_without_heartbeat_table: bool = False  # no `heartbeatTable`: no end-to-end freshness

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any] | None, *, check: bool = True) -> ConnectorOptions:
        """Validated options from the stack config object; errors name the key and what is allowed. Without
        `check`, each option is checked alone and not against the others."""
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise ConnectorOptionsError(
                f"Invalid stack config `{OPTIONS_KEY}`: expected an object with keys {', '.join(_OPTION_NAMES)}."
            )
        unknown = sorted(set(mapping) - set(_OPTION_NAMES))
        if unknown:
            raise ConnectorOptionsError(
                f"Unknown stack config key(s) {', '.join(f'`{OPTIONS_KEY}.{k}`' for k in unknown)}; "
                f"known keys: {', '.join(_OPTION_NAMES)}."
            )
        parsers = {
            "recordFormat": lambda v: _choice("recordFormat", v, RECORD_FORMATS),
            "state": lambda v: _choice("state", v, STATES),
            "snapshotMode": lambda v: _choice("snapshotMode", v, SNAPSHOT_MODES),
            "maskColumns": lambda v: _columns("maskColumns", v),
            "maskLength": lambda v: _whole("maskLength", v, 1, 255),
            "hashColumns": lambda v: _columns("hashColumns", v),
            "hashAlgorithm": lambda v: _choice("hashAlgorithm", v, HASH_ALGORITHMS),
            "hashSalt": lambda v: _salt(v),
            "usePdb": lambda v: _boolean("usePdb", v),
            "useJdbcUrl": lambda v: _boolean("useJdbcUrl", v),
            "heartbeatIntervalMs": lambda v: _whole("heartbeatIntervalMs", v, 1_000, 3_600_000),
            "allowUnreachableDatabase": lambda v: _boolean("allowUnreachableDatabase", v),
            "extraProperties": _extra_properties,
            "heartbeatTable": _heartbeat_table,
            "startScn": lambda v: _whole("startScn", v, 1, MAX_SCN),
            "acceptUncheckedStartScn": lambda v: _boolean("acceptUncheckedStartScn", v),
            "unparsableDdl": lambda v: _choice("unparsableDdl", v, UNPARSABLE_DDL_CHOICES),
            "archiveDestinationName": _archive_destinations,
            "racNodes": _rac_nodes,
            "acceptSilentResnapshot": lambda v: _boolean("acceptSilentResnapshot", v),
            "runsWithoutHeartbeatTable": lambda v: _boolean("runsWithoutHeartbeatTable", v),
        }
        values = {_OPTION_NAMES[key]: parsers[key](value) for key, value in mapping.items()}
        options = cls(**values)
        if check:
            options.check()
        return options

    def check(self) -> None:
        if self.use_pdb and not self.heartbeat_table:
            raise _fail(
                "usePdb",
                True,
                "only with `heartbeatTable`: against a pluggable database Debezium needs the heartbeat action "
                "query to keep its offsets moving (the DBA creates the table; see docs/operations.md)",
            )
        if self.hash_columns and not self.hash_salt:
            raise _fail("hashSalt", None, "a salt of 16-128 letters, digits, '-' or '_' whenever hashColumns is set")
        if self.start_scn is not None and self.snapshot_mode == "recovery":
            raise _fail(
                "snapshotMode",
                "recovery",
                "`initial`, `when_needed` or `no_data` with `startScn`: the first start runs in `recovery` by "
                "itself and the stage then returns to this mode; kept in `recovery`, every restart would take a "
                "new schema snapshot",
            )
        if self.accept_unchecked_start_scn and self.start_scn is None:
            raise _fail("acceptUncheckedStartScn", True, "only with `startScn`, the position it accepts unchecked")
        if self.use_jdbc_url and any(":" not in node for node in self.rac_nodes):
            # OracleConnectorConfig.validateRacNodes: without database.port each node needs its own port.
            raise _fail("racNodes", list(self.rac_nodes), "`host:port` for each node with `useJdbcUrl` (no port)")
        if self.accept_silent_resnapshot and self.snapshot_mode != "when_needed":
            raise _fail("acceptSilentResnapshot", True, "only with `snapshotMode: when_needed`, the mode it accepts")
        if self.runs_without_heartbeat_table and self.heartbeat_table:
            raise _fail("runsWithoutHeartbeatTable", True, "only without `heartbeatTable`; this stage names one")
        overlap = sorted(set(self.mask_columns) & set(self.hash_columns))
        if overlap:
            raise _fail("hashColumns", overlap, "columns not also listed in maskColumns")


_ARCHIVE_DESTINATION = re.compile(r"LOG_ARCHIVE_DEST_([1-9]|[12][0-9]|3[01])")
_RAC_NODE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?(:\d{1,5})?")


def _archive_destinations(value: object) -> tuple[str, ...]:
    allowed = "a list of 1-31 archive destination names `LOG_ARCHIVE_DEST_<1-31>` in priority order, no repeats"
    names = value if isinstance(value, list | tuple) else [value]
    if not names or not all(isinstance(n, str) and _ARCHIVE_DESTINATION.fullmatch(n) for n in names):
        raise _fail("archiveDestinationName", value, allowed)
    if len(set(names)) != len(names):
        raise _fail("archiveDestinationName", value, allowed)
    return tuple(names)


def _rac_nodes(value: object) -> tuple[str, ...]:
    allowed = "a list of at least two RAC node host names or IP addresses, each `host` or `host:port`, no repeats"
    if not isinstance(value, list | tuple) or len(value) < 2 or len(set(value)) != len(value):
        raise _fail("racNodes", value, allowed)
    for node in value:
        if not isinstance(node, str) or not _RAC_NODE.fullmatch(node) or (
            ":" in node and not 1 <= int(node.rsplit(":", 1)[1]) <= 65535
        ):
            raise _fail("racNodes", node, allowed)
    return tuple(value)


_ORACLE_NAME = r"[A-Z][A-Z0-9_$#]{0,127}"
_HEARTBEAT_TABLE = re.compile(rf"(?P<schema>{_ORACLE_NAME})\.(?P<table>{_ORACLE_NAME})")


def _heartbeat_table(value: object) -> str:
    allowed = "a schema-qualified table `SCHEMA.TABLE` in upper case, not one of the captured tables"
    if not isinstance(value, str) or not _HEARTBEAT_TABLE.fullmatch(value):
        raise _fail("heartbeatTable", value, allowed)
    if value in CAPTURED_TABLE_NAMES:
        raise _fail("heartbeatTable", value, allowed)
    return value


def _salt(value: object) -> str:
    if not isinstance(value, str) or not _SALT.fullmatch(value):
        raise _fail("hashSalt", value, "16-128 letters, digits, '-' or '_'")
    return value

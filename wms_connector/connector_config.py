"""The Debezium Oracle connector configuration, built from the stage and its connector options in one place.

Property names are those of Debezium 3.2 (connect-image/pom.xml pins the plugin). Database values appear only as
`${env:DB_…}` placeholders (see worker_env.py), so no credential is ever in a connector config, in Pulumi state
or in what Connect's REST API returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wms_connector import worker_env
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_SCHEMAS, CAPTURED_TABLES, StageTopics

CONNECTOR_CLASS = "io.debezium.connector.oracle.OracleConnector"

# The stack config key that holds the options (a structured object).
OPTIONS_KEY = "wms-connector:connector"

RECORD_FORMATS = ("envelope", "flat")
STATES = ("running", "paused", "stopped")
SNAPSHOT_MODES = ("initial", "when_needed", "no_data", "recovery")
HASH_ALGORITHMS = ("SHA-256", "SHA-384", "SHA-512")
SECURITY_PROTOCOLS = ("SSL", "PLAINTEXT")

# Debezium signal channels: `kafka` for the on-call snapshot command, `source` for a signalling table.
SIGNAL_CHANNELS = "source,kafka"
# The property naming the signalling table, which incremental snapshots need on Oracle (an extra property).
SIGNAL_TABLE_KEY = "signal.data.collection"

# The transform alias used for flat rows.
FLAT_TRANSFORM = "unwrap"


class ConnectorOptionsError(ValueError):
    """A connector option or property that cannot be used; the message names it and says what is allowed."""


# -- credentials ------------------------------------------------------------------------------------------------

# Key fragments that mark a property as carrying a credential. Matched on the lower-cased key.
_CREDENTIAL_KEY = re.compile(
    r"(password|passwd|secret|jaas|credential|token|api[._-]?key|private[._-]?key|access[._-]?key"
    r"|(^|\.)user(name)?$|(^|\.)(ssl\.)?(keystore|truststore)\.(key|certificate\.chain|certificates)$)"
)
_PLACEHOLDER = re.compile(r"\$\{env:([A-Z0-9_]+)\}")


def is_credential_key(key: str) -> bool:
    """True for properties that hold a credential (password, user, JAAS config, keystore secrets, tokens…)."""
    return bool(_CREDENTIAL_KEY.search(key.lower()))


def is_allowed_placeholder(value: str) -> bool:
    """True when `value` is exactly one `${env:…}` reference to a database variable of the worker contract."""
    match = _PLACEHOLDER.fullmatch(value)
    return bool(match) and match.group(1) in worker_env.DB_VARIABLES


def credential_problems(config: Mapping[str, Any], *, where: str = "connector config") -> list[str]:
    """Every credential-like property in `config` whose value is not an allowed `${env:DB_…}` placeholder."""
    problems = []
    for key, value in config.items():
        if is_credential_key(str(key)) and not (isinstance(value, str) and is_allowed_placeholder(value)):
            problems.append(
                f"{where} property `{key}` holds a credential in plain text; only a placeholder "
                f"`${{env:NAME}}` with NAME one of {', '.join(worker_env.DB_VARIABLES)} is allowed"
            )
    return problems


REDACTED = "<plaintext credential, not shown>"


def redact_credentials(config: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with every plaintext credential value replaced by REDACTED: a live config read back from Connect
    (set outside Pulumi) must not carry one into Pulumi state, a Lambda response or a terminal."""
    return {
        key: REDACTED
        if is_credential_key(str(key)) and not (isinstance(value, str) and is_allowed_placeholder(value))
        else value
        for key, value in config.items()
    }


# -- options ------------------------------------------------------------------------------------------------------

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
    "extraProperties": "extra_properties",
}


def _fail(option: str, value: object, allowed: str) -> ConnectorOptionsError:
    shown = "<hidden>" if option == "hashSalt" else repr(value)
    return ConnectorOptionsError(f"Invalid stack config `{OPTIONS_KEY}.{option}` = {shown}: allowed {allowed}.")


def _choice(option: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _fail(option, value, "one of " + ", ".join(choices))
    return str(value)


def _boolean(option: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _fail(option, value, "true or false")


def _whole(option: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not re.fullmatch(r"\d+", str(value)):
        raise _fail(option, value, f"a whole number from {low} to {high}")
    number = int(value)
    if not low <= number <= high:
        raise _fail(option, value, f"a whole number from {low} to {high}")
    return number


def _columns(option: str, value: object) -> tuple[str, ...]:
    tables = ", ".join(f"{s}.{t}" for s, t in CAPTURED_TABLES)
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


def _extra_properties(value: object) -> tuple[tuple[str, str], ...]:
    option = "extraProperties"
    if not isinstance(value, Mapping):
        raise _fail(option, value, "an object of connector property names to string, number or boolean values")
    extras = []
    for key, raw in value.items():
        if not isinstance(key, str) or not _PROPERTY_KEY.fullmatch(key):
            raise _fail(
                option, key, "property names of lower-case dot-separated words (e.g. log.mining.batch.size.max)"
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

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any] | None) -> ConnectorOptions:
        """Validated options from the stack config object; errors name the key and what is allowed."""
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
        }
        values = {_OPTION_NAMES[key]: parsers[key](value) for key, value in mapping.items()}
        options = cls(**values)
        options.check()
        return options

    def check(self) -> None:
        if self.hash_columns and not self.hash_salt:
            raise _fail("hashSalt", None, "a salt of 16-128 letters, digits, '-' or '_' whenever hashColumns is set")
        overlap = sorted(set(self.mask_columns) & set(self.hash_columns))
        if overlap:
            raise _fail("hashColumns", overlap, "columns not also listed in maskColumns")


def _salt(value: object) -> str:
    if not isinstance(value, str) or not _SALT.fullmatch(value):
        raise _fail("hashSalt", value, "16-128 letters, digits, '-' or '_'")
    return value


# -- the managed configuration ----------------------------------------------------------------------------------

# Exact keys and key families the builder owns; extra properties may not touch them.
_MANAGED_EXACT = {
    "name": "the connector name comes from the stage",
    "connector.class": "always the Debezium Oracle connector",
    "tasks.max": "the Oracle connector runs one task",
    "topic.prefix": "derived from the stage; changing it loses the schema history",
    "schema.include.list": "the captured schemas are fixed",
    "table.include.list": "the captured tables are fixed",
    "snapshot.mode": "set with the `snapshotMode` option",
    "topic.heartbeat.prefix": "derived from the stage's topic namespace",
    "heartbeat.interval.ms": "set with the `heartbeatIntervalMs` option",
    "transforms": "set with the `recordFormat` option",
    "config.providers": "a worker setting",
    "signal.enabled.channels": "the Kafka signal channel is derived from the stage",
}
_MANAGED_PREFIXES = {
    "database.": "database connection settings come from the worker's environment",
    "schema.history.internal.": "the schema history topic and its clients are derived from the stage",
    "topic.creation.": "topic defaults are derived from the stage",
    "transforms.": "set with the `recordFormat` option",
    "column.mask.": "set with the `maskColumns`/`hashColumns` options",
    "config.providers.": "a worker setting",
    "signal.kafka.": "the signal topic and its clients are derived from the stage",
    "signal.consumer.": "the signal topic and its clients are derived from the stage",
}


def is_managed_key(key: str) -> bool:
    return key in _MANAGED_EXACT or key.startswith(tuple(_MANAGED_PREFIXES))


def managed_reason(key: str) -> str:
    if key in _MANAGED_EXACT:
        return _MANAGED_EXACT[key]
    return next(reason for prefix, reason in _MANAGED_PREFIXES.items() if key.startswith(prefix))


def _table_pattern(schema: str, table: str) -> str:
    return f"^{re.escape(schema)}\\.{re.escape(table)}$"


def _column_pattern(column: str) -> str:
    # Debezium matches Oracle columns as `<database>.<schema>.<table>.<column>`; the database part varies (CDB or
    # PDB name), so it is optional here and the rest is exact.
    schema, table, name = column.split(".")
    return f"(?:[^.]+\\.)?{re.escape(schema)}\\.{re.escape(table)}\\.{re.escape(name)}"


def hash_salt_key(options: ConnectorOptions) -> str:
    return f"column.mask.hash.{options.hash_algorithm}.with.salt.{options.hash_salt}"


@dataclass(frozen=True)
class KafkaClientSettings:
    """How the connector's own Kafka clients (schema history) reach the brokers, like the worker does."""

    bootstrap_servers: str
    security_protocol: str
    replication_factor: int

    def __post_init__(self) -> None:
        if not self.bootstrap_servers or any(c.isspace() for c in self.bootstrap_servers):
            raise ConnectorOptionsError(
                f"Kafka bootstrap servers {self.bootstrap_servers!r}: expected host:port[,host:port…] without spaces."
            )
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ConnectorOptionsError(
                f"Kafka security protocol {self.security_protocol!r}: allowed {', '.join(SECURITY_PROTOCOLS)}."
            )
        if not 1 <= self.replication_factor <= 5:
            raise ConnectorOptionsError(f"Topic replication factor {self.replication_factor}: allowed 1 to 5.")


def build_connector_config(stage: Stage, options: ConnectorOptions, kafka: KafkaClientSettings) -> dict[str, str]:
    """The complete connector config for `stage`: every value a string, database values as placeholders."""
    topics = StageTopics(stage)
    env = worker_env.placeholder
    config: dict[str, str] = {
        "name": topics.connector_name,
        "connector.class": CONNECTOR_CLASS,
        "tasks.max": "1",
        "snapshot.mode": options.snapshot_mode,
        # Database connection: resolved by the worker's EnvVarConfigProvider, never stored here.
        "database.dbname": env(worker_env.DB_NAME),
        "database.user": env(worker_env.DB_USER),
        "database.password": env(worker_env.DB_PASSWORD),
        "schema.include.list": ",".join(CAPTURED_SCHEMAS),
        "table.include.list": ",".join(_table_pattern(schema, table) for schema, table in CAPTURED_TABLES),
        "topic.prefix": topics.topic_prefix,
        "log.mining.strategy": "online_catalog",
        # Schema history: one topic per stage; its clients need the worker's TLS settings.
        "schema.history.internal.kafka.topic": topics.schema_history_topic,
        "schema.history.internal.kafka.bootstrap.servers": kafka.bootstrap_servers,
        "schema.history.internal.producer.security.protocol": kafka.security_protocol,
        "schema.history.internal.consumer.security.protocol": kafka.security_protocol,
        "schema.history.internal.store.only.captured.tables.ddl": "true",
        # Signals (ad-hoc snapshots) through the stage's own signal topic, keyed by topic.prefix; its consumer
        # needs the same TLS settings. The source channel stays on: incremental snapshots write their
        # watermarks to a signalling table (`signal.data.collection`, an extra property) when one is configured.
        "signal.enabled.channels": SIGNAL_CHANNELS,
        "signal.kafka.topic": topics.signal_topic,
        "signal.kafka.bootstrap.servers": kafka.bootstrap_servers,
        "signal.kafka.groupId": topics.signal_topic,
        "signal.consumer.security.protocol": kafka.security_protocol,
        # Heartbeats keep offsets moving when the tables are quiet, so archive logs never age out under us.
        "heartbeat.interval.ms": str(options.heartbeat_interval_ms),
        "topic.heartbeat.prefix": topics.heartbeat_prefix,
        # Auto-created topics: one partition keeps each table's changes in order.
        "topic.creation.default.replication.factor": str(kafka.replication_factor),
        "topic.creation.default.partitions": "1",
        # Retriable errors (database or network blips) retry forever; the health check handles the rest.
        "errors.max.retries": "-1",
        "retriable.restart.connector.wait.ms": "10000",
    }
    if options.use_jdbc_url:
        config["database.url"] = env(worker_env.DB_URL)
    else:
        config["database.hostname"] = env(worker_env.DB_HOST)
        config["database.port"] = env(worker_env.DB_PORT)
    if options.use_pdb:
        config["database.pdb.name"] = env(worker_env.DB_PDB)
    if options.record_format == "flat":
        prefix = f"transforms.{FLAT_TRANSFORM}"
        config["transforms"] = FLAT_TRANSFORM
        config[f"{prefix}.type"] = "io.debezium.transforms.ExtractNewRecordState"
        config[f"{prefix}.add.fields"] = "op,source.ts_ms"
        # A delete becomes the row's last state with `__deleted` = true (no tombstone), like a soft delete.
        config[f"{prefix}.delete.tombstone.handling.mode"] = "rewrite"
    if options.mask_columns:
        config[f"column.mask.with.{options.mask_length}.chars"] = ",".join(
            _column_pattern(c) for c in options.mask_columns
        )
    if options.hash_columns:
        config[hash_salt_key(options)] = ",".join(_column_pattern(c) for c in options.hash_columns)
    config.update(dict(options.extra_properties))
    return config


def loggable(config: Mapping[str, str]) -> dict[str, str]:
    """`config` safe to print: hash salts (part of the key) are hidden."""
    return {re.sub(r"(\.with\.salt\.).+", r"\1<hidden>", key): value for key, value in config.items()}

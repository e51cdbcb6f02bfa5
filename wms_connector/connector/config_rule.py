"""The one rule every connector config obeys before it reaches Connect, wherever it comes from: the stack, an admin
request, the declared item a health run repairs towards. The Registrar (registration.py) applies it before it
validates or registers anything, so a config that breaks it is refused before Connect sees it.

The rule, for one stage:
- the connector is the stage's (its name, one of the allowed connector classes, one task);
- every key this project builds (managed_keys.py) has exactly the value the stage's builder gives it
  (connector/config.py): topic prefix, schema history, signalling, heartbeat, transforms, the database keys as
  the builder's own `${env:DB_…}` placeholders. Values that depend on a connector option (snapshot mode, heartbeat
  table, record format…) are read back as options, checked as the stack checks them, and the builder's output
  for those options compared;
- `${…}` nowhere else (Connect would resolve it, and a transform could then write the password into every record);
- no per-connector client overrides, converters, predicates, SQL run as the capture user, or notifications to a
  topic (managed_keys.py names the reason for each).

A breach names the key and why, never the value it had.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wms_connector import kafka_settings
from wms_connector.connector.config import (
    FLAT_TRANSFORM,
    STAGE_HEADER_TRANSFORM,
    build_connector_config,
)
from wms_connector.connector.managed_keys import is_managed_key, managed_reason
from wms_connector.connector.options import (
    HASH_ALGORITHMS,
    ConnectorOptions,
    ConnectorOptionsError,
)
from wms_connector.connector.oracle_source import ORACLE
from wms_connector.connector.source import KafkaClientSettings, Source
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

REPLICATION_FACTOR_KEY = "topic.creation.default.replication.factor"
HEARTBEAT_QUERY_KEY = "heartbeat.action.query"
# Where the builder's heartbeat upsert names its table (oracle_source.heartbeat_action_query, and the stand-in's).
_HEARTBEAT_QUERY_TABLE = re.compile(r'(?:MERGE|INSERT) INTO "?([A-Z][A-Z0-9_$#]*)"?\."?([A-Z][A-Z0-9_$#]*)"?[ (]')
# Masking keys carry their parameter in the key (Debezium's column.mask.with.<n>.chars, column.mask.hash.…).
_MASK_KEY = re.compile(r"column\.mask\.with\.(\d{1,3})\.chars")
_HASH_KEY = re.compile(
    rf"column\.mask\.hash\.({'|'.join(map(re.escape, HASH_ALGORITHMS))})\.with\.salt\.[A-Za-z0-9_-]{{16,128}}"
)
_SKIP_UNPARSABLE_KEY = "schema.history.internal.skip.unparseable.ddl"


@dataclass(frozen=True)
class RuleBreach:
    key: str
    reason: str


class ConfigRuleBroken(Exception):
    """A config breaks the rule; `breaches` name each key and why (never a value)."""

    def __init__(self, name: str, breaches: Sequence[RuleBreach]):
        self.breaches = tuple(breaches)
        listed = "\n".join(f"  {b.key}: {b.reason}" for b in self.breaches)
        super().__init__(
            f"Connector `{name}` config refused before it reached Connect ({len(self.breaches)} key(s)):\n{listed}"
        )

    @property
    def fields(self) -> dict[str, list[str]]:
        return {b.key: [b.reason] for b in self.breaches}


@dataclass(frozen=True)
class ConfigRule:
    """The rule for `stage`'s connector on a worker that reaches Kafka at `bootstrap_servers` with
    `security_protocol` (either None where the caller does not know them: then the config's own signal consumer's,
    held the same for every client the config names)."""

    stage: Stage
    bootstrap_servers: str | None = None
    security_protocol: str | None = None
    sources: tuple[Source, ...] = (ORACLE,)

    def check(self, config: Mapping[str, Any], name: str | None = None) -> None:
        breaches = self.breaches(config, name)
        if breaches:
            raise ConfigRuleBroken(name or StageTopics(self.stage).connector_name, breaches)

    def breaches(self, config: Mapping[str, Any], name: str | None = None) -> list[RuleBreach]:
        connector = StageTopics(self.stage).connector_name
        found: list[RuleBreach] = []
        if name is not None and name != connector:
            found.append(RuleBreach("name", f"this stage's connector is `{connector}`"))
        # A managed key's value is compared with the builder's below (the database keys' placeholders included).
        placeholders = [k for k, v in config.items() if "${" in str(k) or ("${" in v and not _compared(k))]
        found += [
            RuleBreach(str(k), "a `${…}` reference is allowed only in the database keys the stage writes")
            for k in placeholders
        ]
        source = next((s for s in self.sources if s.connector_class == config.get("connector.class")), None)
        if source is None:
            allowed = ", ".join(s.connector_class for s in self.sources)
            found.append(RuleBreach("connector.class", f"allowed: {allowed}"))
            source = self.sources[0]
        options, option_breaches = _options_of(config)
        kafka, kafka_breaches = self._kafka_of(config)
        found += option_breaches + kafka_breaches
        expected = build_connector_config(self.stage, options, kafka, source)
        judged = {b.key for b in found}
        for key in sorted(set(config) - judged):
            if not _compared(key):
                continue
            if key not in expected:
                found.append(RuleBreach(key, f"not set by this project: {managed_reason(key)}"))
            elif config[key] != expected[key]:
                reason = f"must be `{expected[key]}` for stage `{self.stage}` ({managed_reason(key)})"
                found.append(RuleBreach(key, reason))
        return found

    def _kafka_of(self, config: Mapping[str, str]) -> tuple[KafkaClientSettings, list[RuleBreach]]:
        breaches = []
        # Unknown here: the config's own signal servers stand for the worker's, so the keys that must name the same
        # servers (the schema history's) are compared with them; a config without them is held to the default.
        servers = self.bootstrap_servers or config.get("signal.kafka.bootstrap.servers", "localhost:9092")
        if not kafka_settings.is_bootstrap_servers(servers):
            breaches.append(RuleBreach("signal.kafka.bootstrap.servers", "the worker's Kafka bootstrap servers"))
            servers = "localhost:9092"
        factor = config.get(REPLICATION_FACTOR_KEY, "1")
        if not (_whole_number(factor) and kafka_settings.is_replication_factor(int(factor))):
            breaches.append(RuleBreach(
                REPLICATION_FACTOR_KEY,
                f"a replication factor from {kafka_settings.MIN_REPLICATION_FACTOR} to "
                f"{kafka_settings.MAX_REPLICATION_FACTOR}",
            ))
            factor = "1"
        protocol = self.security_protocol or config.get(
            "signal.consumer.security.protocol", kafka_settings.MSK_SECURITY_PROTOCOL)
        if not kafka_settings.is_security_protocol(protocol):
            breaches.append(RuleBreach("signal.consumer.security.protocol", "the worker's Kafka security protocol"))
            protocol = kafka_settings.MSK_SECURITY_PROTOCOL
        return KafkaClientSettings(servers, protocol, int(factor)), breaches


# The managed keys whose value depends on a connector option: read back as that option (checked as the stack checks
# it), then compared with what the builder makes of it.
_OPTION_READERS = {
    "snapshot.mode": ("snapshotMode", str),
    "heartbeat.interval.ms": ("heartbeatIntervalMs", lambda v: int(v) if _whole_number(v) else v),
    "archive.destination.name": ("archiveDestinationName", lambda v: v.split(",")),
    "rac.nodes": ("racNodes", lambda v: v.split(",")),
    "transforms": ("recordFormat", lambda v: _CHAINS[v]),
    HEARTBEAT_QUERY_KEY: ("heartbeatTable", lambda v: ".".join(m.groups()) if (m := _HEARTBEAT_QUERY_TABLE.match(v))
                          else v),
    "database.pdb.name": ("usePdb", lambda v: True),
    "database.url": ("useJdbcUrl", lambda v: True),
    _SKIP_UNPARSABLE_KEY: ("unparsableDdl", lambda v: "skip"),
}
_CHAINS = {f"{FLAT_TRANSFORM},{STAGE_HEADER_TRANSFORM}": "flat", STAGE_HEADER_TRANSFORM: "envelope"}


def _options_of(config: Mapping[str, str]) -> tuple[ConnectorOptions, list[RuleBreach]]:
    """The connector options the option-dependent managed keys stand for, and a breach for each that the stack's
    own check refuses (that key is then left out of the comparison)."""
    chosen: dict[str, Any] = {}
    breaches: list[RuleBreach] = []
    for key, (option, read) in _OPTION_READERS.items():
        if key not in config:
            continue
        if key == "transforms" and config[key] not in _CHAINS:
            breaches.append(RuleBreach(key, f"one of the project's chains: {', '.join(f'`{c}`' for c in _CHAINS)}"))
            continue
        try:
            ConnectorOptions.from_config({option: read(config[key])}, check=False)
            chosen[option] = read(config[key])
        except ConnectorOptionsError as exc:
            breaches.append(RuleBreach(key, _without_value(exc)))
    try:
        return ConnectorOptions.from_config(chosen), breaches
    except ConnectorOptionsError as exc:  # options that do not go together (usePdb without a heartbeat table)
        key = next((k for k, (o, _) in _OPTION_READERS.items() if f".{o}`" in str(exc) and o in chosen), None)
        if key is None:
            raise
        breaches.append(RuleBreach(key, _without_value(exc)))
        chosen.pop(_OPTION_READERS[key][0])
        return ConnectorOptions.from_config(chosen), breaches


def _compared(key: str) -> bool:
    """Managed keys are compared with the builder's value; the masking keys (whose parameter is in the key, the
    salt a stage's secret) are held to their shape instead."""
    return is_managed_key(key) and not (_MASK_KEY.fullmatch(key) or _HASH_KEY.fullmatch(key))


def _without_value(error: ConnectorOptionsError) -> str:
    """What the option allows, without the value the error quotes (it came from the request)."""
    return f"allowed {error.allowed}." if error.allowed else "not a value the stack's options allow"


def _whole_number(text: str) -> bool:
    """ASCII digits, few enough for int() (`'²'.isdigit()` is true, and int() refuses thousands of digits)."""
    return text.isascii() and text.isdigit() and len(text) <= 18

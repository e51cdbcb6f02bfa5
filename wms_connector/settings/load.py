"""Loading the stage settings: the stage's defaults, overridden by the stack's `wms-connector:<key>` config and
validated, before any resource is registered.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass

from wms_connector.redaction import shown
from wms_connector.settings.parsers import CONFIG_NAMESPACE, SettingsError
from wms_connector.settings.sections import (
    _REGION,
    DEFAULT_ORACLE_CIDRS,
    Capture,
    Connector,
    Deployment,
    Health,
    Kafka,
    Key,
    Logs,
    Network,
    Section,
    Sizing,
)
from wms_connector.stages import NAMED_STAGES, Stage


@dataclass(frozen=True)
class StageSettings:
    stage: Stage
    sizing: Sizing
    logs: Logs
    deployment: Deployment
    network: Network
    kafka: Kafka
    health: Health
    capture: Capture
    connector: Connector

    @property
    def region(self) -> str:
        return self.deployment.region


def _sections() -> dict[str, type[Section]]:
    """StageSettings field -> section class, read from the class itself so the two cannot disagree."""
    hints = typing.get_type_hints(StageSettings)
    return {f.name: hints[f.name] for f in dataclasses.fields(StageSettings) if issubclass(hints[f.name], Section)}


SECTIONS = _sections()


def known_keys() -> dict[str, tuple[str, Key]]:
    """Every accepted config key -> (section field, key)."""
    keys: dict[str, tuple[str, Key]] = {}
    for section_field, section in SECTIONS.items():
        for key in section.KEYS:
            assert key.name not in keys, f"config key {key.name} declared twice"
            keys[key.name] = (section_field, key)
    return keys


def _strip_namespace(raw_key: str) -> str:
    namespace, sep, rest = raw_key.partition(":")
    if not sep:
        return raw_key
    if namespace != CONFIG_NAMESPACE:
        raise SettingsError(
            f"Stack config key {raw_key!r} is not in the `{CONFIG_NAMESPACE}:` namespace; pass only that "
            "namespace's keys (aws:region is passed separately)."
        )
    return rest


def load_settings(stage: Stage, overrides: Mapping[str, object], *, aws_region: str | None = None) -> StageSettings:
    """The stage's defaults with `overrides` (the stack's `wms-connector:*` config) applied and validated.

    Region rule: `wms-connector:region` wins; otherwise `aws:region` (passed as `aws_region`); otherwise
    us-east-1. When both are set they must agree, so the provider and the settings can never disagree.
    """
    known = known_keys()
    values: dict[str, object] = {}
    for raw_key, value in overrides.items():
        if not isinstance(raw_key, str):
            raise SettingsError(
                f"Stack config key {shown(raw_key)} is not a name; known keys: {', '.join(sorted(known))}."
            )
        key = _strip_namespace(raw_key)
        if key not in known:
            raise SettingsError(
                f"Unknown stack config key `{CONFIG_NAMESPACE}:{key if len(key) <= 64 else key[:61] + '...'}`; "
                "known keys: "
                f"{', '.join(sorted(known))}."
            )
        values[key] = value

    if aws_region is not None:
        aws_region = _REGION("aws:region", aws_region)
        if "region" in values and values["region"] != aws_region:
            raise SettingsError(
                f"Stack config `{CONFIG_NAMESPACE}:region` = {shown(values['region'])} disagrees with `aws:region` = "
                f"{aws_region!r}; set one of them, or both to the same region."
            )
        values.setdefault("region", aws_region)

    sections: dict[str, Section] = {}
    for section_field, section_cls in SECTIONS.items():
        section = section_cls.defaults(stage.defaults_stage)
        changes = {key.field: _parsed(key, values[key.name]) for key in section_cls.KEYS if key.name in values}
        section = dataclasses.replace(section, **changes)
        section.check()
        sections[section_field] = section
    _check_freshness_against_heartbeat(sections["capture"], sections["connector"])
    network = sections["network"]
    if stage.is_ephemeral and not network.oracle_cidrs:
        sections["network"] = dataclasses.replace(network, oracle_cidrs=DEFAULT_ORACLE_CIDRS)
    return StageSettings(stage=stage, **sections)


def _check_freshness_against_heartbeat(capture: Capture, connector: Connector) -> None:
    """A healthy connector's newest heartbeat is up to one heartbeat interval old, plus capture latency: a
    threshold inside that would page on every quiet minute."""
    interval_ms = connector.options.heartbeat_interval_ms
    if connector.options.heartbeat_table and capture.freshness_threshold_ms < interval_ms + 60_000:
        raise SettingsError(
            f"Invalid stack config `{CONFIG_NAMESPACE}:freshnessAlarmThresholdMs` = {capture.freshness_threshold_ms}: "
            f"it must be at least the connector's heartbeatIntervalMs ({interval_ms}) plus 60000 (a minute of "
            "capture latency), or a healthy connector between two heartbeats is reported stale."
        )


def _parsed(key: Key, value: object) -> object:
    """The key's parser; whatever else a malformed value makes Python raise still ends as a SettingsError."""
    try:
        return key.parse(key.name, value)
    except SettingsError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError) as error:
        raise SettingsError(
            f"Invalid stack config `{CONFIG_NAMESPACE}:{key.name}`: the value could not be read "
            f"({type(error).__name__}); see docs/configuration.md for what it takes."
        ) from None


def stage_defaults() -> dict[str, StageSettings]:
    """The defaults of every named stage, for documentation and tests."""
    return {name: load_settings(Stage.parse(name), {}) for name in NAMED_STAGES}

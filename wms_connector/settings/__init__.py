"""Typed per-stage settings: defaults per named stage, overridden by the stack's `wms-connector:<key>` config.

Plain Python on purpose (no Pulumi import): `__main__.py` hands the stack config over as a plain mapping and
everything is validated here, before any resource is registered. parsers.py checks single values, sections.py
holds one section per concern, load.py applies the overrides.
"""

from wms_connector.settings.load import SECTIONS, StageSettings, known_keys, load_settings, stage_defaults
from wms_connector.settings.parsers import CONFIG_NAMESPACE, SettingsError
from wms_connector.settings.sections import (
    CONNECTOR_OPTIONS_KEY,
    DEFAULT_ORACLE_CIDRS,
    DEFAULT_REGION,
    FARGATE_TASK_SIZES,
    LOG_RETENTION_DAYS,
    MIN_HEAP_MIB,
    MIN_NON_HEAP_MIB,
    Sizing,
)

__all__ = [
    "CONFIG_NAMESPACE", "CONNECTOR_OPTIONS_KEY", "DEFAULT_ORACLE_CIDRS", "DEFAULT_REGION", "FARGATE_TASK_SIZES",
    "LOG_RETENTION_DAYS", "MIN_HEAP_MIB", "MIN_NON_HEAP_MIB", "SECTIONS", "SettingsError", "Sizing", "StageSettings",
    "known_keys", "load_settings", "stage_defaults",
]

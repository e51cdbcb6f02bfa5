"""Continuous reconciliation, as Strimzi does it: each health run compares the live connector with the declared one
and, unless the stage turns repair off, puts back what drifted.

The declared connector (its config with `${env:…}` placeholders only, never a credential, and its state) is an
item of the health table, next to the restart budget's. The admin writes it in the same call that changes the
connector, before the change (wms_connector/admin/control.py), and deletes it first on delete, so a run never
repairs towards a state that is being replaced nor re-registers a connector that is being removed. What drifted is
decided here (pure, tested as tables); the runner acts on it within the restart budget, and not at all while the
connector is held (wms_connector/holds.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wms_connector.connect_rules import CONNECT_STATE, STATES
from wms_connector.connector.config_rule import ConfigRuleBroken
from wms_connector.connector.first_start import first_start_pending
from wms_connector.flags import as_bool
from wms_connector.health.restart_budget import connector_id
from wms_connector.registration import Registrar, RegistrationRefused, RegistrationUnconfirmed

# The admin's item. (Stacks before it kept a `#declared` item as a Pulumi resource; its deletion when that resource
# leaves the program must not take the admin's with it, hence a key of its own.)
DECLARED_SUFFIX = "#declared-connector"
REGISTER, APPLY_CONFIG, SET_STATE = "register", "apply_config", "set_state"
# Live states a declared state can drift to; FAILED, UNASSIGNED and RESTARTING are the restarts' business.
_STEERABLE = set(CONNECT_STATE.values())


class DeclaredConnectorError(ValueError):
    """The declared item cannot be read; the message names what is wrong, never a config value."""


def declared_key(stage: str, connector: str) -> str:
    return connector_id(stage, connector) + DECLARED_SUFFIX


@dataclass(frozen=True)
class Declared:
    config: dict[str, str]
    state: str  # running | paused | stopped
    allow_unreachable_database: bool = False  # the stack's opt-in: register through the config topic if need be

    def to_item(self, key: str) -> dict[str, str]:
        return {
            "connectorId": key,
            "config": json.dumps(self.config, sort_keys=True),
            "state": self.state,
            "allowUnreachableDatabase": str(self.allow_unreachable_database).lower(),
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Declared:
        try:
            config = json.loads(str(item["config"]))
        except (KeyError, ValueError):
            raise DeclaredConnectorError("the declared item's `config` is missing or not JSON") from None
        if not isinstance(config, dict) or not all(isinstance(v, str) for v in config.values()):
            raise DeclaredConnectorError("the declared item's `config` is not an object of strings")
        if item.get("state") not in STATES:
            raise DeclaredConnectorError(f"the declared item's `state` is not one of {', '.join(STATES)}")
        return cls(config, str(item["state"]), as_bool(item.get("allowUnreachableDatabase")) is True)


def load_declared(table: Any, key: str) -> Declared | None:
    item = table.get_item(Key={"connectorId": key}, ConsistentRead=True).get("Item")
    return Declared.from_item(item) if item else None


@dataclass(frozen=True)
class Drift:
    missing: bool = False
    config_keys: tuple[str, ...] = ()  # keys whose live value differs, is missing or is extra
    state: tuple[str, str] | None = None  # (live, declared) Connect states
    # Why a difference is left alone for now (a first start that has not streamed yet keeps its snapshot mode).
    deferred: str | None = None

    @property
    def found(self) -> bool:
        return self.missing or bool(self.config_keys) or self.state is not None

    def repairs(self) -> list[str]:
        """What puts it back, in order: a missing connector is registered in its declared state; a changed config
        is applied (the connector restarts with it); then the state is set."""
        if self.missing:
            return [REGISTER]
        return [*([APPLY_CONFIG] if self.config_keys else []), *([SET_STATE] if self.state else [])]

    def to_dict(self) -> dict[str, Any]:
        return {
            "missing": self.missing,
            "configKeys": list(self.config_keys),
            "state": {"live": self.state[0], "declared": self.state[1]} if self.state else None,
            **({"deferred": self.deferred} if self.deferred else {}),
        }


def find_drift(
    declared: Declared, live_config: Mapping[str, str] | None, live_state: str | None, streaming: bool | None = None
) -> Drift:
    """`streaming`: Debezium's StreamingMetrics Connected (None: unknown)."""
    if live_config is None:
        return Drift(missing=True)
    keys = (set(declared.config) | set(live_config)) - {"name"}  # Connect adds the name to every config
    changed = tuple(sorted(k for k in keys if declared.config.get(k) != live_config.get(k)))
    wanted = CONNECT_STATE[declared.state]
    state = (live_state, wanted) if live_state in _STEERABLE and live_state != wanted else None
    if changed and first_start_pending(declared.config, live_config, streaming):
        return Drift(state=state, deferred="the first start from startScn has not streamed yet: its `recovery` "
                                           "snapshot mode stays until the schema history is written")
    return Drift(config_keys=changed, state=state)


@dataclass
class ReconcileReport:
    declared: bool = False
    repair: bool = True
    drift: Drift = field(default_factory=Drift)
    granted: bool | None = None  # the restart budget's answer when a repair was due
    repaired: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "declared": self.declared,
            "repair": self.repair,
            "drift": self.drift.to_dict() if self.drift.found or self.drift.deferred else None,
            "granted": self.granted,
            "repaired": list(self.repaired),
            "error": self.error,
        }


class RepairFailed(Exception):
    """Connect (or the config topic) refused a repair; the message says why, the actions done before it stand."""


def repair(registrar: Registrar, name: str, declared: Declared, drift: Drift) -> list[str]:
    """Put the live connector back as declared, as `pulumi up` would: registered (in its declared state) or its
    config applied, through the same registration rule as the admin's. Returns what was done, in order."""
    client = registrar.connect
    done: list[str] = []
    for action in drift.repairs():
        try:
            if action in (REGISTER, APPLY_CONFIG):
                registrar.register(
                    name,
                    declared.config,
                    allow_unreachable_database=declared.allow_unreachable_database,
                    initial_state=CONNECT_STATE[declared.state],
                )
            else:
                {"running": client.resume, "paused": client.pause, "stopped": client.stop}[declared.state](name)
        except (RegistrationRefused, RegistrationUnconfirmed, ConfigRuleBroken) as exc:
            raise RepairFailed(f"{action}: {exc}") from None
        done.append(action)
    return done

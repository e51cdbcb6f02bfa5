"""Checks of what a caller asks the admin for (names, states, timeouts, configs), before Connect is asked."""

from __future__ import annotations

from collections.abc import Mapping

from wms_connector import connect_rules
from wms_connector.admin.errors import BadRequest
from wms_connector.connector.credentials import credential_problems


def check_name(name: object) -> str:
    if not connect_rules.is_connector_name(name):
        raise BadRequest(f"Connector name {name!r} is not allowed: {connect_rules.CONNECTOR_NAME_RULE}.")
    return str(name)


def check_state(state: object) -> str:
    if state not in connect_rules.STATES:
        raise BadRequest(f"Connector state {state!r} is not allowed: one of {', '.join(connect_rules.STATES)}.")
    return str(state)


def check_timeout(timeout: object) -> float:
    if not connect_rules.is_state_timeout(timeout):
        raise BadRequest(
            f"Timeout {timeout!r} is not allowed: seconds, more than 0 and at most "
            f"{connect_rules.MAX_STATE_TIMEOUT:.0f}."
        )
    return float(timeout)


def check_config(config: object, name: str | None = None) -> Mapping[str, str]:
    if not isinstance(config, Mapping) or not config:
        raise BadRequest("Connector config must be a non-empty object of property names to string values.")
    not_strings = sorted(str(k) for k, v in config.items() if not isinstance(k, str) or not isinstance(v, str))
    if not_strings:
        raise BadRequest(f"Connector config values must be strings; not strings: {', '.join(not_strings)}.")
    if name is not None and config.get("name", name) != name:
        raise BadRequest(f"Connector config `name` is {config['name']!r} but the connector is `{name}`.")
    problems = credential_problems(config)
    if problems:
        raise BadRequest(
            "; ".join(p.message for p in problems) + ".", fields={p.key: [p.message] for p in problems}
        )
    return config

"""`DebeziumConnector`: a Pulumi dynamic resource that keeps one connector registered, configured and in its
desired state on a Kafka Connect cluster, through the connector admin (Lambda in AWS, direct locally).

The provider class lives in this importable module and holds no state, so dill serializes it by reference and
`destroy` runs the current code. Inputs never hold a credential (check refuses them); outputs keep every input
(update and delete receive the old outputs) plus the live state that `read` refreshes, so drift made outside
Pulumi shows on `pulumi refresh` and `pulumi preview --refresh`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from wms_connector import connect_rules
from wms_connector.admin.protocol import AdminCallFailed
from wms_connector.connect_rules import DEFAULT_STATE_TIMEOUT, MAX_STATE_TIMEOUT, STATES
from wms_connector.connector.credentials import credential_problems
from wms_connector.providers.transport import transport_from_spec, transport_problems
from wms_connector.stages import Stage

# Inputs whose change replaces the connector (a different connector, not a different config).
REPLACE_ON = ("name", "stage")
UPDATE_ON = ("config", "state", "allowUnreachableDatabase")
# Live values `read` refreshes (compared with the desired ones on the next diff).
LIVE_OUTPUTS = ("connectorState", "tasks")
# Output properties as Python attributes.
_SNAKE_CASE = {
    "connectorState": "connector_state",
    "allowUnreachableDatabase": "allow_unreachable_database",
    "timeoutSeconds": "timeout_seconds",
}
_CAMEL_CASE = {snake: camel for camel, snake in _SNAKE_CASE.items()}


class ConnectorProviderError(Exception):
    """A provider operation failed; the message is what `pulumi up` shows."""


def _fail(action: str, name: str, error: AdminCallFailed) -> ConnectorProviderError:
    lines = [f"Connector `{name}`: {action} failed ({error.kind}): {error.message}"]
    for field, messages in sorted(error.fields.items()):
        if not error.message or field not in error.message:
            lines.append(f"  {field}: {'; '.join(messages)}")
    return ConnectorProviderError("\n".join(lines))


def _call(props: Mapping[str, Any], request: dict[str, Any]) -> Any:
    timeout = float(props.get("timeoutSeconds") or DEFAULT_STATE_TIMEOUT)
    transport = transport_from_spec(props["transport"], timeout_seconds=timeout)
    request = {**request, "stage": props["stage"]}
    try:
        return transport.invoke(request)
    except AdminCallFailed as error:
        raise _fail(request["action"], str(props.get("name")), error) from None


def _outputs(props: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    status = result.get("status") or {}
    tasks = [{"id": t.get("id"), "state": t.get("state")} for t in status.get("tasks") or []]
    return {**props, "connectorState": result.get("state"), "tasks": tasks}


class DebeziumConnectorProvider(ResourceProvider):
    serialize_as_secret_always = False  # it captures nothing, so there is nothing to hide

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        name = news.get("name")
        if not connect_rules.is_connector_name(name):
            failures.append(
                CheckFailure("name", f"{name!r} is not a connector name: {connect_rules.CONNECTOR_NAME_RULE}")
            )
        try:
            Stage.parse(news.get("stage"))
        except ValueError as exc:
            failures.append(CheckFailure("stage", str(exc)))
        if news.get("state", "running") not in STATES:
            failures.append(CheckFailure("state", f"{news.get('state')!r} is not one of {', '.join(STATES)}"))
        timeout = news.get("timeoutSeconds", DEFAULT_STATE_TIMEOUT)
        if not connect_rules.is_state_timeout(timeout):
            failures.append(CheckFailure("timeoutSeconds", f"must be seconds from 1 to {MAX_STATE_TIMEOUT:.0f}"))
        if not isinstance(news.get("allowUnreachableDatabase", False), bool):
            failures.append(CheckFailure("allowUnreachableDatabase", "must be true or false"))
        failures.extend(_config_failures(news.get("config"), name))
        failures.extend(CheckFailure(prop, reason) for prop, reason in transport_problems(news.get("transport")))
        inputs = {**news, "state": news.get("state", "running"), "timeoutSeconds": timeout}
        inputs.setdefault("allowUnreachableDatabase", False)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        changed = [key for key in UPDATE_ON if olds.get(key) != news.get(key)]
        # After a refresh, a connector that is gone or not in its desired state is drift to repair.
        live = olds.get("connectorState")
        if live is not None and live != news.get("state", "running") and "state" not in changed:
            changed.append("state")
        if olds.get("transport") != news.get("transport") or olds.get("timeoutSeconds") != news.get("timeoutSeconds"):
            changed.append("transport")
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=["stage"] if not replaces else [],
            # Two connectors with the same topic prefix must never run at once.
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        result = _call(props, _ensure_request(props))
        return CreateResult(props["name"], _outputs(props, result))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        result = _call(news, _ensure_request(news))
        return UpdateResult(_outputs(news, result))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        name = props.get("name") or id_
        live = _call({**props, "name": name}, {"action": "read", "name": name})
        if not live.get("exists"):
            return ReadResult("", {})  # gone outside Pulumi: the engine drops it and `up` recreates it
        outputs = _outputs({**props, "name": name, "config": live["config"]}, live)
        return ReadResult(id_, outputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        name = props.get("name") or id_
        _call({**props, "name": name}, {"action": "delete", "name": name})


def _ensure_request(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "action": "ensure",
        "name": props["name"],
        "config": dict(props["config"]),
        "state": props.get("state", "running"),
        "timeout_seconds": props.get("timeoutSeconds", DEFAULT_STATE_TIMEOUT),
        "allow_unreachable_database": bool(props.get("allowUnreachableDatabase", False)),
    }


def _config_failures(config: Any, name: Any) -> list[CheckFailure]:
    if not isinstance(config, Mapping) or not config:
        return [CheckFailure("config", "must be a non-empty object of connector properties")]
    failures = [
        CheckFailure(f"config.{key}", "must be a string") for key, value in config.items() if not isinstance(value, str)
    ]
    if "name" in config and config["name"] != name:
        failures.append(CheckFailure("config.name", f"must equal the connector name {name!r}"))
    failures.extend(CheckFailure(f"config.{p.key}", p.message) for p in credential_problems(config))
    return failures


def _may_carry_a_salt(config: Any) -> bool:
    """True when the config has a salted hash-mask key, or is not known yet (an Output may resolve to one)."""
    if isinstance(config, Mapping):
        return any(".with.salt." in str(key) for key in config)
    return True


class DebeziumConnector(Resource, module="wms", name="DebeziumConnector"):
    """The stage's Debezium connector. Outputs: every input, plus `connectorState` and `tasks` (live)."""

    connector_state: pulumi.Output[str]
    tasks: pulumi.Output[list]
    name: pulumi.Output[str]

    def translate_output_property(self, prop: str) -> str:
        return _SNAKE_CASE.get(prop, prop)

    def translate_input_property(self, prop: str) -> str:
        return _CAMEL_CASE.get(prop, prop)

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        stage: str,
        config: pulumi.Input[Mapping[str, str]],
        transport: pulumi.Input[Mapping[str, Any]],
        state: str = "running",
        allow_unreachable_database: bool = False,
        timeout_seconds: float = DEFAULT_STATE_TIMEOUT,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # A hash salt is part of a property name: a config that may carry one is a Pulumi secret, in the inputs
        # and the outputs, so the state holds only ciphertext and the CLI prints [secret].
        salted = _may_carry_a_salt(config)
        if salted:
            config = pulumi.Output.secret(config)
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["config"]))
        props = {
            "name": name,
            "stage": stage,
            "config": config,
            "state": state,
            "allow_unreachable_database": allow_unreachable_database,
            "timeout_seconds": timeout_seconds,
            "transport": transport,
            "connector_state": None,
            "tasks": None,
        }
        super().__init__(DebeziumConnectorProvider(), resource_name, props, opts)

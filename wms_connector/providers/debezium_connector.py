"""`DebeziumConnector`: a Pulumi dynamic resource that keeps one connector registered, configured and in its
desired state on a Kafka Connect cluster, through the connector admin (Lambda in AWS, direct locally).

The provider class lives in this importable module and holds no state, so dill serializes it by reference and
`destroy` runs the current code. Inputs never hold a credential (check refuses them); outputs keep every input
(update and delete receive the old outputs). `read` puts the live config and state in place of the declared ones,
so the next diff names, key by key, what drifted outside Pulumi (`connector_changes`). `connectorState` and `tasks`
are what Connect reported at the last `pulumi up` or `pulumi refresh`, not a live view: the health check's metrics
and `ops status` are that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from wms_connector import connect_rules
from wms_connector.admin.protocol import AdminCallFailed
from wms_connector.connect_rules import DEFAULT_STATE_TIMEOUT, MAX_STATE_TIMEOUT, STATES
from wms_connector.connector.config_rule import ConfigRule
from wms_connector.connector.credentials import credential_problems
from wms_connector.providers.host import DetailedDiffResult, property_path, report
from wms_connector.providers.transport import transport_from_spec, transport_problems
from wms_connector.redaction import salted_keys_shown
from wms_connector.stages import Stage

# Inputs whose change replaces the connector (a different connector, not a different config).
REPLACE_ON = ("name", "stage")
# Output properties as Python attributes.
_SNAKE_CASE = {
    "connectorState": "connector_state",
    "allowUnreachableDatabase": "allow_unreachable_database",
    "timeoutSeconds": "timeout_seconds",
    "startScn": "start_scn",
    "acceptUncheckedStartScn": "accept_unchecked_start_scn",
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


def _call(props: Mapping[str, Any], request: dict[str, Any], command: str | None = None) -> Any:
    """One admin request; a `command` that changes the connector runs under a hold in the stack's name, so a
    health run neither restarts nor repairs meanwhile, and a person's hold refuses it."""
    timeout = float(props.get("timeoutSeconds") or DEFAULT_STATE_TIMEOUT)
    transport = transport_from_spec(props["transport"], timeout_seconds=timeout)
    request = {**request, "stage": props["stage"]}
    if command:
        request = {**request, "holder": props.get("holder") or f"pulumi stack {props['stage']}", "command": command}
    try:
        return transport.invoke(request)
    except AdminCallFailed as error:
        raise _fail(request["action"], str(props.get("name")), error) from None


def _outputs(props: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    status = result.get("status") or {}
    tasks = [{"id": t.get("id"), "state": t.get("state")} for t in status.get("tasks") or []]
    return {**props, "connectorState": result.get("state"), "tasks": tasks}


class DebeziumConnectorProvider(ResourceProvider):
    # Pulumi's default, kept on purpose: the serialized provider is code the host runs on every operation, so the
    # state holds it encrypted, and whoever can write the state bucket cannot plant code for the next refresh.
    serialize_as_secret_always = True

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
        start_scn = news.get("startScn")
        if start_scn is not None and (isinstance(start_scn, bool) or not isinstance(start_scn, int | float)
                                      or start_scn < 1 or int(start_scn) != start_scn):
            failures.append(CheckFailure("startScn", "must be a whole number of at least 1 (an SCN)"))
        failures.extend(_config_failures(news.get("config"), name, news.get("stage")))
        failures.extend(CheckFailure(prop, reason) for prop, reason in transport_problems(news.get("transport")))
        inputs = {**news, "state": news.get("state", "running"), "timeoutSeconds": timeout}
        inputs.setdefault("allowUnreachableDatabase", False)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DetailedDiffResult:
        changes = connector_changes(olds, news)
        replaces = [path for path, kind in changes.items() if kind.endswith("-replace")]
        return DetailedDiffResult(
            detailed_diff=changes,
            changes=bool(changes),
            replaces=replaces,
            stables=["stage"] if not replaces else [],
            # Two connectors with the same topic prefix must never run at once.
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        result = _call(props, _ensure_request(props), "pulumi up (create)")
        _report_warnings(result)
        return CreateResult(props["name"], _outputs(props, result))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        result = _call(news, _ensure_request(news), "pulumi up (update)")
        return UpdateResult(_outputs(news, result))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        name = props.get("name") or id_
        live = _call({**props, "name": name}, {"action": "read", "name": name})
        if not live.get("exists"):
            return ReadResult("", {})  # gone outside Pulumi: the engine drops it and `up` recreates it
        # The live config and state take the place of the declared ones, so the next diff names what drifted.
        outputs = _outputs({**props, "name": name, "config": live["config"], "state": live["state"]}, live)
        return ReadResult(id_, outputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        name = props.get("name") or id_
        _call({**props, "name": name}, {"action": "delete", "name": name}, "pulumi (delete)")


def _report_warnings(result: Mapping[str, Any]) -> None:
    """What the admin warns of (DDL across a start position) is logged against the resource."""
    for warning in result.get("warnings") or []:
        report(warning, warning=True)


def connector_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, str]:
    """What differs between the old outputs (the live connector after a refresh) and the new inputs, as property
    paths and kinds: each changed config key, the state, and the inputs that replace the connector."""
    changes = {key: "update-replace" for key in REPLACE_ON if olds.get(key) != news.get(key)}
    changes.update(_config_changes(olds.get("config"), news.get("config")))
    desired = news.get("state", "running")
    # Outputs written before `read` kept the live state apart from the declared one.
    if olds.get("state") != desired or olds.get("connectorState") not in (None, desired):
        changes["state"] = "update"
    for key in ("allowUnreachableDatabase", "timeoutSeconds", "transport", "holder"):
        if olds.get(key) != news.get(key):
            changes[key] = "update"
    return changes


def _config_changes(olds: Any, news: Any) -> dict[str, str]:
    if olds == news:
        return {}
    if not isinstance(olds, Mapping) or not isinstance(news, Mapping):
        return {"config": "update"}  # not known yet (a preview)
    # Key by key, a hash salt in a key shown as its fingerprint (a live config is read back that way): a salted
    # config still names each key that drifted, and never the salt.
    olds, news = salted_keys_shown(olds), salted_keys_shown(news)
    if olds == news:
        return {}
    changes = {property_path("config", key): "add" for key in news.keys() - olds.keys()}
    changes.update({property_path("config", key): "delete" for key in olds.keys() - news.keys()})
    changes.update(
        {property_path("config", key): "update" for key in olds.keys() & news.keys() if olds[key] != news[key]}
    )
    return changes


def _ensure_request(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "action": "ensure",
        "name": props["name"],
        "config": dict(props["config"]),
        "state": props.get("state", "running"),
        "timeout_seconds": props.get("timeoutSeconds", DEFAULT_STATE_TIMEOUT),
        "allow_unreachable_database": bool(props.get("allowUnreachableDatabase", False)),
        # Used only when the connector does not exist yet (its first start reads from there).
        **({"start_scn": int(props["startScn"])} if props.get("startScn") is not None else {}),
        **({"accept_unknown_open_transactions": True} if props.get("acceptUncheckedStartScn") else {}),
    }


def _config_failures(config: Any, name: Any, stage: Any) -> list[CheckFailure]:
    if not isinstance(config, Mapping) or not config:
        return [CheckFailure("config", "must be a non-empty object of connector properties")]
    failures = [
        CheckFailure(f"config.{key}", "must be a string") for key, value in config.items() if not isinstance(value, str)
    ]
    if "name" in config and config["name"] != name:
        failures.append(CheckFailure("config.name", f"must equal the connector name {name!r}"))
    failures.extend(CheckFailure(f"config.{p.key}", p.message) for p in credential_problems(config))
    try:
        rule = ConfigRule(Stage.parse(stage))
    except ValueError:  # reported on `stage` already
        return failures
    if failures:
        return failures
    # The admin's config rule, at preview: a rename or a config it would refuse fails here, before the old
    # connector is deleted for a replacement (the admin checks again against the worker's Kafka settings).
    for breach in rule.breaches(config, name):
        failures.append(CheckFailure("name" if breach.key == "name" else f"config.{breach.key}", breach.reason))
    return failures


def secret_if_salted(config: pulumi.Input[Mapping[str, str]], secret: bool = False) -> pulumi.Input[Mapping[str, str]]:
    """The config as a Pulumi secret when it may carry a hash salt (a salt is part of a property name) or comes
    from options the stack holds as a secret; as it is otherwise."""
    return pulumi.Output.secret(config) if secret or _may_carry_a_salt(config) else config


def _may_carry_a_salt(*configs: Any) -> bool:
    """True when a config has a salted hash-mask key, or is not known yet (an Output may resolve to one)."""
    return any(
        not isinstance(config, Mapping) or any(".with.salt." in str(key) for key in config) for config in configs
    )


class DebeziumConnector(Resource, module="wms", name="DebeziumConnector"):
    """The stage's Debezium connector. Outputs: every input, plus `connectorState` and `tasks` as Connect reported
    them at the last `pulumi up` or `pulumi refresh`."""

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
        secret_config: bool = False,
        start_scn: int | None = None,
        accept_unchecked_start_scn: bool = False,
        holder: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # A hash salt is part of a property name: a config that may carry one (or that comes from options the stack
        # holds as a secret) is a Pulumi secret, in the inputs and the outputs, so the state holds only ciphertext
        # and the CLI prints [secret].
        if secret_config or _may_carry_a_salt(config):
            config = secret_if_salted(config, secret=True)
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["config"]))
        props = {
            "name": name,
            "stage": stage,
            "config": config,
            "state": state,
            "allow_unreachable_database": allow_unreachable_database,
            "timeout_seconds": timeout_seconds,
            "start_scn": start_scn,
            "accept_unchecked_start_scn": accept_unchecked_start_scn,
            # Who the hold around each change names (and, new to a stack, what makes its first update write the
            # declared connector where the admin keeps it).
            "holder": holder,
            "transport": transport,
            "connector_state": None,
            "tasks": None,
        }
        super().__init__(DebeziumConnectorProvider(), resource_name, props, opts)

"""Registering a connector config with Connect, tolerating an unreachable database when asked: the one rule the
admin's reconciler (`pulumi up`) and the health check's repair share.

Connect refuses (`PUT …/config`, `POST /connectors` → 400) any config its connector cannot validate, and
Debezium's validation opens a database connection. When only that connection fails (the errors are on the
connection fields and say so) and the caller allows it, the config goes straight into the stage's config topic
(config_topic.py), its target state first, and the connector's task reports the database failure instead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from wms_connector.config_topic import ConfigTopicWriter
from wms_connector.connect_client import ConnectClient
from wms_connector.connect_status import FieldErrors
from wms_connector.connector.config_rule import ConfigRule
from wms_connector.connector.credentials import is_allowed_placeholder
from wms_connector.connector.oracle_source import CONNECTOR_CLASS
from wms_connector.stages import Stage

CONNECTION_FIELDS = ("database.hostname", "database.url")
# Debezium (OracleConnector.validateConnection) puts a failed connection on the connection field: "Unable to
# connect (primary): …" in 3.6.1.
CONNECTION_FAILURE = re.compile(r"(?i)unable to connect|connection|could not|timed out|refused|IO Error|ORA-")
# Connect 4.x (AbstractHerder.redactResolvedValues) replaces every validation error on a key whose value came from
# a config provider reference (our ${env:DB_HOST}) with this one text, and logs the real errors only at TRACE. On
# a connection field it stands for Debezium's failed connection check: the only other error such a field can have
# is an empty value, which the worker's entrypoint refuses before Connect starts.
PROVIDER_REDACTED = "the value resolved from the config provider reference failed validation"
REDACTED_HINT = (
    "Connect hides the cause of an error on a value it read from the worker's environment; the database "
    "connection check failed: run `ops preflight` to see why"
)


class RegistrationRefused(Exception):
    """Connect's validation refused the config for more than an unreachable database; `fields` lists why."""

    def __init__(self, message: str, fields: Mapping[str, list[str]]):
        super().__init__(message)
        self.message, self.fields = message, dict(fields)


class RegistrationUnconfirmed(Exception):
    """The config was written to the config topic, but Connect did not show it in time."""


def _connection_failure(field: str, message: str, config: Mapping[str, str]) -> bool:
    if field not in CONNECTION_FIELDS:
        return False
    if PROVIDER_REDACTED in message:
        return is_allowed_placeholder(config.get(field, ""))
    return bool(CONNECTION_FAILURE.search(message))


def blocking_errors(
    result: FieldErrors, allow_unreachable_database: bool, config: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The validation errors that refuse a config: all of them, or, when an unreachable database is allowed,
    all but the connection failures on the connection fields (`config` tells which fields Connect redacted)."""
    if not allow_unreachable_database:
        return dict(result.errors)
    config = config or {}
    return {
        field: messages
        for field, messages in result.errors.items()
        if not all(_connection_failure(field, m, config) for m in messages)
    }


def _explained(field: str, message: str) -> str:
    if field in CONNECTION_FIELDS and PROVIDER_REDACTED in message:
        return f"{message} ({REDACTED_HINT})"
    return message


def refusal(name: str, blocking: Mapping[str, list[str]]) -> RegistrationRefused:
    listed = "\n".join(
        f"  {field}: {'; '.join(_explained(field, m) for m in messages)}"
        for field, messages in sorted(blocking.items())
    )
    count = sum(len(m) for m in blocking.values())
    return RegistrationRefused(f"Connector `{name}` config is invalid ({count} error(s)):\n{listed}", blocking)


@dataclass
class Registrar:
    connect: ConnectClient
    stage: Stage
    config_writer: ConfigTopicWriter | None = None  # for configs whose database is not reachable (opt-in)
    poll_interval: float = 1.0
    registration_timeout: float = 60.0
    rule: ConfigRule | None = None  # the stage's config rule (config_rule.py); by default one from the stage alone

    def check(self, config: Mapping[str, str], name: str | None = None) -> None:
        """The config rule, before Connect sees anything: ConfigRuleBroken names each key that breaks it."""
        (self.rule or ConfigRule(self.stage)).check(config, name)

    def validate(self, config: Mapping[str, str]) -> FieldErrors:
        self.check(config)
        return self.connect.validate(config.get("connector.class", CONNECTOR_CLASS), config)

    def register(
        self,
        name: str,
        config: Mapping[str, str],
        *,
        allow_unreachable_database: bool = False,
        initial_state: str | None = None,
        result: FieldErrors | None = None,
    ) -> FieldErrors:
        """Validate (unless `result` is the validation already made) and register: a new connector with an
        `initial_state` (RUNNING, PAUSED, STOPPED) is created in it, any other is `PUT`. Nothing is sent when the
        live config is the same already. Raises RegistrationRefused with the field errors, ConfigRuleBroken (before
        Connect is asked) with the keys that break the config rule."""
        self.check(config, name)
        result = result if result is not None else self.validate(config)
        blocking = blocking_errors(result, allow_unreachable_database, config)
        if blocking:
            raise refusal(name, blocking)
        live = self.connect.get_config(name)
        if live == {**config, "name": name}:
            return result  # already live: a PUT would only restart the connector for nothing
        initial = initial_state if live is None else None  # an update keeps the connector's own state
        if result.ok and initial:
            self.connect.create(name, config, initial)
        elif result.ok:
            self.connect.put_config(name, config)
        else:
            self._register_unvalidated(name, config, initial)
        return result

    def _register_unvalidated(self, name: str, config: Mapping[str, str], initial_state: str | None) -> None:
        if self.config_writer is None:
            raise RegistrationUnconfirmed(
                f"Connector `{name}`: the database is unreachable and there is no Kafka connection to register "
                "the connector without Connect's database check."
            )
        self.config_writer.register(self.stage, name, config, initial_state)
        deadline = time.monotonic() + self.registration_timeout
        while self.connect.get_config(name) != {**config, "name": name}:
            if time.monotonic() >= deadline:
                raise RegistrationUnconfirmed(
                    f"Connector `{name}` was written to {self.stage}'s config topic but Connect did not show "
                    f"that config within {self.registration_timeout:.0f}s; is the worker's group the stage's?"
                )
            time.sleep(self.poll_interval)

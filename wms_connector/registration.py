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
from wms_connector.connector.config import CONNECTOR_CLASS
from wms_connector.stages import Stage

CONNECTION_FIELDS = ("database.hostname", "database.url")
CONNECTION_FAILURE = re.compile(r"(?i)unable to connect|connection|could not|timed out|refused|IO Error|ORA-")


class RegistrationRefused(Exception):
    """Connect's validation refused the config for more than an unreachable database; `fields` lists why."""

    def __init__(self, message: str, fields: Mapping[str, list[str]]):
        super().__init__(message)
        self.message, self.fields = message, dict(fields)


class RegistrationUnconfirmed(Exception):
    """The config was written to the config topic, but Connect did not show it in time."""


def blocking_errors(result: FieldErrors, allow_unreachable_database: bool) -> dict[str, list[str]]:
    """The validation errors that refuse a config: all of them, or, when an unreachable database is allowed,
    all but the connection failures on the connection fields."""
    if not allow_unreachable_database:
        return dict(result.errors)
    return {
        field: messages
        for field, messages in result.errors.items()
        if not (field in CONNECTION_FIELDS and all(CONNECTION_FAILURE.search(m) for m in messages))
    }


def refusal(name: str, blocking: Mapping[str, list[str]]) -> RegistrationRefused:
    listed = "\n".join(f"  {field}: {'; '.join(messages)}" for field, messages in sorted(blocking.items()))
    count = sum(len(m) for m in blocking.values())
    return RegistrationRefused(f"Connector `{name}` config is invalid ({count} error(s)):\n{listed}", blocking)


@dataclass
class Registrar:
    connect: ConnectClient
    stage: Stage
    config_writer: ConfigTopicWriter | None = None  # for configs whose database is not reachable (opt-in)
    poll_interval: float = 1.0
    registration_timeout: float = 60.0

    def validate(self, config: Mapping[str, str]) -> FieldErrors:
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
        live config is the same already. Raises RegistrationRefused with the field errors."""
        result = result if result is not None else self.validate(config)
        blocking = blocking_errors(result, allow_unreachable_database)
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

"""The admin's errors. Each has a `type` that travels over the JSON protocol, so the provider, `ops` and the
Lambda's log name the same cause the same way.
"""

from __future__ import annotations

from collections.abc import Mapping


class AdminError(Exception):
    """An admin operation failed in a way a person should read; `type` and `fields` travel over the protocol."""

    type = "AdminError"

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class BadRequest(AdminError):
    type = "BadRequest"


class ConfigInvalid(AdminError):
    type = "ConfigInvalid"


class StateTimeout(AdminError):
    type = "StateTimeout"


class ConnectorNotFound(AdminError):
    type = "ConnectorNotFound"


class Refused(AdminError):
    """The operation is not safe in the connector's present state; nothing was changed."""

    type = "Refused"


class AdminMisconfigured(AdminError):
    """The admin's own environment cannot run it; the message names the variable."""

    type = "AdminMisconfigured"


class DatabaseUnreachable(AdminError):
    """The preflight could not connect as the CDC user; the message says where and why, never the password."""

    type = "DatabaseUnreachable"


def not_found(name: str) -> ConnectorNotFound:
    return ConnectorNotFound(f"Connector `{name}` does not exist on this Connect cluster.")

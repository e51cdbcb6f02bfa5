"""The credential policy of connector configs: which properties carry a credential, the only values they may
hold (`${env:DB_…}` placeholders resolved by the worker), and how a live config is redacted before it is shown or
stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wms_connector import worker_env
from wms_connector.redaction import redact

# Key fragments that mark a property as carrying a credential. Matched on the lower-cased key.
_CREDENTIAL_KEY = re.compile(
    r"(password|passwd|secret|jaas|credential|token|api[._-]?key|private[._-]?key|access[._-]?key"
    r"|(^|\.)user(name)?$|(^|\.)(ssl\.)?(keystore|truststore)\.(key|certificate\.chain|certificates)$)"
)
_PLACEHOLDER = re.compile(r"\$\{env:([A-Z0-9_]+)\}")


def is_credential_key(key: str) -> bool:
    """True for properties that hold a credential (password, user, JAAS config, keystore secrets, tokens…)."""
    return bool(_CREDENTIAL_KEY.search(key.lower()))


def is_allowed_placeholder(value: str) -> bool:
    """True when `value` is exactly one `${env:…}` reference to a database variable of the worker contract."""
    match = _PLACEHOLDER.fullmatch(value)
    return bool(match) and match.group(1) in worker_env.DB_VARIABLES


@dataclass(frozen=True)
class CredentialProblem:
    """A property whose value is a credential in plain text: the key, and the sentence that says so."""

    key: str
    message: str


def credential_problems(config: Mapping[str, Any], *, where: str = "connector config") -> list[CredentialProblem]:
    """Every credential-like property in `config` whose value is not an allowed `${env:DB_…}` placeholder."""
    return [
        CredentialProblem(
            str(key),
            f"{where} property `{key}` holds a credential in plain text; only a placeholder "
            f"`${{env:NAME}}` with NAME one of {', '.join(worker_env.DB_VARIABLES)} is allowed",
        )
        for key, value in config.items()
        if is_credential_key(str(key)) and not (isinstance(value, str) and is_allowed_placeholder(value))
    ]


REDACTED = "<plaintext credential, not shown>"


def redact_credentials(config: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with every plaintext credential value replaced by REDACTED, and credentials inside other values
    (a JDBC URL with a user and password) redacted: a live config read back from Connect (set outside Pulumi)
    must not carry one into Pulumi state, a Lambda response or a terminal. Keys stay as they are, so the
    config still compares with the declared one."""
    return {
        key: REDACTED
        if is_credential_key(str(key)) and not (isinstance(value, str) and is_allowed_placeholder(value))
        else redact(value) if isinstance(value, str) else value
        for key, value in config.items()
    }

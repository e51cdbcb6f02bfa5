"""One redaction rule for every text that leaves the code: error messages, log lines, CLI output, Lambda responses
and values stored in Pulumi state.

What it hides: credentials in URLs (`scheme://user:password@host`), in JDBC URLs (`jdbc:oracle:thin:user/pass@…`
and `password=`/`user=` parameters), and the hash salt that Debezium takes as part of a property name
(`column.mask.hash.<algorithm>.with.salt.<salt>`). Values that failed a format check are never shown at all:
messages say what was wrong, not what was there (see secrets_lookup.py, lambda_env.py).
"""

from __future__ import annotations

import hashlib
import re
import reprlib
from collections.abc import Mapping
from typing import Any

HIDDEN = "<redacted>"

# Containers are shown two levels deep and a few items wide: enough to recognise, never unbounded.
_container_repr = reprlib.Repr()
_container_repr.maxlevel = 2
_container_repr.maxlist = _container_repr.maxtuple = _container_repr.maxdict = 4
_container_repr.maxstring = _container_repr.maxother = 40
_container_repr.maxlong = 40
SALT_HIDDEN = "<hidden>"

# `scheme://userinfo@`: whatever stands before the @ of an authority is a credential. Kafka's listener names
# (`SASL_SSL://`) take `_`, which RFC 3986 schemes do not.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+._-]*://)(?P<userinfo>[^/@\s\"'<>]+)@")
# Oracle's thin driver: `jdbc:oracle:thin:user/password@host…` (and the `oci` driver alike).
_JDBC_USER_PASSWORD = re.compile(r"(?P<prefix>\bjdbc:oracle:[a-z0-9]+:)(?P<credentials>[^@\s/\"']+/[^@\s\"']*)@")
# Credentials given as URL or connect-string parameters: `password=…`, `user=…` (also in `;` lists).
_CREDENTIAL_PARAMETER = re.compile(
    r"(?i)(?P<name>\b(?:password|passwd|pwd|user|username|user_name)\s*=\s*)(?P<value>[^&;,\s)\"']+)"
)
# The salt is the part of the property name after `.with.salt.` (Debezium's hash-mask property).
_SALT = re.compile(r"(?P<prefix>\.with\.salt\.)(?P<salt>[A-Za-z0-9_-]+)")


def shown(value: Any, limit: int = 80) -> str:
    """A config value as an error message shows it: redacted, at most `limit` characters, and never an error of
    its own (an integer of thousands of digits, JSON nested thousands deep)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a whole number of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, list | tuple | dict):
        text = _container_repr.repr(value)
    else:
        try:
            text = repr(value)
        except (ValueError, RecursionError):
            text = f"a {type(value).__name__}"
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def redact(text: str) -> str:
    """`text` with every credential and salt this project knows the shape of replaced."""
    if not text:
        return text
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{HIDDEN}@", text)
    text = _JDBC_USER_PASSWORD.sub(lambda m: f"{m['prefix']}{HIDDEN}@", text)
    text = _CREDENTIAL_PARAMETER.sub(lambda m: f"{m['name']}{HIDDEN}", text)
    return _SALT.sub(lambda m: f"{m['prefix']}{SALT_HIDDEN}", text)


def salted_key_shown(key: str) -> str:
    """A property name with its salt replaced by a short fingerprint of it: a config read back still compares key by
    key with the declared one (a changed salt shows as a changed key), and the salt itself is never shown. The
    result has no salt left, so applying this twice changes nothing."""
    return _SALT.sub(
        lambda m: f"{m['prefix']}<salt {hashlib.sha256(m['salt'].encode()).hexdigest()[:12]}>", key
    )


def salted_keys_shown(config: Mapping[str, Any]) -> dict[str, Any]:
    return {salted_key_shown(str(key)): value for key, value in config.items()}


def redact_data(value: Any, *, keys: bool = True) -> Any:
    """`redact` applied to every string in a JSON-like value; to mapping keys too unless `keys` is False (a
    connector config read back keeps its keys, so it still compares with the declared one)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            (redact(k) if keys and isinstance(k, str) else k): redact_data(v, keys=keys) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_data(v, keys=keys) for v in value]
    return value

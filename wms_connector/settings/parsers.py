"""Config value parsers for the stage settings. Pulumi hands every config value over as a string (lists as JSON);
tests may pass native values. Each parser raises `SettingsError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable

from wms_connector.flags import as_bool
from wms_connector.redaction import shown

CONFIG_NAMESPACE = "wms-connector"


class SettingsError(ValueError):
    """A stack config value that cannot be used; the message names the key, the value and what is allowed
    (`allowed` carries that part alone, for callers that check the same rule under another name)."""

    def __init__(self, message: str, allowed: str | None = None):
        super().__init__(message)
        self.allowed = allowed


def _fail(key: str, value: object, allowed: str) -> SettingsError:
    return SettingsError(
        f"Invalid stack config `{CONFIG_NAMESPACE}:{key}` = {shown(value)}: allowed {allowed}.", allowed
    )


# Digits, no padding: a value is valid as written or not at all (no trimming into validity), and no number here
# needs more than 19 digits (a signed 64-bit number; Python would refuse to even read some thousands).
_WHOLE_NUMBER = re.compile(r"-?\d{1,19}")


def _integer(key: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise _fail(key, value, f"a whole number from {low} to {high}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        number = int(value)
    else:
        raise _fail(key, value, f"a whole number from {low} to {high}")
    if not low <= number <= high:
        raise _fail(key, value, f"a whole number from {low} to {high}")
    return number


def boolean(key: str, value: object) -> bool:
    flag = as_bool(value)
    if flag is None:
        raise _fail(key, value, "true or false")
    return flag


def integer(low: int, high: int) -> Callable[[str, object], int]:
    return lambda key, value: _integer(key, value, low, high)


def one_of(*choices: int) -> Callable[[str, object], int]:
    allowed = "one of " + ", ".join(str(c) for c in choices)

    def parse(key: str, value: object) -> int:
        try:
            number = _integer(key, value, min(choices), max(choices))
        except SettingsError:
            raise _fail(key, value, allowed) from None
        if number not in choices:
            raise _fail(key, value, allowed)
        return number

    return parse


def matching(pattern: str, allowed: str) -> Callable[[str, object], str]:
    compiled = re.compile(pattern)

    def parse(key: str, value: object) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise _fail(key, value, allowed)
        return value

    return parse


def _string_list(key: str, value: object, allowed: str) -> tuple[str, ...]:
    items: object = value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                raise _fail(key, value, allowed) from None
        else:
            items = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(items, list | tuple) or not items or not all(isinstance(i, str) for i in items):
        raise _fail(key, value, allowed)
    return tuple(items)


# Wider than this is no longer "the database network": it would open 1521 to most of the address space.
_MIN_CIDR_PREFIX = 8


def ipv4_cidrs(key: str, value: object) -> tuple[str, ...]:
    allowed = f"a non-empty list of IPv4 CIDR blocks, each /{_MIN_CIDR_PREFIX} or narrower (e.g. [\"10.0.0.0/8\"])"
    cidrs = _string_list(key, value, allowed)
    for cidr in cidrs:
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError:
            raise _fail(key, value, allowed) from None
        if network.prefixlen < _MIN_CIDR_PREFIX:
            raise _fail(key, value, allowed)
    return cidrs


def matching_list(pattern: str, allowed: str) -> Callable[[str, object], tuple[str, ...]]:
    """A non-empty list of strings, each matching `pattern` (no repeats)."""
    compiled = re.compile(pattern)

    def parse(key: str, value: object) -> tuple[str, ...]:
        items = _string_list(key, value, allowed)
        if len(set(items)) != len(items) or not all(compiled.fullmatch(item) for item in items):
            raise _fail(key, value, allowed)
        return items

    return parse

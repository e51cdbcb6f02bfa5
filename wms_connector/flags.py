"""True or false as the stack config and a Lambda's environment write them: a boolean, or the text true/false."""

from __future__ import annotations


def as_bool(value: object) -> bool | None:
    """The boolean `value` stands for, or None when it stands for neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None

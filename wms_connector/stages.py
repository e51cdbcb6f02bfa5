"""The stage model: which stack names are allowed, and what kind of stage each one is.

Every other module takes a validated `Stage`; this is the only place that decides what a stage may be called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMED_STAGES = ("main", "val", "production")

# Ephemeral stages take main's sizing and defaults.
EPHEMERAL_DEFAULTS_FROM = "main"

MAX_STAGE_LENGTH = 64

# Lowercase letters, digits and single inner hyphens only. Stricter than the `[a-zA-Z0-9._-]{1,64}` the old
# repository allowed, each rule for a safety reason given in the error message below.
_STAGE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# An ephemeral stage puts `<stage>.` in front of its topics. These names would make that namespace a prefix
# of the named stages' (unprefixed) topics, e.g. stage `aws` owning `aws.wms.cdc.WMS.PLAN_BASE_WVR_TBL`.
# `default` is the secrets fallback path and cannot also be a stage.
RESERVED_STAGES = {
    "aws": "its topic namespace `aws.` would cover the named stages' data topics `aws.wms.cdc.*`",
    "mgmt": "its topic namespace `mgmt.` would cover the named stages' Connect topics `mgmt.connect.*`",
    "default": "`<root>/default/...` is the secrets fallback path shared by every stage",
}


class InvalidStageError(ValueError):
    """A stack name that cannot be a stage; the message says what is allowed and why."""


ALLOWED_DESCRIPTION = (
    f"1-{MAX_STAGE_LENGTH} characters of lowercase letters a-z, digits 0-9 and single hyphens, starting and "
    "ending with a letter or digit"
)


def _why_rejected(name: str) -> str | None:
    if not name:
        return "it is empty"
    if len(name) > MAX_STAGE_LENGTH:
        return f"it is {len(name)} characters long (at most {MAX_STAGE_LENGTH})"
    if "." in name:
        return (
            "it contains '.': a stage's topic namespace is `<stage>.`, so a dot would let one stage's "
            "namespace be a prefix of another's (stage `feat` would own `feat.x.` topics)"
        )
    if "_" in name:
        return (
            "it contains '_': Kafka treats '.' and '_' as colliding in metric names, and AWS load balancer, "
            "target group and DNS names do not allow '_'"
        )
    if name != name.lower():
        return (
            "it contains uppercase letters: DNS names, ECR repositories and load balancers are "
            "case-insensitive or lowercase-only, so `Feat` and `feat` would collide"
        )
    if not _STAGE_PATTERN.fullmatch(name):
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c == "-"))})
        if bad:
            return f"it contains {', '.join(repr(c) for c in bad)}"
        if "--" in name:
            return (
                "it contains '--': ECR repository names allow only single separators, and DNS reserves '--' "
                "in labels (punycode)"
            )
        return "it starts or ends with a hyphen"
    if name in RESERVED_STAGES:
        return f"`{name}` is reserved: {RESERVED_STAGES[name]}"
    return None


@dataclass(frozen=True)
class Stage:
    """A validated stage. Build it with `Stage.parse`."""

    name: str

    @classmethod
    def parse(cls, name: object) -> Stage:
        if not isinstance(name, str):
            raise InvalidStageError(f"Stage must be a string, got {type(name).__name__}.")
        reason = _why_rejected(name)
        if reason:
            raise InvalidStageError(
                f"Invalid stage (stack name) {name!r}: {reason}. A stage must be {ALLOWED_DESCRIPTION}; "
                f"{', '.join(NAMED_STAGES)} are the named stages, any other valid name is ephemeral."
            )
        return cls(name)

    @property
    def is_named(self) -> bool:
        return self.name in NAMED_STAGES

    @property
    def is_ephemeral(self) -> bool:
        return not self.is_named

    @property
    def defaults_stage(self) -> str:
        """The named stage whose defaults (sizing, thresholds) this stage takes."""
        return self.name if self.is_named else EPHEMERAL_DEFAULTS_FROM

    @property
    def topic_namespace(self) -> str:
        """What goes in front of every topic this stage creates or uses: `<stage>.` or nothing."""
        return "" if self.is_named else f"{self.name}."

    @property
    def service_name(self) -> str:
        return f"wms-connector-{self.name}"

    def __str__(self) -> str:
        return self.name

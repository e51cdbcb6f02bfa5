"""The stage a git branch deploys to. Branch names allow what stage names must not (`feature/login`,
`dependabot/pip/urllib3-2.8.1`, `JIRA-123_fix`), so the workflows map every branch through this one function.

The rule: the branches named exactly `main`, `val` and `production` map to themselves, and nothing else reaches
those stages: the workflows pass the branch's short name (`github.ref_name`), so a branch literally named
`refs/heads/production` is one more branch and gets a hashed ephemeral stage. Any other branch that already is a
valid ephemeral stage name maps to itself too, unless it ends like a hash suffix. Every other branch is lowercased,
each run of characters a stage may not have becomes one hyphen, the ends are trimmed, and the full branch name's hash is
appended (cut first when too long), so two branches never share a stage and no branch can reach a named stage.
"""

from __future__ import annotations

import hashlib
import re

from wms_connector.stages import MAX_STAGE_LENGTH, NAMED_STAGES, InvalidStageError, Stage

HASH_LENGTH = 8
# What a mapped name ends with; a branch already ending like this gets a hash of its own, so it cannot take
# the stage of another branch that was mapped onto its name.
_HASH_SUFFIX = re.compile(rf"-[0-9a-f]{{{HASH_LENGTH}}}$")
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


class InvalidBranchError(ValueError):
    """Not a branch name at all (empty, or not text)."""


def _unchanged(branch: str) -> Stage | None:
    try:
        stage = Stage.parse(branch)
    except InvalidStageError:
        return None
    return None if _HASH_SUFFIX.search(branch) and not stage.is_named else stage


def stage_for_branch(branch: str) -> Stage:
    """The stage of the branch named `branch` (its short name, as `github.ref_name` gives it): deterministic,
    valid, never shared."""
    if not isinstance(branch, str) or not branch.strip():
        raise InvalidBranchError(f"A branch name is needed, got {branch!r}.")
    same = _unchanged(branch)
    if same is not None:
        return same
    digest = hashlib.sha256(branch.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    base = _NOT_ALLOWED.sub("-", branch.lower()).strip("-")
    base = base[: MAX_STAGE_LENGTH - HASH_LENGTH - 1].rstrip("-") or "branch"
    stage = Stage.parse(f"{base}-{digest}")
    assert stage.name not in NAMED_STAGES  # a hash suffix never matches a named stage
    return stage

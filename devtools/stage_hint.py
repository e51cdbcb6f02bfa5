"""A stage name one slip away from a named stage: `--stage prod` is a valid ephemeral stage of its own, and without
a word it would end in "Unable to locate credentials" or a function that does not exist."""

from __future__ import annotations

from wms_connector.stages import NAMED_STAGES, Stage


def stage_hint(stage: Stage) -> str | None:
    """For an ephemeral stage one slip away from a named one (`prod`, `prd`, `mian`, `val1`): which was meant."""
    if stage.is_named:
        return None
    for named in NAMED_STAGES:
        if _one_slip(stage.name, named):
            return (f"`{stage.name}` is not a named stage but an ephemeral one of its own; did you mean "
                    f"`--stage {named}`? (named stages: {', '.join(NAMED_STAGES)})")
    return None


def _one_slip(typed: str, named: str) -> bool:
    """One letter added, dropped, changed or swapped; a shortening (`prod`); or its letters in order (`prd`)."""
    if named.startswith(typed) and len(typed) >= 3:
        return True
    if len(typed) >= 3 and typed[0] == named[0] and _in_order(typed, named):
        return True
    if abs(len(typed) - len(named)) > 1:
        return False
    if len(typed) == len(named):
        diffs = [i for i, (a, b) in enumerate(zip(typed, named, strict=True)) if a != b]
        return len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                                   and typed[diffs[0]] == named[diffs[1]] and typed[diffs[1]] == named[diffs[0]])
    shorter, longer = sorted((typed, named), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def _in_order(typed: str, named: str) -> bool:
    letters = iter(named)
    return all(letter in letters for letter in typed)

"""Property tests for the branch → stage mapping the workflows use (wms_connector/branch_stage.py)."""

from __future__ import annotations

import io

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from devtools.stage_for_branch import main
from wms_connector.branch_stage import InvalidBranchError, stage_for_branch
from wms_connector.stages import NAMED_STAGES, Stage

# Branch names as people and bots write them: path segments, dots, underscores, capitals, digits, unicode.
_segment = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30
) | st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)
branches = st.lists(_segment, min_size=1, max_size=5).map("/".join).filter(lambda b: b.strip() != "")


@settings(max_examples=500, deadline=None)
@given(branch=branches)
def test_every_branch_maps_to_a_valid_stage_deterministically(branch):
    stage = stage_for_branch(branch)
    assert Stage.parse(stage.name) == stage
    assert stage_for_branch(branch) == stage


# Names built to look like a named stage: prefixes, refs, case, padding.
_lookalikes = st.builds(
    lambda prefix, name, suffix: f"{prefix}{name}{suffix}",
    st.sampled_from(["", "refs/heads/", "heads/", "origin/", " ", "/", "./", "refs/heads/refs/heads/"]),
    st.sampled_from([*NAMED_STAGES, *(n.upper() for n in NAMED_STAGES), *(n.title() for n in NAMED_STAGES)]),
    st.sampled_from(["", " ", "/", ".", "\n", "-", "_"]),
)


@settings(max_examples=500, deadline=None)
@given(branch=branches | _lookalikes)
def test_only_the_named_branches_reach_the_named_stages(branch):
    stage = stage_for_branch(branch)
    assert stage.is_named == (branch in NAMED_STAGES)


@settings(max_examples=500, deadline=None)
@given(first=branches, second=branches)
def test_two_branches_never_share_a_stage(first, second):
    assume(first != second)
    assert stage_for_branch(first) != stage_for_branch(second)


@settings(max_examples=300, deadline=None)
@given(name=st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6}){0,3}", fullmatch=True))
def test_a_branch_that_already_is_a_stage_name_keeps_it(name):
    assume(name not in ("aws", "mgmt", "default"))
    assert stage_for_branch(name).name == name


def test_a_branch_ending_like_a_hash_cannot_take_a_mapped_branchs_stage():
    mapped = stage_for_branch("feature/login")
    assert stage_for_branch(mapped.name) != mapped


@pytest.mark.parametrize(
    ("branch", "starts"),
    [
        ("feature/login", "feature-login-"),
        ("dependabot/pip/urllib3-2.8.1", "dependabot-pip-urllib3-2-8-1-"),
        ("JIRA-123_fix", "jira-123-fix-"),
        ("Main", "main-"),
        ("aws", "aws-"),
        ("release/2026.12", "release-2026-12-"),
        ("___", "branch-"),
        ("x" * 100, "x" * 55 + "-"),
        # Cut where a separator was: the cut's trailing hyphen goes, so the name never gets a '--'.
        ("a" * 54 + "/" + "b" * 5, "a" * 54 + "-"),
        ("a" * 54 + "//" + "b" * 5, "a" * 54 + "-"),
    ],
)
def test_examples(branch, starts):
    stage = stage_for_branch(branch)
    assert stage.name.startswith(starts) and len(stage.name) == len(starts) + 8


@pytest.mark.parametrize("stage", NAMED_STAGES)
def test_only_the_exact_name_reaches_a_named_stage(stage):
    assert stage_for_branch(stage).name == stage
    for lookalike in (f"refs/heads/{stage}", f"{stage}/", f" {stage}", stage.upper(), f"heads/{stage}"):
        assert not stage_for_branch(lookalike).is_named, lookalike


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_no_branch_is_an_error(bad):
    with pytest.raises(InvalidBranchError):
        stage_for_branch(bad)


@pytest.mark.parametrize(("bad", "shown"), [("", "''"), ("   ", "'   '")])
def test_no_branch_is_refused_naming_what_was_given(bad, shown):
    err = io.StringIO()
    assert main([bad], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == f"error: A branch name is needed, got {shown}.\n"


def test_the_command_prints_the_stage_and_refuses_bad_usage():
    out, err = io.StringIO(), io.StringIO()
    assert main(["feature/login"], out=out, err=err) == 0
    assert out.getvalue().strip() == stage_for_branch("feature/login").name
    assert main([], out=io.StringIO(), err=err) == 2
    assert main([""], out=io.StringIO(), err=err) == 2

"""The GitHub workflows: preview on pull requests, up on push, destroy on branch delete, the release pull requests,
and the hygiene every workflow keeps (pinned actions, no stored credentials, least permissions, concurrency).
actionlint and zizmor check them too (`make workflows`, devtools/workflow_lint.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
NAMED = {"main", "val", "production"}
PULUMI_WORKFLOWS = ("preview.yml", "deploy.yml", "destroy.yml", "release.yml")
ALL = sorted(path.name for path in WORKFLOWS.glob("*.yml"))
STAGE_FROM_BRANCH = ".venv/bin/python -m devtools.stage_for_branch"


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the `on:` key as a boolean
    return workflow


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def steps(name: str) -> list[dict]:
    return [step for job in load(name)["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("name", PULUMI_WORKFLOWS)
def test_every_pulumi_job_sets_up_first_takes_its_stage_from_the_branch_and_runs_pulumi_last(name):
    for job in load(name)["jobs"].values():
        commands = runs(job)
        assert commands[0] == "make setup", name
        assert any(STAGE_FROM_BRANCH in command for command in commands), name
        assert "pulumi " in commands[-1] or "gh pr" in commands[-1], name


@pytest.mark.parametrize("name", ALL)
def test_every_action_is_pinned_to_a_full_commit_with_its_version_noted(name):
    text = (WORKFLOWS / name).read_text()
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses, name
    for reference, rest in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", reference), reference
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", rest), f"{reference} lacks its version comment"


@pytest.mark.parametrize("name", ALL)
def test_checkouts_keep_no_credentials_and_permissions_are_per_job(name):
    workflow = load(name)
    assert workflow["permissions"] == {}, "the workflow grants nothing; each job asks for what it needs"
    assert "concurrency" in workflow
    for job in workflow["jobs"].values():
        assert "permissions" in job and "write-all" not in str(job["permissions"])
    for step in steps(name):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", ALL)
def test_no_expression_is_pasted_into_a_shell_script(name):
    # Values reach scripts through env (a branch name can hold shell syntax): zizmor's template-injection rule.
    for step in steps(name):
        assert "${{" not in step.get("run", ""), step.get("name")


# A pipe outside quotes: `a | b`, not `a || b`.
_PIPE = re.compile(r"(?<![|])\|(?![|])")


def _pipes(script: str) -> bool:
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", "", script)
    return bool(_PIPE.search(unquoted))


@pytest.mark.parametrize("name", ALL)
def test_every_piped_step_fails_when_its_first_command_fails(name):
    # GitHub's default shell is `bash -e {0}`: without pipefail `pulumi preview | tee` is as green as `tee`.
    # `shell: bash` runs `bash --noprofile --norc -eo pipefail {0}`.
    workflow = load(name)
    for job in workflow["jobs"].values():
        default = ((job.get("defaults") or {}).get("run") or {}).get("shell") or (
            (workflow.get("defaults") or {}).get("run") or {}).get("shell")
        for step in job["steps"]:
            if "run" in step and _pipes(step["run"]):
                shell = step.get("shell", default)
                assert shell == "bash" or "set -o pipefail" in step["run"], (name, step.get("name"))


def test_the_pipe_check_sees_pipes_and_only_pipes():
    assert _pipes("pulumi preview | tee preview.txt") and _pipes("a|b")
    assert not _pipes("test -x a || python3 -m venv .venv") and not _pipes("echo 'a | b'")


def test_preview_on_pull_requests_into_named_stages():
    workflow = load("preview.yml")
    assert set(workflow["on"]["pull_request"]["branches"]) == NAMED
    [job] = workflow["jobs"].values()
    assert job["env"]["TARGET_BRANCH"] == "${{ github.base_ref }}"
    assert 'pulumi preview --stack "$STAGE"' in runs(job)[-1]


def test_up_on_push_to_named_stages():
    workflow = load("deploy.yml")
    assert set(workflow["on"]["push"]["branches"]) == NAMED
    [job] = workflow["jobs"].values()
    assert job["env"]["BRANCH"] == "${{ github.ref_name }}"
    # --refresh: the live connector is read first, so a merge puts drift back (without it Pulumi changes nothing).
    assert 'pulumi up --stack "$STAGE" --refresh --yes' in runs(job)[-1]


def test_destroy_on_branch_delete_maps_the_branch_and_skips_named_stages():
    workflow = load("destroy.yml")
    assert "delete" in workflow["on"]
    [job] = workflow["jobs"].values()
    for stage in NAMED:
        assert f"github.event.ref != '{stage}'" in job["if"]
    assert job["env"]["BRANCH"] == "${{ github.event.ref }}"
    script = runs(job)[-1]
    assert 'main|val|production) echo "refusing' in script
    assert 'pulumi destroy --stack "$STAGE"' in script


def test_deploy_and_destroy_of_one_branch_never_run_at_once():
    assert load("deploy.yml")["concurrency"]["group"] == "stage-${{ github.ref_name }}"
    assert load("destroy.yml")["concurrency"]["group"] == "stage-${{ github.event.ref }}"


def test_release_pull_requests_go_main_to_val_to_production_with_the_targets_preview():
    workflow = load("release.yml")
    assert set(workflow["on"]["push"]["branches"]) == {"main", "val"}
    [job] = workflow["jobs"].values()
    script = "\n".join(runs(job))
    assert "main) target=val" in script and "val) target=production" in script
    assert 'pulumi preview --stack "$STAGE" --diff' in script
    assert 'gh pr create --base "$TARGET" --head "$SOURCE"' in script and 'gh pr edit "$number"' in script
    assert job["permissions"]["pull-requests"] == "write"


def test_pre_commit_and_dependency_review_run_on_pull_requests():
    assert "pull_request" in load("pre-commit.yml")["on"]
    assert "pull_request" in load("dependency-review.yml")["on"]
    hooks = yaml.safe_load((WORKFLOWS.parents[1] / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert [hook["id"] for hook in hooks] == ["ruff", "fast-tests"]
    # Every test file the fast hook names exists: pytest would stop the hook on a missing one.
    fast = next(hook for hook in hooks if hook["id"] == "fast-tests")
    named = [word for word in fast["entry"].split() if word.startswith("tests/")]
    assert named and all((WORKFLOWS.parents[1] / path).is_file() for path in named), named


def test_every_path_a_pre_commit_hook_names_exists():
    # A missing test file makes pytest exit 4 and the hook fail on every push, its other tests never run.
    root = WORKFLOWS.parents[1]
    hooks = [hook for repo in yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"]
             for hook in repo["hooks"]]
    named = [word for hook in hooks for word in hook["entry"].split() if "/" in word and not word.startswith("-")]
    assert named and [path for path in named if not (root / path).exists()] == []

"""The GitHub workflows around the stacks: preview on pull requests, up on push, destroy on branch delete."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
NAMED = {"main", "val", "production"}


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the `on:` key as a boolean
    return workflow


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_every_job_sets_up_first_and_runs_pulumi_last():
    for path in WORKFLOWS.glob("*.yml"):
        for job in load(path.name)["jobs"].values():
            commands = runs(job)
            assert commands[0] == "make setup", path.name
            assert "pulumi " in commands[-1], path.name


def test_preview_on_pull_requests_into_named_stages():
    workflow = load("preview.yml")
    assert set(workflow["on"]["pull_request"]["branches"]) == NAMED
    [job] = workflow["jobs"].values()
    assert job["env"]["STAGE"] == "${{ github.base_ref }}"
    assert "pulumi preview --stack \"$STAGE\"" in runs(job)[-1]


def test_up_on_push_to_named_stages():
    workflow = load("deploy.yml")
    assert set(workflow["on"]["push"]["branches"]) == NAMED
    [job] = workflow["jobs"].values()
    assert "pulumi up --stack \"$STAGE\" --yes" in runs(job)[-1]


def test_destroy_on_branch_delete_skips_named_stages():
    workflow = load("destroy.yml")
    assert "delete" in workflow["on"]
    [job] = workflow["jobs"].values()
    for stage in NAMED:
        assert f"github.event.ref != '{stage}'" in job["if"]
    script = runs(job)[-1]
    assert "main|val|production) echo \"refusing" in script
    assert "pulumi destroy --stack \"$STAGE\"" in script

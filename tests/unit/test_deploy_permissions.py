"""The deploy permissions (components/deploy_permissions.py) cover every resource type and lookup the program
uses for every kind of stage, and list nothing it no longer uses."""

from __future__ import annotations

import re

import pytest

from components.deploy_permissions import LOOKUP_ACTIONS, RESOURCE_ACTIONS, actions_by_service, needs_no_calls
from tests.unit.pulumi_harness import run_program

STAGES = ("main", "val", "production", "feat-x")


@pytest.fixture(scope="module")
def used() -> tuple[set[str], set[str]]:
    types: set[str] = set()
    lookups: set[str] = set()
    for stage in STAGES:
        run = run_program(stage)
        run.raise_error()
        types |= {resource.type for resource in run.resources}
        lookups |= {token for token, _ in run.calls}
    return types, lookups


def test_every_resource_type_the_program_registers_has_its_permissions(used):
    types, _ = used
    missing = sorted(t for t in types if not needs_no_calls(t) and t not in RESOURCE_ACTIONS)
    assert missing == []


def test_every_lookup_the_program_makes_has_its_permissions(used):
    _, lookups = used
    assert sorted(lookups - set(LOOKUP_ACTIONS)) == []


def test_no_permission_is_listed_for_what_the_program_no_longer_uses(used):
    types, lookups = used
    assert sorted(set(RESOURCE_ACTIONS) - types) == []
    assert sorted(set(LOOKUP_ACTIONS) - lookups) == []


def test_every_action_is_service_colon_name():
    for service, names in actions_by_service().items():
        assert re.fullmatch(r"[a-z0-9-]+", service), service
        assert all(name[0].isupper() and ":" not in name for name in names), (service, names)

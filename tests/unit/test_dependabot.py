"""Dependabot proposes a bump of everything the project pins, one coherent set per pull request: every manifest is
covered, Debezium travels with its driver and Kafka with Connect, and Kafka's minor versions wait for Debezium's."""

from __future__ import annotations

import fnmatch
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from devtools.connect_jars import MANIFEST, REPO_ROOT

CONFIG = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

# Each file that pins a version, and the ecosystem whose updater reads it.
PINNED_MANIFESTS = {
    "requirements.txt": "pip",
    "requirements-dev.txt": "pip",
    "connect-image/pom.xml": "maven",
    "connect-image/Dockerfile": "docker",
    "devtools/pulumi_cli/go.mod": "gomod",
    ".github/workflows": "github-actions",
}


def _update(ecosystem: str) -> dict:
    [update] = [u for u in CONFIG["updates"] if u["package-ecosystem"] == ecosystem]
    return update


def _group_of(update: dict, name: str) -> list[str]:
    return [group for group, rule in update.get("groups", {}).items()
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in rule["patterns"])]


def _pom_dependencies() -> list[tuple[str, str]]:
    """(groupId:artifactId, version property) of every dependency and plugin in the manifest."""
    root = ET.parse(MANIFEST).getroot()  # noqa: S314 - the project's own file
    found = []
    for element in [*root.iter(f"{{{POM_NS['m']}}}dependency"), *root.iter(f"{{{POM_NS['m']}}}plugin")]:
        group = element.findtext("m:groupId", namespaces=POM_NS)
        artifact = element.findtext("m:artifactId", namespaces=POM_NS).replace("${scala.binary.version}", "2.13")
        version = element.findtext("m:version", namespaces=POM_NS)
        found.append((f"{group}:{artifact}", re.fullmatch(r"\$\{(.+)\}", version).group(1)))
    return found


@pytest.mark.parametrize(("manifest", "ecosystem"), sorted(PINNED_MANIFESTS.items()))
def test_every_pinned_manifest_is_watched(manifest, ecosystem):
    path = REPO_ROOT / manifest
    assert path.exists(), manifest
    update = _update(ecosystem)
    directory = REPO_ROOT / update["directory"].lstrip("/")
    # github-actions reads .github/workflows under the directory it is given; the others read their folder.
    watched = directory / ".github" / "workflows" if ecosystem == "github-actions" else directory
    assert watched == (path if path.is_dir() else path.parent), (manifest, update["directory"])


def test_every_update_is_weekly_and_waits_for_a_release_to_settle():
    for update in CONFIG["updates"]:
        assert update["schedule"]["interval"] == "weekly", update["package-ecosystem"]
        assert update["cooldown"]["default-days"] >= 3, update["package-ecosystem"]


def test_each_jar_of_the_manifest_moves_with_its_set():
    maven = _update("maven")
    groups = {name: _group_of(maven, name) for name, _property in _pom_dependencies()}
    assert all(len(found) == 1 for found in groups.values()), groups
    by_property = {prop: {groups[name][0] for name, p in _pom_dependencies() if p == prop}
                   for _name, prop in _pom_dependencies()}
    # One pull request carries each pinned version: Kafka with Connect and the broker, log4j2 with them.
    assert by_property["kafka.version"] == by_property["log4j2.version"] == {"kafka-connect"}
    assert by_property["debezium.version"] == by_property["jaxb.api.version"] == {"debezium"}
    # The Oracle JDBC driver comes from Debezium's pom; a direct pin of it would still move with Debezium.
    assert _group_of(maven, "com.oracle.database.jdbc:ojdbc11") == ["debezium"]


def test_kafka_minor_and_major_versions_wait_for_the_debezium_built_against_them():
    ignored = {rule["dependency-name"]: set(rule["update-types"]) for rule in _update("maven")["ignore"]}
    assert ignored["org.apache.kafka:*"] == {"version-update:semver-major", "version-update:semver-minor"}
    # ... and nothing else is held back.
    assert list(ignored) == ["org.apache.kafka:*"]


def test_the_pulumi_sdk_packages_move_together_and_the_cli_alone():
    pip = _update("pip")
    requirements = (REPO_ROOT / "requirements.txt").read_text()
    pulumi_packages = re.findall(r"^(pulumi[a-z-]*)==", requirements, flags=re.MULTILINE)
    assert set(pulumi_packages) == {"pulumi", "pulumi-aws", "pulumi-awsx"}
    assert all(_group_of(pip, name) == ["pulumi"] for name in pulumi_packages)
    gomod = _update("gomod")
    assert gomod["allow"] == [{"dependency-type": "direct"}]
    required = re.search(r"^require (\S+) v", (REPO_ROOT / "devtools/pulumi_cli/go.mod").read_text(), re.MULTILINE)
    assert _group_of(gomod, required.group(1)) == ["pulumi-cli"]


def test_the_previous_pins_are_not_bumped():
    # connect-image/previous/ holds the jar set stages ran before this one, for the upgrade test: a bump there
    # would make the test prove an upgrade nobody makes.
    assert all(not u["directory"].startswith("/connect-image/previous") for u in CONFIG["updates"])
    assert Path(REPO_ROOT / "connect-image" / "previous").is_dir()

"""connect-image/: the Dockerfile, the pinned manifest (pom.xml), the entrypoint and the JMX rules cannot drift."""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from devtools.connect_jars import (
    CONNECT_IMAGE_DIR,
    IMAGE_PROFILES,
    LOCAL_PROFILES,
    MANIFEST,
    STANDIN_PLUGIN_PROFILE,
    Manifest,
)

DOCKERFILE = CONNECT_IMAGE_DIR / "Dockerfile"
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def _load_entrypoint():
    spec = importlib.util.spec_from_file_location("connect_entrypoint_drift", CONNECT_IMAGE_DIR / "entrypoint.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            result.append((instruction.upper(), args.strip()))
    return result


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


MANIFEST_INFO = Manifest()


def test_manifest_pins_every_version_in_properties():
    root = ET.parse(MANIFEST).getroot()  # noqa: S314 - the project's own file
    versions = [element.text for element in root.iter(f"{{{POM_NS['m']}}}version")]
    # The project's own <version>1</version> aside, every version is a property reference.
    assert versions[0] == "1"
    assert versions[1:], "no dependency versions found"
    for version in versions[1:]:
        reference = re.fullmatch(r"\$\{([a-z0-9.]+)\}", version)
        assert reference, f"hard-coded version {version} outside <properties>"
        assert reference.group(1) in MANIFEST_INFO.properties
    assert MANIFEST_INFO.kafka_version == "4.3.2"
    assert MANIFEST_INFO.debezium_version == "3.6.1.Final"
    assert MANIFEST_INFO.jmx_exporter_version.startswith("1.")


def test_manifest_defines_every_profile_the_code_resolves():
    assert set(LOCAL_PROFILES) == set(MANIFEST_INFO.folders)
    assert "kafka-broker" not in IMAGE_PROFILES


def test_the_stand_in_sources_plugin_is_for_the_local_worker_only():
    """Debezium's PostgreSQL connector (the tests' stand-in database) comes from the same Debezium release as the
    Oracle plugin, sits on the local worker's plugin path, and is never resolved into the image."""
    assert STANDIN_PLUGIN_PROFILE in LOCAL_PROFILES
    assert STANDIN_PLUGIN_PROFILE not in IMAGE_PROFILES
    folder = MANIFEST_INFO.folders[STANDIN_PLUGIN_PROFILE]
    assert folder == "plugins/debezium-connector-postgres"
    assert STANDIN_PLUGIN_PROFILE not in DOCKERFILE.read_text() and "postgres" not in DOCKERFILE.read_text()
    profiles = ET.parse(MANIFEST).getroot().findall("m:profiles/m:profile", POM_NS)  # noqa: S314 - our own file
    profile = next(p for p in profiles if p.findtext("m:id", namespaces=POM_NS) == STANDIN_PLUGIN_PROFILE)
    versions = [d.findtext("m:version", namespaces=POM_NS) for d in profile.findall("m:dependencies/m:dependency",
                                                                                    POM_NS)]
    assert versions == ["${debezium.version}"]


def test_dockerfile_builds_on_the_java_version_the_manifest_states():
    arg = next(args for instruction, args in _instructions() if instruction == "ARG" and args.startswith("JAVA_MAJOR"))
    assert arg == f"JAVA_MAJOR={MANIFEST_INFO.java_major_version}"
    froms = [args for instruction, args in _instructions() if instruction == "FROM"]
    assert len(froms) == 2, "multi-stage: a Maven stage and a runtime stage"
    assert all("${JAVA_MAJOR}" in image for image in froms)
    assert froms[0].startswith("maven:") and froms[0].endswith(" AS jars")
    assert "-jre" in froms[1] and "jdk" not in froms[1]


def test_dockerfile_resolves_exactly_the_image_profiles_from_pom_xml():
    build_stage, runtime_stage = _stages()
    assert ("COPY", "pom.xml .") in build_stage
    run = " ".join(args for instruction, args in build_stage if instruction == "RUN")
    loop = re.search(r"for profile in ([a-z -]+?); do", run)
    assert loop, "the Maven stage loops over the manifest's profiles"
    assert tuple(loop.group(1).split()) == IMAGE_PROFILES
    assert "--strict-checksums" in run and "-f pom.xml" in run and "dependency:copy-dependencies" in run
    assert '-P"$profile"' in run and "-Djars.output=/build/jars" in run


def test_dockerfile_copies_every_folder_the_entrypoint_expects():
    entrypoint = _load_entrypoint()
    _, runtime_stage = _stages()
    copies = [args for instruction, args in runtime_stage if instruction == "COPY"]
    image_folders = {MANIFEST_INFO.folders[p].split("/")[0] for p in IMAGE_PROFILES}
    assert image_folders == {entrypoint.LIBS_FOLDER, entrypoint.PLUGINS_FOLDER, entrypoint.JMX_AGENT_FOLDER}
    for folder in image_folders:
        assert f"--from=jars /build/jars/{folder} /opt/connect/{folder}" in copies
    assert MANIFEST_INFO.folders["kafka-broker"] not in DOCKERFILE.read_text()
    # The entrypoint finds its side files next to itself and the jars under its own folder by default.
    assert "entrypoint.py log4j2.properties jmx-exporter.yml /opt/connect/" in copies
    for name in ("entrypoint.py", "log4j2.properties", "jmx-exporter.yml"):
        assert (CONNECT_IMAGE_DIR / name).is_file()


def test_runtime_stage_is_non_root_and_has_no_build_tools():
    _, runtime_stage = _stages()
    users = [args for instruction, args in runtime_stage if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    runtime_text = " ".join(args for _, args in runtime_stage[1:])
    for tool in ("mvn ", "maven", "openjdk", "-jdk", "gcc", "build-essential"):
        assert tool not in runtime_text, tool
    assert "python3" in runtime_text
    entrypoint = next(args for instruction, args in runtime_stage if instruction == "ENTRYPOINT")
    assert entrypoint.startswith('["python3", "/opt/connect/entrypoint.py"')


def test_dockerfile_exposes_the_contract_default_ports():
    from wms_connector import worker_env

    _, runtime_stage = _stages()
    exposed = next(args for instruction, args in runtime_stage if instruction == "EXPOSE").split()
    assert exposed == [str(worker_env.DEFAULT_REST_PORT), str(worker_env.DEFAULT_JMX_EXPORTER_PORT)]


# ---------------------------------------------------------------- JMX exporter rules


def _exporter_rules() -> list[dict]:
    return yaml.safe_load((CONNECT_IMAGE_DIR / "jmx-exporter.yml").read_text())["rules"]


def _first_rule_name(bean: str) -> tuple[str, dict[str, str]] | None:
    """What the exporter would name `bean` (its `domain<props><keys>attr: value` form), as the agent anchors it."""
    for rule in _exporter_rules():
        match = re.match(f"^.*(?:{rule['pattern']}).*$", bean)
        if match:

            def expand(template: str, m: re.Match = match) -> str:
                return re.sub(r"\$(\d+)", lambda g: m.group(int(g.group(1))), template)

            labels = {k: expand(v) for k, v in rule.get("labels", {}).items()}
            return expand(rule["name"]).lower(), labels
    return None


# How the exporter spells Debezium's `debezium.oracle:type=connector-metrics,context=streaming,server=<prefix>`.
STREAMING_BEAN = "debezium.oracle<type=connector-metrics, context=streaming, server={server}><>"


@pytest.mark.parametrize(
    ("bean", "name", "labels"),
    [
        (
            STREAMING_BEAN.format(server="aws.wms.cdc") + "MilliSecondsBehindSource: 5",
            "debezium_oracle_millisecondsbehindsource",
            {"context": "streaming", "server": "aws.wms.cdc"},
        ),
        (
            STREAMING_BEAN.format(server="it.aws.wms.cdc") + "OldestScnAgeInMilliseconds: 1",
            "debezium_oracle_oldestscnageinmilliseconds",
            {"context": "streaming", "server": "it.aws.wms.cdc"},
        ),
        (
            "debezium.oracle<type=connector-metrics, context=snapshot, server=aws.wms.cdc><>RemainingTableCount: 3",
            "debezium_oracle_remainingtablecount",
            {"context": "snapshot", "server": "aws.wms.cdc"},
        ),
        (
            "debezium.postgres<type=connector-metrics, context=streaming, server=ev.aws.wms.cdc><>Connected: true",
            "debezium_postgres_connected",
            {"context": "streaming", "server": "ev.aws.wms.cdc"},
        ),
        (
            "kafka.connect<type=connector-metrics, connector=wms-oracle-cdc><>status: running",
            "kafka_connect_connector_status",
            {"connector": "wms-oracle-cdc", "status": "running"},
        ),
        (
            "kafka.connect<type=connector-task-metrics, connector=wms-oracle-cdc, task=0><>status: failed",
            "kafka_connect_connector_task_status",
            {"connector": "wms-oracle-cdc", "task": "0", "status": "failed"},
        ),
    ],
)
def test_exporter_rules_name_debezium_and_connect_metrics(bean: str, name: str, labels: dict[str, str]):
    assert _first_rule_name(bean) == (name, labels)


def test_exporter_reads_debeziums_connector_beans_whatever_the_connector():
    """The image's Oracle plugin and the local worker's stand-in PostgreSQL plugin, through one rule."""
    config = yaml.safe_load((CONNECT_IMAGE_DIR / "jmx-exporter.yml").read_text())
    assert "debezium.*:type=connector-metrics,*" in config["includeObjectNames"]
    assert not [name for name in config["includeObjectNames"] if name.startswith("debezium.oracle")]


# ---------------------------------------------------------------- the jar cache


def test_cache_dir_is_outside_the_repo_and_keyed_by_the_manifest(monkeypatch, tmp_path):
    from devtools import connect_jars

    monkeypatch.delenv(connect_jars.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert connect_jars.default_cache_dir() == tmp_path / "xdg" / "wms-connector" / MANIFEST_INFO.digest
    monkeypatch.setenv(connect_jars.CACHE_ENV, str(tmp_path / "jars"))
    assert connect_jars.default_cache_dir() == tmp_path / "jars" / MANIFEST_INFO.digest


def test_a_changed_pin_gets_a_new_cache_folder(tmp_path):
    changed = tmp_path / "pom.xml"
    changed.write_text(MANIFEST.read_text().replace("<debezium.version>3.6.1.Final<", "<debezium.version>3.6.0.Final<"))
    assert Manifest(changed).digest != MANIFEST_INFO.digest


def test_resolved_profiles_are_not_resolved_again(monkeypatch, tmp_path):
    from devtools import connect_jars

    for profile in LOCAL_PROFILES:
        (tmp_path / f".resolved-{profile}").touch()
    # Maven must not even be looked for when every profile is already in the cache.
    monkeypatch.setenv(connect_jars.MAVEN_ENV, str(tmp_path / "no-maven-here"))
    monkeypatch.setattr(connect_jars.shutil, "which", lambda _name: None)
    assert connect_jars.resolve(LOCAL_PROFILES, cache_dir=tmp_path) == tmp_path


def test_missing_maven_is_reported_with_what_to_do(monkeypatch, tmp_path):
    from devtools import connect_jars

    monkeypatch.delenv(connect_jars.MAVEN_ENV, raising=False)
    monkeypatch.setattr(connect_jars.shutil, "which", lambda _name: None)
    with pytest.raises(connect_jars.JarResolutionError, match=r"Maven \(`mvn`\) is not on PATH; install Maven"):
        connect_jars.resolve(("jmx-agent",), cache_dir=tmp_path)


def test_unknown_profile_is_named(tmp_path):
    from devtools import connect_jars

    with pytest.raises(connect_jars.JarResolutionError, match=r"Unknown jar profile\(s\) \['kafka-streams'\]"):
        connect_jars.resolve(("kafka-streams",), cache_dir=tmp_path)

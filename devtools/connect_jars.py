"""The pinned jar set of connect-image/pom.xml, resolved with Maven into a cache outside the repository.

The cache folder is keyed by a hash of the manifest, so a changed pin resolves afresh and an unchanged one
resolves nothing (a second `make local` starts without a download). Maven verifies every checksum.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from wms_connector.cache_dir import cache_root

REPO_ROOT = Path(__file__).resolve().parent.parent
CONNECT_IMAGE_DIR = REPO_ROOT / "connect-image"
MANIFEST = CONNECT_IMAGE_DIR / "pom.xml"
# The jar set the stages ran before the current pins: the upgrade test and the startup benchmark start it.
PREVIOUS_MANIFEST = CONNECT_IMAGE_DIR / "previous" / "pom.xml"

# What the image carries; the broker and the stand-in source's plugin (devtools/standin) are for the local stack
# and the tests only.
IMAGE_PROFILES = ("connect-runtime", "debezium-oracle", "jmx-agent")
STANDIN_PLUGIN_PROFILE = "debezium-postgres"
LOCAL_PROFILES = (*IMAGE_PROFILES, "kafka-broker", STANDIN_PLUGIN_PROFILE)

CACHE_ENV = "WMS_JAR_CACHE"
MAVEN_ENV = "MVN"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


class JarResolutionError(RuntimeError):
    pass


def _pinned(key: str) -> property:
    """A version the manifest pins in its <properties>."""
    return property(lambda manifest: manifest.properties[key], doc=f"<{key}> of the manifest")


@dataclass(frozen=True)
class Manifest:
    path: Path = MANIFEST

    @cached_property
    def _root(self) -> ET.Element:
        return ET.parse(self.path).getroot()  # noqa: S314 - the project's own manifest

    @cached_property
    def properties(self) -> dict[str, str]:
        props = self._root.find("m:properties", _POM_NS)
        return {child.tag.split("}", 1)[1]: (child.text or "").strip() for child in props}

    @cached_property
    def folders(self) -> dict[str, str]:
        """Profile id -> output folder (relative to the jar directory)."""
        folders = {}
        for profile in self._root.findall("m:profiles/m:profile", _POM_NS):
            folder = profile.find("m:properties/m:jars.folder", _POM_NS)
            folders[profile.findtext("m:id", namespaces=_POM_NS)] = folder.text.strip()
        return folders

    kafka_version = _pinned("kafka.version")
    debezium_version = _pinned("debezium.version")
    jmx_exporter_version = _pinned("jmx.exporter.version")
    java_major_version = _pinned("java.major.version")

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]


def default_cache_dir(manifest: Manifest | None = None) -> Path:
    manifest = manifest or Manifest()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser() / manifest.digest
    return cache_root() / manifest.digest


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    # Several test sessions may resolve into the same cache at once; one resolves, the others wait and reuse.
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _maven() -> str:
    maven = os.environ.get(MAVEN_ENV) or shutil.which("mvn")
    if not maven:
        raise JarResolutionError(
            "Maven (`mvn`) is not on PATH; install Maven 3.8+ (e.g. `apt-get install maven`) or set MVN to its path."
        )
    return maven


def resolve(
    profiles: Sequence[str] = LOCAL_PROFILES, cache_dir: Path | None = None, manifest: Manifest | None = None
) -> Path:
    """Make sure every profile's jars are in the cache; return the jar directory (libs/, plugins/, ...)."""
    manifest = manifest or Manifest()
    cache_dir = cache_dir or default_cache_dir(manifest)
    unknown = sorted(set(profiles) - set(manifest.folders))
    if unknown:
        known = sorted(manifest.folders)
        raise JarResolutionError(f"Unknown jar profile(s) {unknown}; {manifest.path} defines {known}.")
    with _exclusive(cache_dir.parent / f"{cache_dir.name}.lock"):
        for profile in profiles:
            stamp = cache_dir / f".resolved-{profile}"
            if stamp.exists():
                continue
            target = cache_dir / manifest.folders[profile]
            shutil.rmtree(target, ignore_errors=True)  # a half-finished earlier attempt
            command = [
                _maven(), "-B", "-q", "--strict-checksums", "-f", str(manifest.path),
                f"-P{profile}", f"-Djars.output={cache_dir}", "dependency:copy-dependencies",
            ]
            print(f"Resolving {profile} jars into {target} ...", file=sys.stderr, flush=True)
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
                raise JarResolutionError(f"Maven could not resolve profile {profile} of {manifest.path}:\n{tail}")
            if not any(target.glob("*.jar")):
                raise JarResolutionError(f"Maven resolved profile {profile} but {target} holds no jar.")
            stamp.touch()
    return cache_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Resolve the pinned Kafka Connect jar set into the local cache.")
    parser.add_argument("--image-only", action="store_true", help="only what the image carries (no local broker)")
    parser.add_argument("--previous", action="store_true",
                        help=f"the previous pins ({PREVIOUS_MANIFEST.relative_to(REPO_ROOT)}), which have no broker")
    args = parser.parse_args(argv)
    try:
        if args.previous:
            jars = resolve(IMAGE_PROFILES, manifest=Manifest(PREVIOUS_MANIFEST))
        else:
            jars = resolve(IMAGE_PROFILES if args.image_only else LOCAL_PROFILES)
    except JarResolutionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(jars)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pinned Pulumi CLI, for the tests that drive the connector's dynamic resources through the real engine.

`pulumi` on PATH is used when it is the pinned version; otherwise the CLI is built from the Pulumi Go module (the
small module in devtools/pulumi_cli/, whose go.sum pins and verifies every dependency) into a cache outside the
repository, once: a second run builds nothing. Next to it go the two plugins the engine runs for Python dynamic
providers (`pulumi-resource-pulumi-python`, `pulumi-language-python-exec`), taken from the Pulumi SDK Go module of
the same version, and a `python3` that is this virtualenv's (the provider host needs the `pulumi` package).

    python -m devtools.pulumi_engine        # prints the CLI's folder, building it when needed

The AWS provider plugin cannot be had here, so the full program never runs under the engine here; the dynamic
resources can (tests/integration/test_engine.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from devtools.connect_jars import REPO_ROOT
from devtools.workflow_lint import tool_cache

GO_MODULE_DIR = REPO_ROOT / "devtools" / "pulumi_cli"
CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3"
# What `pulumi version` prints (Pulumi's own release builds set it the same way); the Automation API checks it.
VERSION_VARIABLE = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
# Plugin -> where the SDK module keeps it.
PLUGINS = {
    "pulumi-resource-pulumi-python": "python/dist/pulumi-resource-pulumi-python",
    "pulumi-language-python-exec": "python/cmd/pulumi-language-python-exec",
}
BUILD_TIMEOUT_SECONDS = 3600


class PulumiCliError(RuntimeError):
    """The CLI could not be had; the message says what to install."""


def pinned_version() -> str:
    """The version go.mod requires (its one home)."""
    go_mod = (GO_MODULE_DIR / "go.mod").read_text()
    match = re.search(r"^require github\.com/pulumi/pulumi/pkg/v3 (v[\d.]+)$", go_mod, re.MULTILINE)
    if not match:
        raise PulumiCliError(f"{GO_MODULE_DIR / 'go.mod'} does not require github.com/pulumi/pulumi/pkg/v3")
    return match.group(1)


def _version_of(binary: Path) -> str | None:
    try:
        result = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return None
    return result.stdout.strip() or None


def cli_dir() -> Path:
    """The `bin` folder with the pinned `pulumi`, the Python dynamic-provider plugins and this virtualenv's python3."""
    version = pinned_version()
    on_path = shutil.which("pulumi")
    # `<root>/bin/pulumi`: the layout the Automation API's PulumiCommand(root=…) expects.
    target = tool_cache() / f"pulumi-{version}" / "bin"
    binary = target / "pulumi"
    if on_path and _version_of(Path(on_path)) == version:
        binary = Path(on_path)
    elif not (binary.is_file() and _version_of(binary) == version):
        _build(binary, version)
    _place_plugins(target, version)
    if binary.parent != target:
        (target / "pulumi").unlink(missing_ok=True)
        (target / "pulumi").symlink_to(binary)
    return target


def _go() -> str:
    go = shutil.which("go")
    if not go:
        raise PulumiCliError("Go is needed to build the pinned Pulumi CLI (install Go 1.26+), or put it on PATH.")
    return go


def _build(binary: Path, version: str) -> None:
    binary.parent.mkdir(parents=True, exist_ok=True)
    print(f"building the Pulumi CLI {version} into {binary.parent} (once; several minutes)", file=sys.stderr)
    partial = binary.with_suffix(".partial")
    subprocess.run(
        # -mod=readonly: go.sum must already hold every checksum; nothing is added or trusted on first use.
        [_go(), "build", "-mod=readonly", "-ldflags", f"-X {VERSION_VARIABLE}={version}", "-o", str(partial),
         CLI_PACKAGE],
        cwd=GO_MODULE_DIR,
        env={**os.environ, "CGO_ENABLED": "0"},
        check=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    partial.replace(binary)


def _place_plugins(target: Path, version: str) -> None:
    if all((target / name).is_file() for name in PLUGINS) and (target / "python3").exists():
        return
    found = subprocess.run(
        [_go(), "mod", "download", "-json", f"{SDK_MODULE}@{version}"],
        cwd=GO_MODULE_DIR, capture_output=True, text=True, check=True, timeout=600,
    )
    sdk_dir = Path(json.loads(found.stdout)["Dir"])
    for name, relative in PLUGINS.items():
        source = sdk_dir / relative
        if not source.is_file():
            raise PulumiCliError(f"{SDK_MODULE}@{version} has no {relative}")
        shutil.copyfile(source, target / name)
        (target / name).chmod(0o755)
    # The plugins run `python3`: this virtualenv's, which has the pinned `pulumi` package.
    (target / "python3").unlink(missing_ok=True)
    (target / "python3").symlink_to(Path(sys.executable))


if __name__ == "__main__":
    print(cli_dir())

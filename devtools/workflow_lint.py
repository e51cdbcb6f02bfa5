"""Lint and audit the GitHub workflows and the Dependabot config: actionlint (built from its Go module at a
pinned version into a cache outside the repository, like the jars; a second run builds nothing) on the workflows,
and zizmor (pinned in requirements-dev.txt, run offline) on both. All must be clean: `make workflows`, part of
`make test`.

    python -m devtools.workflow_lint
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from devtools.connect_jars import REPO_ROOT
from wms_connector.cache_dir import cache_root

ACTIONLINT_MODULE = "github.com/rhysd/actionlint/cmd/actionlint"
ACTIONLINT_VERSION = "v1.7.12"
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
DEPENDABOT = REPO_ROOT / ".github" / "dependabot.yml"
CACHE_ENV = "WMS_TOOL_CACHE"


class WorkflowLintError(RuntimeError):
    """A tool could not be had; the message says what to install."""


def tool_cache() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return cache_root() / "tools"


def actionlint() -> Path:
    """The pinned actionlint: on PATH when it is that version, else from the cache, else built into it."""
    on_path = shutil.which("actionlint")
    if on_path and _version(Path(on_path)) == ACTIONLINT_VERSION:
        return Path(on_path)
    target = tool_cache() / f"actionlint-{ACTIONLINT_VERSION}"
    binary = target / "actionlint"
    if binary.is_file() and _version(binary) == ACTIONLINT_VERSION:
        return binary
    go = shutil.which("go")
    if not go:
        raise WorkflowLintError("Go is needed to build actionlint (install Go 1.22+), or put actionlint on PATH.")
    target.mkdir(parents=True, exist_ok=True)
    print(f"building actionlint {ACTIONLINT_VERSION} into {target} (once)", file=sys.stderr)
    # `go install` verifies the module against go.sum's checksum database.
    subprocess.run(
        [go, "install", f"{ACTIONLINT_MODULE}@{ACTIONLINT_VERSION}"],
        env={**os.environ, "GOBIN": str(target), "CGO_ENABLED": "0"},
        check=True,
        timeout=900,
    )
    return binary


def _version(binary: Path) -> str | None:
    try:
        result = subprocess.run([str(binary), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    first = result.stdout.strip().splitlines()[:1]
    return first[0].strip() if first else None


def main() -> int:
    workflows = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    lint = subprocess.run([str(actionlint()), *workflows], check=False, timeout=300)
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if not zizmor:
        raise WorkflowLintError("zizmor is not installed; run `make setup` (it is pinned in requirements-dev.txt).")
    audit = subprocess.run(
        [zizmor, "--offline", "--quiet", str(WORKFLOWS), str(DEPENDABOT)], check=False, timeout=300
    )
    if lint.returncode or audit.returncode:
        print("workflow lint or audit failed (see above)", file=sys.stderr)
        return 1
    print(f"{len(workflows)} workflows and {DEPENDABOT.name}: actionlint {ACTIONLINT_VERSION} and zizmor clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The provider host's launcher (provider-host/pulumi-resource-pulumi-python) chooses its Python as Pulumi's own
launcher does, and a missing virtualenv is an error that says how to make it. Each case runs the real script with
a stand-in `python` that prints what it was started with (the real host is started in tests/integration)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "provider-host" / "pulumi-resource-pulumi-python"

STAND_IN = """#!/bin/sh
echo "python=$0"
echo "args=$*"
echo "pythonpath=$PYTHONPATH"
echo "path0=${PATH%%:*}"
echo "pythonhome=${PYTHONHOME:-unset}"
"""


def _python(folder: Path) -> Path:
    python = folder / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(STAND_IN)
    python.chmod(0o755)
    return python


def _launch(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(
        [str(LAUNCHER), *args], cwd=cwd, env={**base, **env}, capture_output=True, text=True, timeout=30, check=False
    )


def _seen(result: subprocess.CompletedProcess) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


ENGINE_ARGS = ("--logtostderr", "-v=9", "--tracing", "file:/tmp/t.json", "127.0.0.1:4101")


@pytest.mark.parametrize("venv", [".venv", ".venv/", "{cwd}/.venv"])
def test_the_runtime_virtualenv_runs_the_host_relative_or_absolute(tmp_path, venv):
    python = _python(tmp_path / ".venv")
    seen = _seen(_launch(
        tmp_path, {"PULUMI_RUNTIME_VIRTUALENV": venv.format(cwd=tmp_path), "PYTHONHOME": "/elsewhere"}, *ENGINE_ARGS
    ))
    assert seen["python"] == str(python)
    assert seen["args"] == "-u -m wms_connector.providers.host " + " ".join(ENGINE_ARGS)
    assert seen["pythonpath"] == str(ROOT)
    assert seen["path0"] == str(tmp_path / ".venv" / "bin")
    assert seen["pythonhome"] == "unset"


def test_the_uv_toolchain_means_the_projects_venv(tmp_path):
    python = _python(tmp_path / ".venv")
    assert _seen(_launch(tmp_path, {"PULUMI_RUNTIME_TOOLCHAIN": "uv"}))["python"] == str(python)


def test_without_a_virtualenv_pulumi_python_cmd_runs_the_host(tmp_path):
    python = _python(tmp_path / "elsewhere")
    seen = _seen(_launch(tmp_path, {"PULUMI_PYTHON_CMD": str(python), "PYTHONPATH": "/extra"}, "127.0.0.1:4101"))
    assert seen["python"] == str(python)
    assert seen["args"] == "-u -m wms_connector.providers.host 127.0.0.1:4101"
    assert seen["pythonpath"] == f"{ROOT}:/extra"


@pytest.mark.parametrize(("make", "says"), [(False, "does not exist"), (True, "is not a virtual environment")])
def test_a_named_virtualenv_that_is_missing_is_an_error_saying_how_to_make_it(tmp_path, make, says):
    if make:
        (tmp_path / ".venv").mkdir()
    fallback = _python(tmp_path / "fallback")  # never run: a missing virtualenv is not another Python's cue
    result = _launch(tmp_path, {"PULUMI_RUNTIME_VIRTUALENV": ".venv", "PULUMI_PYTHON_CMD": str(fallback)})
    assert result.returncode == 1 and result.stdout == ""
    assert f'"{tmp_path}/.venv"' in result.stderr and says in result.stderr
    assert f"Run `make setup` in {ROOT}" in result.stderr


def test_the_windows_launcher_runs_the_same_host_module():
    text = (ROOT / "provider-host" / "pulumi-resource-pulumi-python.cmd").read_text()
    assert text.count("-u -m wms_connector.providers.host %*") == 3
    assert "PULUMI_RUNTIME_VIRTUALENV" in text and "PULUMI_PYTHON_CMD" in text and "make setup" in text


# Pulumi's own dynamic-provider host, which wms_connector/providers/host.py follows (same protocol, same state): a
# new SDK changes this file, and this test makes the change a deliberate re-read of the fork, not a surprise.
STOCK_HOST = {"3.272.0": "c99d671c026cf91ed5a31ad457dc018735e173ccba924dea898a42ae774f19f6"}


def test_the_stock_host_the_fork_follows_is_the_one_it_was_read_against():
    import hashlib
    import importlib.metadata
    import importlib.util

    version = importlib.metadata.version("pulumi")
    stock = importlib.util.find_spec("pulumi.dynamic.__main__").origin  # found, not run: importing it starts a host
    digest = hashlib.sha256(Path(stock).read_bytes()).hexdigest()
    assert STOCK_HOST.get(version) == digest, (
        f"pulumi {version}'s dynamic host (sha256 {digest}) is not the one wms_connector/providers/host.py was "
        "read against: compare the two, carry over what changed, then record the new checksum here"
    )

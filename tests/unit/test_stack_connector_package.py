"""The Lambda code archive: only what the handlers import goes in, and both handlers import from it alone plus
what the Lambda runtime provides (boto3, botocore, urllib3 and their dependencies)."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest

from components.lambda_package import (
    LambdaPackageError,
    imported_modules,
    lambda_code,
    lambda_files,
    module_path,
    pinned,
    shipped_modules,
)

# What the python3.11 Lambda runtime ships besides the standard library.
RUNTIME_PROVIDED = ("boto3", "botocore", "urllib3", "s3transfer", "jmespath", "dateutil", "six")


def test_archive_holds_the_code_and_the_missing_libraries_without_caches():
    files = lambda_files()
    for needed in (
        "functions/connector_admin.py",
        "functions/health_check.py",
        "wms_connector/admin/protocol.py",
        "wms_connector/admin/environment.py",
        "wms_connector/health/runner.py",
        "wms_connector/health/clients.py",
        "kafka/__init__.py",
        "kafka/admin/client.py",
        "prometheus_client/__init__.py",
    ):
        assert needed in files, needed
    assert not [p for p in files if p.endswith((".pyc", ".pyo")) or "__pycache__" in p]
    assert not [p for p in files if p.startswith(("tests/", "boto3/", "botocore/", "pulumi/"))]
    # The Pulumi providers, the program's components and the developer tooling are not the Lambdas' business.
    assert not [p for p in files if p.startswith(("wms_connector/providers/", "components/", "devtools/"))]
    assert lambda_files() == files  # deterministic


def test_no_shipped_module_imports_pulumi_or_the_developer_tooling():
    project_dir = Path(__file__).resolve().parents[2]
    for module in shipped_modules():
        imports = imported_modules(module_path(project_dir, module), module)
        assert not {m.split(".")[0] for m in imports} & {"pulumi", "pulumi_aws", "devtools", "components"}, module


def test_archive_is_a_pulumi_asset_archive():
    archive = lambda_code()
    assert isinstance(archive, pulumi.AssetArchive)
    assert set(archive.assets) == set(lambda_files())


def test_missing_dependency_is_named():
    with pytest.raises(LambdaPackageError, match="`no_such_package_xyz` is not installed"):
        lambda_files(dependencies=("no_such_package_xyz",))


def _copy_package(name: str, target: Path) -> None:
    spec = importlib.util.find_spec(name)
    source = Path(next(iter(spec.submodule_search_locations))) if spec.submodule_search_locations else Path(spec.origin)
    destination = target / source.name
    if source.is_dir():
        shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy(source, destination)


def _run_from_archive(tmp_path: Path, task: Path, runtime: Path, code: str) -> subprocess.CompletedProcess:
    """`code` in a Python that sees only the unpacked archive and what the Lambda runtime provides."""
    return subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": f"{task}:{runtime}", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )


def _unpacked(tmp_path: Path, files: dict[str, Path]) -> tuple[Path, Path]:
    """The archive unpacked as the Lambda's task folder, and beside it what the runtime provides."""
    task = tmp_path / "task"
    for archive_path, source in files.items():
        (task / archive_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, task / archive_path)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for name in RUNTIME_PROVIDED:
        _copy_package(name, runtime)
    return task, runtime


@pytest.mark.parametrize(
    ("handler", "event", "error"),
    [
        ("functions.connector_admin", "{'action': 'server_info'}", "AdminMisconfigured"),
        ("functions.health_check", "{}", "LambdaEnvironmentError"),
    ],
)
def test_each_handler_imports_from_the_archive_and_the_runtime_alone(tmp_path, handler, event, error):
    task, runtime = _unpacked(tmp_path, lambda_files())
    code = (
        f"import {handler} as h, kafka, sys\n"
        "try:\n"
        f"    r = h.handler({event})\n"
        "except Exception as exc:\n"
        "    r = {'ok': False, 'error': {'type': type(exc).__name__}}\n"
        f"assert r['ok'] is False and r['error']['type'] == {error!r}, r\n"
        "assert not any('site-packages' in (m.__file__ or '') for m in list(sys.modules.values()) "
        "if getattr(m, '__file__', None)), 'imported from site-packages'"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": f"{task}:{runtime}", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_database_driver_is_built_for_the_lambda_platform_and_connects_from_the_archive_alone(tmp_path):
    files = lambda_files()
    compiled = [p for p in files if p.endswith(".so")]
    assert any(p.startswith("oracledb/") for p in compiled) and any(p.startswith("cryptography/") for p in compiled)
    assert not [p for p in files if ".dist-info/" in p or p.startswith("bin/")]
    task, runtime = _unpacked(tmp_path, files)
    with socket.socket() as probe:  # a port nothing listens on: the driver's own refusal, fast
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "import oracledb, sys\n"
        "from cryptography.hazmat.primitives.ciphers import Cipher\n"
        "from wms_connector.preflight.connect import PreflightConnectError, connect\n"
        f"assert oracledb.__file__.startswith({str(task)!r}) and oracledb.is_thin_mode()\n"
        "try:\n"
        f"    connect({{'host': '127.0.0.1', 'port': {port}, 'db': 'ORCLCDB', 'user': 'c##u', 'password': 'pw-x9'}})\n"
        "except PreflightConnectError as exc:\n"
        "    assert 'DPY-' in str(exc) and 'pw-x9' not in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('connected to a closed port')\n"
    )
    result = _run_from_archive(tmp_path, task, runtime, code)
    assert result.returncode == 0, result.stderr


def test_a_platform_dependency_must_be_pinned(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("oracledb>=2\n")
    with pytest.raises(LambdaPackageError, match="oracledb is not pinned"):
        pinned("oracledb", requirements)


def test_the_health_checks_database_probe_runs_from_the_archive_alone_and_is_unknown_on_a_closed_port(tmp_path):
    task, runtime = _unpacked(tmp_path, lambda_files())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    info = {"host": "127.0.0.1", "port": port, "db": "ORCLCDB", "user": "c##u", "password": "pw-probe-x9"}
    code = (
        "import json, oracledb\n"
        "from wms_connector.health.checks.database_probe import probe_database\n"
        "from wms_connector.preflight.connect import connect\n"
        f"assert oracledb.__file__.startswith({str(task)!r})\n"
        "class Secrets:\n"
        "    def get_secret_value(self, SecretId):\n"
        f"        return {{'SecretString': json.dumps({info!r})}}\n"
        "found = probe_database(Secrets(), 'arn', connect, use_pdb=False, archive_destination_name=(),"
        " restart_scn=None)\n"
        "assert found.error and 'DPY-' in found.error and 'pw-probe-x9' not in found.summary, found\n"
        "assert found.supplemental_logging_dropped is None and found.seconds < 10\n"
        "print(found.summary)\n"
    )
    result = _run_from_archive(tmp_path, task, runtime, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("unknown: Could not connect to 127.0.0.1:") and "pw-probe-x9" not in result.stdout

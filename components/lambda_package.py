"""The code asset of the stack's Lambdas: the `wms_connector` package, the `functions` handlers, and the
pure-Python libraries the Lambda runtime lacks, copied from the installed (pinned) packages.

The runtime already has boto3, botocore and urllib3; kafka-python and prometheus-client are added. Files are
listed one by one, without bytecode caches, so the archive (and its hash) changes only when the code does.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

import pulumi

PROJECT_DIR = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("wms_connector", "functions")
# Import names of the libraries to ship (their distributions are pinned in requirements.txt).
RUNTIME_DEPENDENCIES = ("kafka", "prometheus_client")
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


class LambdaPackageError(RuntimeError):
    """A package that must go into the Lambda code cannot be found."""


def _package_dir(import_name: str) -> Path:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise LambdaPackageError(
            f"Package `{import_name}` is not installed; run `make setup` (it is pinned in requirements.txt)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _files_under(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in _SKIPPED_SUFFIXES and not _SKIPPED_DIRS & set(path.parts):
            yield path


def lambda_files(
    project_dir: Path = PROJECT_DIR, dependencies: Iterable[str] = RUNTIME_DEPENDENCIES
) -> dict[str, Path]:
    """Archive path -> file on disk, for every file the Lambdas need."""
    roots = [(name, project_dir / name) for name in PROJECT_PACKAGES]
    roots += [(name, _package_dir(name)) for name in dependencies]
    files: dict[str, Path] = {}
    for name, root in roots:
        if not (root / "__init__.py").is_file():
            raise LambdaPackageError(f"{root} is not a Python package (no __init__.py).")
        for path in _files_under(root):
            files[f"{name}/{path.relative_to(root).as_posix()}"] = path
    return files


def lambda_code(project_dir: Path = PROJECT_DIR) -> pulumi.AssetArchive:
    """The code archive shared by the admin and health Lambdas."""
    return pulumi.AssetArchive(
        {archive_path: pulumi.FileAsset(str(path)) for archive_path, path in lambda_files(project_dir).items()}
    )

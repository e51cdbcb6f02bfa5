"""The code asset of the stack's Lambdas: the handlers in `functions/`, the modules of `wms_connector` they import
(followed through every import, to the last), and the pure-Python libraries the Lambda runtime lacks, copied from
the installed (pinned) packages.

Only what the handlers import is shipped: the Pulumi providers, the developer tooling and any module no handler
reaches stay out. The runtime already has boto3, botocore and urllib3; kafka-python and prometheus-client are
added. python-oracledb (the admin's database preflight) has compiled parts, as do its cryptography and cffi: they
are installed for the Lambda's platform (`pip install --platform`, the pinned version) into a cache outside the
repository once, then copied from there. Files are listed one by one, without bytecode caches, so the archive (and
its hash) changes only when the code does.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pulumi

from wms_connector.cache_dir import cache_root

PROJECT_DIR = Path(__file__).resolve().parents[1]
HANDLERS_PACKAGE = "functions"
LIBRARY_PACKAGE = "wms_connector"
# Import names of the libraries to ship (their distributions are pinned in requirements.txt).
RUNTIME_DEPENDENCIES = ("kafka", "prometheus_client")
# Distributions with compiled parts, installed for the Lambda's platform (runtime python3.11 on x86_64, Amazon
# Linux 2: manylinux2014 wheels); the versions are requirements.txt's pins.
PLATFORM_DEPENDENCIES = ("oracledb",)
LAMBDA_PLATFORM = "manylinux2014_x86_64"
LAMBDA_PYTHON_VERSION = "3.11"
REQUIREMENTS = PROJECT_DIR / "requirements.txt"
PIP_TIMEOUT_SECONDS = 600
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


class LambdaPackageError(RuntimeError):
    """A package that must go into the Lambda code cannot be found."""


def module_path(project_dir: Path, module: str) -> Path | None:
    """The file of a project module (`a.b` → a/b.py or a/b/__init__.py), or None when it is not one."""
    base = project_dir.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:` (they never run)."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return hidden


def imported_modules(path: Path, module: str, *, include_type_checking: bool = True) -> set[str]:
    """Every module `path` imports, wherever the import statement is (functions import lazily too); for
    `from a import b` both `a` and `a.b` (b may be a submodule)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skipped = set() if include_type_checking else _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_closure(project_dir: Path, roots: Iterable[str], package: str) -> set[str]:
    """The modules of `package` reachable from `roots` (module names), with every parent package."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        path = module_path(project_dir, module)
        if path is None:
            continue
        seen.add(module)
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        pending.extend(parents)
        pending.extend(m for m in imported_modules(path, module) if m.split(".")[0] == package)
    return seen


def handler_modules(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(
        f"{HANDLERS_PACKAGE}.{path.stem}" if path.stem != "__init__" else HANDLERS_PACKAGE
        for path in (project_dir / HANDLERS_PACKAGE).glob("*.py")
    )


def shipped_modules(project_dir: Path = PROJECT_DIR) -> set[str]:
    """The project modules in the archive: the handlers and what they import of the library."""
    handlers = handler_modules(project_dir)
    return set(handlers) | import_closure(project_dir, handlers, LIBRARY_PACKAGE)


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


def pinned(distribution: str, requirements: Path = REQUIREMENTS) -> str:
    """`name==version` as requirements.txt pins it."""
    for line in requirements.read_text().splitlines():
        if re.fullmatch(rf"{re.escape(distribution)}==[\w.]+", line.strip(), re.IGNORECASE):
            return line.strip()
    raise LambdaPackageError(f"{distribution} is not pinned (name==version) in {requirements.name}.")


def platform_site(distributions: Iterable[str] = PLATFORM_DEPENDENCIES) -> Path:
    """A folder holding the pinned distributions (and what they require) built for the Lambda's platform,
    installed once per set of pins into the cache."""
    pins = sorted(pinned(name) for name in distributions)
    key = hashlib.sha256("\n".join([LAMBDA_PLATFORM, LAMBDA_PYTHON_VERSION, *pins]).encode()).hexdigest()[:16]
    target = cache_root() / "lambda-site" / key
    if (target / ".complete").is_file():
        return target
    staging = target.with_name(f"{key}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(staging), "--platform", LAMBDA_PLATFORM, "--python-version", LAMBDA_PYTHON_VERSION,
        "--implementation", "cp", "--only-binary=:all:", *pins,
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        output = (getattr(exc, "stderr", "") or "").strip().splitlines()[-3:]
        raise LambdaPackageError(
            f"Could not install {', '.join(pins)} for the Lambda's platform ({LAMBDA_PLATFORM}, Python "
            f"{LAMBDA_PYTHON_VERSION}) from PyPI: {' '.join(output) or exc}"
        ) from None
    (staging / ".complete").write_text("\n".join(pins) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def _platform_files(site: Path) -> dict[str, Path]:
    # The packages themselves; pip's metadata and scripts are not needed to import them.
    return {
        path.relative_to(site).as_posix(): path
        for path in _files_under(site)
        if path.name != ".complete" and not path.relative_to(site).parts[0].endswith((".dist-info", "bin"))
    }


def lambda_files(
    project_dir: Path = PROJECT_DIR,
    dependencies: Iterable[str] = RUNTIME_DEPENDENCIES,
    platform_dependencies: Iterable[str] = PLATFORM_DEPENDENCIES,
) -> dict[str, Path]:
    """Archive path -> file on disk, for every file the Lambdas need."""
    files: dict[str, Path] = {}
    platform_dependencies = tuple(platform_dependencies)
    if platform_dependencies:
        files.update(_platform_files(platform_site(platform_dependencies)))
    for module in sorted(shipped_modules(project_dir)):
        path = module_path(project_dir, module)
        files[path.relative_to(project_dir).as_posix()] = path
    for name in dependencies:
        root = _package_dir(name)
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


if __name__ == "__main__":
    print(platform_site())

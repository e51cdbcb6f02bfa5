"""Everything a doc names must exist: a file or directory of the repository, a `python -m` module, a make target,
an `ops` command's flag, a link's page and section. A rename that leaves a doc behind fails here, not on a
reader's first day."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from devtools.ops import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
CODE_SPAN = re.compile(r"`([^`\n]+)`")
# A repository path: starts at one of the project's top-level entries and names a file or directory below it.
TOP_LEVEL = tuple(sorted(p.name for p in ROOT.iterdir() if not p.name.startswith(".") or p.name in (".ci", ".github")))
_ROOTS = "|".join(re.escape(t) for t in TOP_LEVEL if "." not in t or t in (".ci", ".github"))
PATH = re.compile(rf"(?<![\w./-])((?:{_ROOTS})/[\w./*<>{{}}-]*[\w/*>}}])")
MODULE = re.compile(r"python3? -m ([\w.]+)")
MAKE = re.compile(r"(?<![\w-])make ([a-z][\w-]*)")
LINK = re.compile(r"\]\(([^)#\s]+\.md)?(?:#([\w-]+))?\)")


def _spans(page: Path) -> list[str]:
    text = page.read_text()
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    return [*CODE_SPAN.findall(text), *blocks]


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def _ops_flags() -> set[str]:
    parser = build_parser()
    flags = {flag for action in parser._actions for flag in action.option_strings}
    for sub in parser._subparsers._group_actions[0].choices.values():
        flags |= {flag for action in sub._actions for flag in action.option_strings}
    return flags


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors: a heading lower-cased, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_path_a_doc_names_exists(page):
    named = {match for span in _spans(page) for match in PATH.findall(span)}
    named |= set(PATH.findall(re.sub(r"`[^`]*`", "", page.read_text())))
    # Placeholders (`<stage>`), globs and the local stack's runtime files are not repository paths.
    missing = sorted(p for p in named if not any(c in p for c in "<*{") and not (ROOT / p.rstrip("/")).exists())
    assert missing == [], f"{page.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_module_and_make_target_a_doc_names_exists(page):
    text = "\n".join(_spans(page))
    modules = sorted(set(MODULE.findall(text)) - {"pip", "venv", "pytest", "http.server", "json.tool"})
    assert [m for m in modules if importlib.util.find_spec(m) is None] == [], page.name
    targets = set(MAKE.findall(text))
    assert sorted(targets - _make_targets()) == [], page.name


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_ops_flag_a_doc_names_exists(page):
    flags = _ops_flags()
    named = set()
    for span in _spans(page):
        for line in span.splitlines():
            if re.search(r"(^|\s)(ops|python -m devtools\.ops|wms-ops)\s", line):
                named |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line.split("#")[0]))
    assert sorted(named - flags) == [], page.name


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_reaches_a_page_and_a_section(page):
    for target, anchor in LINK.findall(page.read_text()):
        linked = (page.parent / target).resolve() if target else page
        assert linked.exists(), f"{page.name} links to {target}"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name} links to {target}#{anchor}, no such section"


# The files that name other files to machines or to the next reader: build and CI files, the stack files' comments,
# the pinned modules' headers. A path or `python -m` module they name must exist as much as a doc's.
CONFIG_FILES = sorted(
    p for p in [
        ROOT / "Makefile", ROOT / "pyproject.toml", ROOT / ".pre-commit-config.yaml", ROOT / ".ci" / "run",
        *ROOT.glob("Pulumi*.yaml"), *ROOT.glob("requirements*.txt"), *(ROOT / ".github").rglob("*.yml"),
        ROOT / "devtools" / "pulumi_cli" / "go.mod", *(ROOT / "provider-host").iterdir(),
        ROOT / "connect-image" / "Dockerfile",
    ] if p.is_file()
)


# Made by a build, not kept in the repository (.gitignore): Maven's output folder, which ruff is told to skip.
BUILD_OUTPUTS = {"connect-image/target"}


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_and_module_a_config_file_names_exists(config):
    text = config.read_text()
    named = set(PATH.findall(text)) - BUILD_OUTPUTS
    missing = sorted(p for p in named if not any(c in p for c in "<*{$") and not (ROOT / p.rstrip("/")).exists())
    modules = sorted(set(MODULE.findall(text)) - {"pip", "venv", "pytest", "http.server", "json.tool", "mutmut"})
    missing += [m for m in modules if importlib.util.find_spec(m) is None]
    assert missing == [], f"{config.relative_to(ROOT)} names what does not exist: {missing}"

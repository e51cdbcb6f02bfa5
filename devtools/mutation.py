"""`make mutate`: mutation testing of the modules whose mistakes lose data or cross a boundary.

mutmut (pinned in requirements-mutate.txt; its settings are `[tool.mutmut]` in pyproject.toml) changes the code
one small edit at a time and runs the tests that reach the changed function. mutmut was chosen because it runs
each mutant against only the tests that cover the mutated function, forked from one warmed-up process, so the
guarded modules take minutes on two cores; cosmic-ray would rerun a whole test command per mutant, and
pytest-gremlins is too young to pin a habit on.

This prints the score of each module and every mutant that survived. A survivor is either killed by a new test, or
listed in devtools/mutation_equivalents/<module>.toml with a one-line reason: an edit no caller can tell apart from the
original (a defensive second check, a message's wording). The list names a survivor by its function and the
mutated line, not by mutmut's number, so it outlives edits elsewhere in the module. The run fails while any
survivor is unexplained, and when a listed entry no longer matches any survivor (the list stays true).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS_DIR = REPO_ROOT / "devtools" / "mutation_equivalents"  # one list per module
# A mutant that makes the tests hang is caught too: pytest-timeout would fail the suite on it.
KILLED = {"killed", "caught by type check", "timeout"}


@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's: <module>.<function>__mutmut_<n>
    module: str
    function: str
    status: str
    diff: str

    @property
    def mutated_line(self) -> str:
        """The first line the mutant adds, stripped: what the equivalents list matches on."""
        lines = self.diff.splitlines()
        added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
        return added[0] if added else ""


def _split_name(name: str) -> tuple[str, str]:
    """`wms_connector.x.xǁClassǁmethod__mutmut_3` -> (`wms_connector/x.py`-like module, `Class.method`)."""
    head = name.rsplit("__mutmut_", 1)[0]
    module, _, function = head.rpartition(".")
    function = function.removeprefix("x_").replace("ǁ", ".").strip(".")
    if function.startswith("x"):
        function = function[1:].strip(".") or function
    return module, function


def load_mutants() -> list[Mutant]:
    """Every mutant of the last run, with its status and diff (mutmut's own records under mutants/)."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    mutants = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[code]
            module, function = _split_name(name)
            diff = "" if status in KILLED else get_diff_for_mutant(name, path=path)
            mutants.append(Mutant(name, str(path), function, status, diff))
    return mutants


def load_equivalents(folder: Path = EQUIVALENTS_DIR) -> list[dict[str, str]]:
    entries = []
    for path in sorted(folder.glob("*.toml")):
        for entry in tomllib.loads(path.read_text()).get("equivalent", []):
            missing = {"module", "function", "mutated", "reason"} - set(entry)
            if missing or not str(entry.get("reason", "")).strip():
                raise SystemExit(f"{path.name}: an entry lacks {', '.join(sorted(missing)) or 'a reason'}: {entry}")
            entries.append(entry)
    return entries


def matches(entry: dict[str, str], mutant: Mutant) -> bool:
    return (
        entry["module"] == mutant.module
        and entry["function"] == mutant.function
        and entry["mutated"].strip() == mutant.mutated_line
    )


def report(mutants: list[Mutant], equivalents: list[dict[str, str]], out=sys.stdout) -> int:
    """Print the scores and the unexplained survivors; the number of problems (0: the run passes)."""
    by_module: dict[str, Counter] = defaultdict(Counter)
    unexplained: list[Mutant] = []
    used = [False] * len(equivalents)
    for mutant in mutants:
        if mutant.status in KILLED:
            by_module[mutant.module]["killed"] += 1
            continue
        hits = [i for i, entry in enumerate(equivalents) if matches(entry, mutant)]
        for i in hits:
            used[i] = True
        if hits:
            by_module[mutant.module]["equivalent"] += 1
        else:
            by_module[mutant.module][mutant.status] += 1
            unexplained.append(mutant)
    print(f"{'module':48} {'killed':>7} {'equiv.':>7} {'left':>5} {'score':>7}", file=out)
    for module, counts in sorted(by_module.items()):
        left = sum(v for k, v in counts.items() if k not in ("killed", "equivalent"))
        scored = counts["killed"] + left
        score = 100.0 * counts["killed"] / scored if scored else 100.0
        print(f"{module:48} {counts['killed']:7} {counts['equivalent']:7} {left:5} {score:6.1f}%", file=out)
    for mutant in unexplained:
        print(f"\n## {mutant.name}: {mutant.status}\n{mutant.diff}", file=out)
    stale = [entry for entry, hit in zip(equivalents, used, strict=True) if not hit]
    for entry in stale:
        print(f"\nListed as equivalent but no survivor matches it any more: {entry}", file=out)
    print(f"\n{len(unexplained)} unexplained survivor(s), {len(stale)} stale equivalent entr(ies).", file=out)
    return len(unexplained) + len(stale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="report the last run without running again")
    args = parser.parse_args(argv)
    if not args.report_only:
        run = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "2"], cwd=REPO_ROOT)
        if run.returncode not in (0, 1):
            return run.returncode
    return 1 if report(load_mutants(), load_equivalents()) else 0


if __name__ == "__main__":
    sys.exit(main())

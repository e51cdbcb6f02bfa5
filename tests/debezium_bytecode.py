"""Where a text lives in the pinned Debezium classes, and what carries it: a logger call at a level, or an exception.

A filter on the worker's log is only as good as the path that writes its text. A string found somewhere in a jar
proves nothing: it may be logged at DEBUG (which the worker does not write), or on a code path the stack's
configuration never reaches. This reads the bytecode with `javap` (Java 17 is on every machine that runs the
tests): every method that loads the text, as a constant (`ldc`) or inside a string-concatenation recipe
(`invokedynamic` makeConcatWithConstants, where javac puts `"…" + value + "…"`), and the first thing after it that
consumes a message: an SLF4J `Logger.<level>` call, or an exception's constructor.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("trace", "debug", "info", "warn", "error")
_METHOD = re.compile(r"^  (?:[\w$<>\[\].,? ]+ )?([\w$<>]+)\((.*)\)(?: throws [\w$.,\s]+)?;$")
_INSTRUCTION = re.compile(r"^\s+\d+: (\w+)\s*(.*)$")
_LOGGER_CALL = re.compile(r"org/slf4j/Logger\.(trace|debug|info|warn|error):")
_CONSTRUCTOR = re.compile(r'Method ([\w/$]+)\."<init>"')
_BOOTSTRAP_INDEX = re.compile(r"InvokeDynamic #(\d+):makeConcatWithConstants")


@dataclass(frozen=True)
class Site:
    """One place a text is used: `carrier` is `log:<level>`, `throw:<exception class>` or `other`."""

    class_name: str
    method: str
    carrier: str

    @property
    def level(self) -> str | None:
        return self.carrier.split(":", 1)[1] if self.carrier.startswith("log:") else None

    @property
    def exception(self) -> str | None:
        return self.carrier.split(":", 1)[1] if self.carrier.startswith("throw:") else None


@functools.lru_cache(maxsize=512)  # the filters' terms share classes (BaseSourceTask, the LogMiner source)
def _javap(jar: Path, class_name: str, *flags: str) -> tuple[str, ...]:
    result = subprocess.run(  # noqa: S603 - a fixed tool on a jar the project resolved
        [shutil.which("javap") or "javap", "-p", "-c", "-constants", *flags, "-classpath", str(jar), class_name],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return tuple(result.stdout.splitlines())


def _concat_recipes(verbose: Iterable[str]) -> dict[int, str]:
    """Bootstrap method index -> the recipe text of each makeConcatWithConstants call site."""
    recipes: dict[int, str] = {}
    in_bootstrap = False
    current: int | None = None
    for line in verbose:
        if line.startswith("BootstrapMethods:"):
            in_bootstrap = True
            continue
        if not in_bootstrap:
            continue
        header = re.match(r"^  (\d+): #\d+ REF_invokeStatic (\S+)", line)
        if header:
            current = int(header.group(1)) if "makeConcatWithConstants" in header.group(2) else None
            continue
        argument = re.match(r"^      #\d+ (.*)$", line)
        if argument and current is not None:
            recipes[current] = recipes.get(current, "") + argument.group(1)
        elif line and not line.startswith(" "):
            break
    return recipes


def _carrier(instructions: list[tuple[str, str]], start: int) -> str:
    """What consumes the message loaded at `start`: the first logger call or exception constructor after it."""
    for opcode, operands in instructions[start + 1:]:
        logged = _LOGGER_CALL.search(operands)
        if opcode == "invokeinterface" and logged:
            return f"log:{logged.group(1)}"
        built = _CONSTRUCTOR.search(operands)
        if opcode == "invokespecial" and built and re.search(r"(Exception|Error)$", built.group(1)):
            return "throw:" + built.group(1).replace("/", ".")
        if opcode in ("areturn", "return", "athrow"):
            break
    return "other"


def _as_javap_prints(text: str) -> str:
    """javap prints a string constant with Java's escapes: a backslash before each quote and backslash."""
    return text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')


def sites_in_class(jar: Path, class_name: str, text: str) -> list[Site]:
    recipes = _concat_recipes(_javap(jar, class_name, "-v"))
    text = _as_javap_prints(text)
    sites: list[Site] = []
    method: str | None = None
    instructions: list[tuple[str, str]] = []

    def close() -> None:
        for index, (opcode, operands) in enumerate(instructions):
            loads = opcode.startswith("ldc") and text in operands
            bootstrap = _BOOTSTRAP_INDEX.search(operands) if opcode == "invokedynamic" else None
            if loads or (bootstrap and text in recipes.get(int(bootstrap.group(1)), "")):
                sites.append(Site(class_name, method or "?", _carrier(instructions, index)))

    for line in _javap(jar, class_name):
        header = _METHOD.match(line)
        if header:
            close()
            method, instructions = header.group(1), []
            continue
        instruction = _INSTRUCTION.match(line)
        if instruction:
            instructions.append((instruction.group(1), instruction.group(2)))
    close()
    return sites


@functools.lru_cache(maxsize=32)
def _class_files(jar: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(jar) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.endswith(".class")}


def text_sites(jars: Iterable[Path], text: str) -> list[Site]:
    """Every site of `text` in the classes of `jars` (only classes whose constants hold the text are read)."""
    needle = text.encode()
    sites: list[Site] = []
    for jar in jars:
        names = [name for name, data in _class_files(jar).items() if needle in data]
        for name in names:
            sites.extend(sites_in_class(jar, name[: -len(".class")].replace("/", "."), text))
    return sites


def effective_level(log4j2_properties: str, logger: str) -> str:
    """The level log4j2 gives `logger` under a properties configuration: the longest configured name that is the
    logger or a package above it, else the root logger's."""
    names: dict[str, str] = {}
    levels: dict[str, str] = {}
    root = "info"
    for raw in log4j2_properties.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key == "rootLogger.level":
            root = value.lower()
        elif (m := re.fullmatch(r"logger\.([^.]+)\.name", key)) is not None:
            names[m.group(1)] = value
        elif (m := re.fullmatch(r"logger\.([^.]+)\.level", key)) is not None:
            levels[m.group(1)] = value.lower()
    best, level = "", root
    for ident, name in names.items():
        if (logger == name or logger.startswith(name + ".")) and len(name) > len(best) and ident in levels:
            best, level = name, levels[ident]
    return level


def written_at(level: str, configured: str) -> bool:
    """True when a message at `level` is written by a logger configured at `configured`."""
    return LEVELS.index(level) >= LEVELS.index(configured)

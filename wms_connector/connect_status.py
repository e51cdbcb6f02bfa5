"""What Kafka Connect reports about a connector (its status, its validation result) and how a person reads it.

The shapes the REST client checks every answer against live here too (`SHAPES`). One rendering for every place
that shows a status: the admin's error messages and `ops status` go through `status_lines`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldErrors:
    """Validation outcome: how many errors, and which field says what. Values are dropped on purpose: Connect
    validates the resolved config, so its echoed values could include what `${env:…}` stood for."""

    error_count: int
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def describe(self) -> str:
        lines = [f"{name}: {'; '.join(messages)}" for name, messages in sorted(self.errors.items())]
        return "\n".join(lines) if lines else "no errors"


@dataclass(frozen=True)
class TaskStatus:
    id: int
    state: str
    worker_id: str | None = None
    trace: str | None = None


@dataclass(frozen=True)
class ConnectorStatus:
    name: str
    state: str
    worker_id: str | None
    trace: str | None
    tasks: tuple[TaskStatus, ...]
    type: str | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ConnectorStatus:
        connector = body.get("connector") or {}
        tasks = tuple(
            TaskStatus(
                id=int(task.get("id", -1)),
                state=str(task.get("state", "UNKNOWN")),
                worker_id=task.get("worker_id"),
                trace=task.get("trace"),
            )
            for task in body.get("tasks") or []
        )
        return cls(
            name=str(body.get("name", "")),
            state=str(connector.get("state", "UNKNOWN")),
            worker_id=connector.get("worker_id"),
            trace=connector.get("trace"),
            tasks=tasks,
            type=body.get("type"),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConnectorStatus:
        """The inverse of `to_dict` (a status as the admin protocol carries it)."""
        return cls.from_json(
            {
                "name": data.get("name"),
                "type": data.get("type"),
                "connector": {
                    "state": data.get("state"),
                    "worker_id": data.get("worker_id"),
                    "trace": data.get("trace"),
                },
                "tasks": data.get("tasks") or [],
            }
        )

    def describe(self) -> str:
        """Connector and task states with their traces, for error messages a person reads."""
        return "\n".join(status_lines(self))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "worker_id": self.worker_id,
            "trace": self.trace,
            "type": self.type,
            "tasks": [{"id": t.id, "state": t.state, "worker_id": t.worker_id, "trace": t.trace} for t in self.tasks],
        }


def first_lines(trace: str, count: int = 6) -> str:
    lines = trace.strip().splitlines()
    shown = "\n      ".join(lines[:count])
    return shown + (f"\n      ... ({len(lines) - count} more lines)" if len(lines) > count else "")


TRACE_WIDTH = 160


def short_trace(trace: str | None, width: int = TRACE_WIDTH) -> str | None:
    """The exception line and its root cause, each cut to `width`: enough to know what to look up."""
    if not trace:
        return None
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    causes = [line for line in lines if line.startswith("Caused by:")]
    shown = [lines[0]] + ([causes[-1]] if causes else [])
    cut = [line if len(line) <= width else line[: width - 3] + "..." for line in shown]
    return " | ".join(cut) + f" ({len(lines)} lines in full; --json shows them)"


def status_lines(
    status: ConnectorStatus, *, title: str | None = None, trace: Callable[[str], str | None] = first_lines
) -> list[str]:
    """The connector's state and worker, each task's, and their traces shown by `trace`."""
    where = f" on {status.worker_id}" if status.worker_id else ""
    lines = [f"{title or f'connector {status.name}'}: {status.state}{where}"]
    if status.trace:
        lines.append(f"  trace: {trace(status.trace)}")
    for task in status.tasks:
        on = f" on {task.worker_id}" if task.worker_id else ""
        lines.append(f"  task {task.id}: {task.state}{on}")
        if task.trace:
            lines.append(f"    trace: {trace(task.trace)}")
    if not status.tasks:
        lines.append("  no tasks")
    return lines


# -- the shape of each endpoint's answer ---------------------------------------------------------------------

Shape = Callable[[Any], bool]


def _object(value: Any) -> bool:
    return isinstance(value, dict)


def _object_or_nothing(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _nothing_expected(value: Any) -> bool:
    return True  # the endpoint answers 202/204 without a body; whatever a proxy adds is not read


def _list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _list_of_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _validation(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("error_count"), int)
        and isinstance(value.get("configs", []), list)
        and all(isinstance(entry, dict) for entry in value.get("configs", []))
    )


def _status(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("connector"), dict)
        and isinstance(value["connector"].get("state"), str)
        and isinstance(value.get("tasks", []), list)
        and all(isinstance(task, dict) and isinstance(task.get("state"), str) for task in value.get("tasks", []))
    )


def _offsets(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("offsets"), list)


SHAPES: dict[str, tuple[Shape, str]] = {
    "object": (_object, "a JSON object"),
    "object-or-nothing": (_object_or_nothing, "a JSON object or no body"),
    "nothing": (_nothing_expected, "no body"),
    "plugins": (_list_of_objects, "a JSON list of plugin objects"),
    "names": (_list_of_strings, "a JSON list of connector names"),
    "config": (_string_map, "a JSON object of property names to string values"),
    "validation": (_validation, "a validation result: an object with `error_count` and a `configs` list"),
    "status": (_status, "a status: an object with `connector.state` and a `tasks` list"),
    "offsets": (_offsets, "an object with an `offsets` list"),
}


def described(value: Any) -> str:
    if value is None:
        return "no body"
    if isinstance(value, dict):
        return f"an object with keys {', '.join(sorted(map(str, value))[:8]) or '(none)'}"
    return f"a JSON {type(value).__name__}"

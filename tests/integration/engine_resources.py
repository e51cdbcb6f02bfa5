"""Small dynamic resources the engine scenarios declare beside the connector (tests/integration/test_engine.py).

They live in an importable module so the engine's provider host loads them by reference, as it does the
project's own providers.

- `Echo` returns its input as an output: an input of another resource that is unknown during a first preview.
- `LocalWorkers` stands for the Connect service of the stack: its delete stops the local stack's worker (through
  the stack's PID file, from the provider host's process), so a destroy can be ordered service → topic cleanup
  exactly as the stack orders it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulumi.dynamic import CreateResult, Resource, ResourceProvider

from devtools.local.settings import LocalSettings
from devtools.local.stack import LocalStack


class EchoProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("echo", {"value": props["value"]})


class Echo(Resource, module="it", name="Echo"):
    def __init__(self, name: str, value: Any, opts=None) -> None:
        super().__init__(EchoProvider(), name, {"value": value}, opts)


class LocalWorkersProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("local-workers", props)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        settings = LocalSettings(
            ports={k: int(v) for k, v in props["ports"].items()},
            data_dir=Path(props["dataDir"]),
            log_dir=Path(props["logDir"]),
        )
        LocalStack(settings, jars_dir=Path("/nonexistent")).stop_worker()


class LocalWorkers(Resource, module="it", name="LocalWorkers"):
    def __init__(self, name: str, stack: LocalStack, opts=None) -> None:
        props = {
            "ports": {k: str(v) for k, v in stack.settings.ports.items()},
            "dataDir": str(stack.settings.data_dir),
            "logDir": str(stack.settings.log_dir),
        }
        super().__init__(LocalWorkersProvider(), name, props, opts)

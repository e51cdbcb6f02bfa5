"""Settings of the local stack: ports (with the variables and flags that move them), directories, the stage and
the database variables from an env file (local.env). Flags win over WMS_LOCAL_* variables, which win over the
defaults.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devtools.connect_jars import REPO_ROOT
from wms_connector import worker_env
from wms_connector.stages import Stage

LOCAL_STAGE = "local"
BIND_ADDRESS = "127.0.0.1"
# Main's container memory would also do; 2 GiB (1 GiB heap by the entrypoint's rule) is plenty locally.
LOCAL_CONTAINER_MEMORY_MIB = 2048


class LocalStackError(RuntimeError):
    """Something stopped the local stack from starting or stopping; the message says what to do."""


class PortInUseError(LocalStackError):
    pass


@dataclass(frozen=True)
class Port:
    """One port the stack listens on, with the knobs that change it (named in the port-in-use message)."""

    role: str
    env_var: str
    flag: str
    default: int


PORTS = {
    "broker": Port("Kafka broker", "WMS_LOCAL_BROKER_PORT", "--broker-port", 9092),
    "controller": Port("KRaft controller", "WMS_LOCAL_CONTROLLER_PORT", "--controller-port", 9093),
    "connect": Port("Kafka Connect REST", "WMS_LOCAL_CONNECT_PORT", "--connect-port", worker_env.DEFAULT_REST_PORT),
    "jmx": Port("JMX exporter", "WMS_LOCAL_JMX_PORT", "--jmx-port", worker_env.DEFAULT_JMX_EXPORTER_PORT),
}
DATA_DIR_ENV = "WMS_LOCAL_DATA_DIR"
LOG_DIR_ENV = "WMS_LOCAL_LOG_DIR"
ENV_FILE_ENV = "WMS_LOCAL_ENV_FILE"
DEFAULT_DATA_DIR = REPO_ROOT / ".local" / "data"
DEFAULT_LOG_DIR = REPO_ROOT / ".local" / "logs"
DEFAULT_ENV_FILE = REPO_ROOT / "local.env"
# Variables a local env file may set: the database ones only (worker settings are the stack's business).
ENV_FILE_VARIABLES = (worker_env.DB_INFO, *worker_env.DB_VARIABLES)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class LocalSettings:
    ports: Mapping[str, int] = field(default_factory=lambda: {name: p.default for name, p in PORTS.items()})
    data_dir: Path = DEFAULT_DATA_DIR
    log_dir: Path = DEFAULT_LOG_DIR
    stage: Stage = field(default_factory=lambda: Stage.parse(LOCAL_STAGE))
    container_memory_mib: int = LOCAL_CONTAINER_MEMORY_MIB
    # Database variables for the worker (DB_INFO or DB_*); values are never printed.
    database_env: Mapping[str, str] = field(default_factory=dict)
    # Anything else the worker environment needs (tests, benchmarks), applied last.
    extra_worker_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], overrides: Mapping[str, object] | None = None) -> LocalSettings:
        """Defaults, overridden by WMS_LOCAL_* variables, overridden by explicit (command-line) values."""
        overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        ports = {}
        for name, port in PORTS.items():
            if name in overrides:
                ports[name] = _port_number(str(overrides[name]), port.flag)
            elif env.get(port.env_var):
                ports[name] = _port_number(env[port.env_var], port.env_var)
            else:
                ports[name] = port.default
        env_file = Path(str(overrides.get("env_file") or env.get(ENV_FILE_ENV) or DEFAULT_ENV_FILE))
        env_file_given = "env_file" in overrides or ENV_FILE_ENV in env
        return cls(
            ports=ports,
            data_dir=Path(str(overrides.get("data_dir") or env.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)).resolve(),
            log_dir=Path(str(overrides.get("log_dir") or env.get(LOG_DIR_ENV) or DEFAULT_LOG_DIR)).resolve(),
            database_env=read_env_file(env_file, required=env_file_given),
        )

    @classmethod
    def on_free_ports(cls, base_dir: Path, stage: Stage, **kwargs: object) -> LocalSettings:
        """Settings for a throwaway stack (tests, benchmarks): free loopback ports, everything under base_dir."""
        return cls(
            ports=dict(zip(PORTS, free_ports(len(PORTS)), strict=True)),
            data_dir=base_dir / "data",
            log_dir=base_dir / "logs",
            stage=stage,
            **kwargs,
        )


def _port_number(raw: str, source: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 65535:
        raise LocalStackError(f"{source}={raw!r} is not a port; it must be an integer from 1 to 65535.")
    return int(raw)


def read_env_file(path: Path, required: bool = False) -> dict[str, str]:
    """KEY=VALUE lines (# comments, blank lines ignored), database variables only."""
    if not path.exists():
        if required:
            raise LocalStackError(f"Env file {path} does not exist (copy local.env.example to start one).")
        return {}
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        if not sep or not key:
            raise LocalStackError(f"{path}:{number}: expected KEY=VALUE (the line is not shown; it may hold a secret).")
        if key not in ENV_FILE_VARIABLES:
            allowed = ", ".join(ENV_FILE_VARIABLES)
            # A key that is not a variable name may be a value typed in the wrong place: never shown.
            shown = key if _VARIABLE_NAME.fullmatch(key) else "the name before '=' (not shown; it is no variable name)"
            raise LocalStackError(f"{path}:{number}: {shown} is not allowed here; allowed: {allowed}.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def unreachable_database_env(user: str = "bench") -> dict[str, str]:
    """Database settings for a worker whose database is unreachable at once (a closed loopback port), with a
    password made for this run: benchmarks and fixtures need a connector that fails to connect, never a secret."""
    return {
        worker_env.DB_HOST: BIND_ADDRESS,
        worker_env.DB_PORT: str(free_ports(1)[0]),
        worker_env.DB_NAME: "ORCLCDB",
        worker_env.DB_USER: user,
        worker_env.DB_PASSWORD: secrets.token_urlsafe(16),
    }


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so the kernel cannot hand out one twice)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((BIND_ADDRESS, 0))
        return [sock.getsockname()[1] for sock in sockets]

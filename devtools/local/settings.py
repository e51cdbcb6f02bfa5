"""Settings of the local stack: ports (with the variables and flags that move them), directories, the stage and
the database variables from an env file (local.env). Flags win over WMS_LOCAL_* variables, which win over the
defaults.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devtools.connect_jars import REPO_ROOT
from wms_connector import worker_env
from wms_connector.db_info import DbInfoError, db_info_from_variables, endpoint_from_db_info
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
# tcpmux: nothing listens there on a developer's machine (the worker's stand-in database when none is configured).
UNCONFIGURED_DATABASE_PORT = 1
# Where a started stack remembers its ports and log directory (in its data directory).
STATE_FILE_NAME = "stack.json"
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
    # The port of the stand-in database the worker captures (`make local STANDIN=1`), None for local.env's.
    standin_port: int | None = None

    @classmethod
    def from_environment(
        cls, env: Mapping[str, str], overrides: Mapping[str, object] | None = None, *, with_database: bool = True
    ) -> LocalSettings:
        """Defaults, overridden by what the running (or last) stack remembered in its data directory, overridden by
        WMS_LOCAL_* variables, overridden by explicit (command-line) values. `with_database` False: the env file is
        not read (stopping the stack or reading its status needs no database settings, and a malformed file must
        not stand in the way)."""
        overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        data_dir = Path(str(overrides.get("data_dir") or env.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)).resolve()
        remembered = read_remembered(data_dir)
        ports = {}
        for name, port in PORTS.items():
            if name in overrides:
                ports[name] = _port_number(str(overrides[name]), port.flag)
            elif env.get(port.env_var):
                ports[name] = _port_number(env[port.env_var], port.env_var)
            else:
                ports[name] = int(remembered.get("ports", {}).get(name, port.default))
        check_distinct_ports(ports)
        log_dir = overrides.get("log_dir") or env.get(LOG_DIR_ENV) or remembered.get("log_dir") or DEFAULT_LOG_DIR
        env_file = Path(str(overrides.get("env_file") or env.get(ENV_FILE_ENV) or DEFAULT_ENV_FILE))
        env_file_given = "env_file" in overrides or ENV_FILE_ENV in env
        database_env = read_env_file(env_file, required=env_file_given) if with_database else {}
        if with_database:
            check_database_env(database_env, env_file)
        return cls(ports=ports, data_dir=data_dir, log_dir=Path(str(log_dir)).resolve(), database_env=database_env)

    @property
    def state_file(self) -> Path:
        return self.data_dir / STATE_FILE_NAME

    def remember(self) -> None:
        """Write where this stack runs, so `status`, `down` and `ops --local` find it without the variables."""
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        state = {"ports": dict(self.ports), "log_dir": str(self.log_dir), "stage": self.stage.name,
                 "standin_port": self.standin_port}
        self.state_file.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")

    def forget(self) -> None:
        self.state_file.unlink(missing_ok=True)

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


def read_remembered(data_dir: Path) -> dict[str, object]:
    """What a stack started with this data directory remembered (empty when none was, or the file is unreadable)."""
    try:
        state = json.loads((data_dir / STATE_FILE_NAME).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def check_distinct_ports(ports: Mapping[str, int]) -> None:
    """Two servers cannot share a port: name both settings (before anything starts)."""
    by_number: dict[int, str] = {}
    for name, number in ports.items():
        if number in by_number:
            first, second = PORTS[by_number[number]], PORTS[name]
            raise LocalStackError(
                f"The {first.role} and the {second.role} are both set to port {number}; give one another port "
                f"({first.env_var} or {first.flag}, {second.env_var} or {second.flag})."
            )
        by_number[number] = name


def check_database_env(database_env: Mapping[str, str], env_file: Path) -> None:
    """Database settings are all there or not at all (then the stack runs without a database): a partial set is
    named before anything starts. Values are never shown."""
    if not database_env:
        return
    try:
        info = db_info_from_variables(database_env)  # DB_INFO, else the DB_* variables
        endpoint_from_db_info(info)
    except DbInfoError as error:
        raise LocalStackError(f"{env_file}: {error} Set DB_HOST and DB_PORT (or DB_URL), or DB_INFO.") from None
    missing = [key for key in ("user", "password") if not info.get(key)]
    if missing or not (info.get("db") or info.get("url")):
        names = {"user": worker_env.DB_USER, "password": worker_env.DB_PASSWORD}
        needed = [names[key] for key in missing] + ([] if info.get("db") or info.get("url") else [worker_env.DB_NAME])
        raise LocalStackError(f"{env_file} sets some database variables but not {', '.join(needed)}.")


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


def unconfigured_database_env() -> dict[str, str]:
    """The worker's database when local.env sets none: a port nothing listens on, so the connector registers (without
    Connect's database check) and its task fails to connect, saying why. No real credential."""
    return {
        worker_env.DB_HOST: BIND_ADDRESS,
        worker_env.DB_PORT: str(UNCONFIGURED_DATABASE_PORT),
        worker_env.DB_NAME: "NOT_CONFIGURED",
        worker_env.DB_USER: "not_configured",
        worker_env.DB_PASSWORD: secrets.token_urlsafe(16),
    }


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

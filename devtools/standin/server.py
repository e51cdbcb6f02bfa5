"""A PostgreSQL server on 127.0.0.1 in a directory of its own: the stand-in database where Oracle cannot run.

The server binaries come from the pinned `pgserver` wheel (requirements-dev.txt), so nothing is installed on the
machine. PostgreSQL refuses to run as root, and CI and developer machines often are root: then initdb and the
server run as the unprivileged `nobody`, in a data directory that user owns, from a copy of the binaries it can
reach when the wheel sits under a directory closed to it (root's home). The server logs to one file, tracked by a
PID file like the broker and the worker, and stops with PostgreSQL's fast shutdown (SIGINT): the default smart
shutdown would wait for Debezium's replication connection to go away on its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devtools.local.processes import ManagedProcess
from devtools.local.settings import BIND_ADDRESS, LocalStackError

BINARIES_PACKAGE = "pgserver"
UNPRIVILEGED_USER = "nobody"
SUPERUSER = "postgres"
READY_TIMEOUT_S = 60.0

# Logical decoding for Debezium's pgoutput plugin; fsync off: a throwaway server whose crash loses nothing.
SERVER_SETTINGS = {
    "listen_addresses": BIND_ADDRESS,
    "unix_socket_directories": "",
    "wal_level": "logical",
    "max_wal_senders": "8",
    "max_replication_slots": "8",
    "fsync": "off",
    "log_min_messages": "warning",
    "log_line_prefix": "%m [%p] ",
}


def run_as_user() -> int | None:
    """The user id the server runs as: None (this user) unless this is root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam(UNPRIVILEGED_USER).pw_uid


def _wheel_install() -> Path:
    spec = importlib.util.find_spec(BINARIES_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LocalStackError(
            f"The PostgreSQL binaries (the `{BINARIES_PACKAGE}` package) are not installed: run `make setup`."
        )
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if not (install / "bin" / "postgres").is_file():
        raise LocalStackError(f"{install} holds no bin/postgres: reinstall `{BINARIES_PACKAGE}` (`make setup`).")
    return install


def _reachable_by(path: Path, uid: int) -> bool:
    """True if every directory above `path` lets `uid` through (owner or others may search it)."""
    for directory in path.parents:
        if not directory.exists():
            continue  # created later by this process (umask 022 leaves it searchable)
        info = directory.stat()
        if info.st_uid != uid and not info.st_mode & stat.S_IXOTH:
            return False
    return True


def server_install(uid: int | None) -> Path:
    """The PostgreSQL install the server user can run: the wheel's, or a copy of it in the temp directory."""
    install = _wheel_install()
    if uid is None or _reachable_by(install / "bin" / "postgres", uid):
        return install
    version = importlib.metadata.version(BINARIES_PACKAGE)
    copy = Path(tempfile.gettempdir()) / f"wms-connector-{BINARIES_PACKAGE}-{version}"
    if not (copy / ".complete").exists():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(install, copy, symlinks=True)
        copy.chmod(0o755)
        (copy / ".complete").touch()
    return copy


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: field 4 of each stat line)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat_file.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat_file.parent.name))
    return found


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


class StandinServer:
    """One PostgreSQL server: `start()` (initialises the cluster on first use), `stop()`, `freeze()`/`thaw()`."""

    def __init__(self, base_dir: Path, port: int, log_file: Path, superuser_password: str):
        self.port = port
        self.superuser = Credentials(SUPERUSER, superuser_password)
        self.uid = run_as_user()
        self.base_dir = base_dir
        self.data_dir = self._data_dir_for(base_dir)
        self.process = ManagedProcess(
            "PostgreSQL stand-in", base_dir / "postgres.pid", log_file, str(self.data_dir), stop_signal=signal.SIGINT
        )

    def _data_dir_for(self, base_dir: Path) -> Path:
        """`<base_dir>/pgdata`, or, when the server's user cannot get there (a test's private temp directory, a
        repository under root's home), a directory of the same name under the shared temp directory."""
        if self.uid is None or _reachable_by(base_dir / "pgdata", self.uid):
            return base_dir / "pgdata"
        digest = hashlib.sha256(str(base_dir.resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"wms-connector-standin-{digest}" / "pgdata"

    def discard(self) -> None:
        """Remove the cluster's files (the server must be stopped)."""
        shutil.rmtree(self.data_dir.parent if self.data_dir.parent != self.base_dir else self.data_dir,
                      ignore_errors=True)

    @property
    def log_file(self) -> Path:
        return self.process.log_file

    def _bin(self, name: str) -> str:
        return str(server_install(self.uid) / "bin" / name)

    def _owned(self, path: Path, mode: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
        if self.uid is not None:
            os.chown(path, self.uid, pwd.getpwuid(self.uid).pw_gid)

    def initialise(self) -> None:
        """initdb once: UTF-8, password (SCRAM) authentication for every TCP connection."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._owned(self.data_dir.parent, 0o755)
        self._owned(self.data_dir, 0o700)
        with tempfile.TemporaryDirectory(dir=self.data_dir.parent) as scratch:
            scratch_dir = Path(scratch)
            self._owned(scratch_dir, 0o700)
            password_file = scratch_dir / "pw"
            password_file.write_text(self.superuser.password + "\n")
            if self.uid is not None:
                os.chown(password_file, self.uid, -1)
            password_file.chmod(0o600)
            command = [
                self._bin("initdb"), "-D", str(self.data_dir), "-U", SUPERUSER, "-E", "UTF8", "--no-sync",
                "--locale=C", "--auth-host=scram-sha-256", "--auth-local=reject", f"--pwfile={password_file}",
            ]
            extra = {} if self.uid is None else {"user": self.uid}
            result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, **extra)  # noqa: S603
        if result.returncode != 0:
            raise LocalStackError(f"initdb failed for the PostgreSQL stand-in:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        self.initialise()
        settings = [arg for key, value in SERVER_SETTINGS.items() for arg in ("-c", f"{key}={value}")]
        command = [self._bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), *settings]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        self.process.start(command, env, user=self.uid)
        deadline = time.monotonic() + timeout_s
        while not self._answers():
            failure = self.process.exited_early()
            if failure:
                raise LocalStackError(failure)
            if time.monotonic() > deadline:
                raise LocalStackError(
                    f"The PostgreSQL stand-in was not ready after {timeout_s:.0f} s.\n{self.process.this_runs_log()}"
                )
            time.sleep(0.3)

    def _answers(self) -> bool:
        try:
            with self.connect("postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def connect(self, database: str, credentials: Credentials | None = None, **options: object) -> psycopg.Connection:
        """A connection over TCP on loopback (autocommit: every statement commits at once)."""
        who = credentials or self.superuser
        return psycopg.connect(
            host=BIND_ADDRESS, port=self.port, dbname=database, user=who.user, password=who.password,
            autocommit=True, **options,
        )

    def freeze(self) -> None:
        """Stop every server process in its tracks (SIGSTOP): connections stay open and nothing answers, the way a
        hung database or a silently dropped network path looks to a client. The postmaster first, so it forks
        nothing new; then each backend, one by one: every PostgreSQL child leads its own process group."""
        postmaster = self._postmaster()
        if postmaster is None:
            return
        _signal(postmaster, signal.SIGSTOP)
        for child in _children(postmaster):
            _signal(child, signal.SIGSTOP)

    def thaw(self) -> None:
        postmaster = self._postmaster()
        if postmaster is None:
            return
        for child in _children(postmaster):
            _signal(child, signal.SIGCONT)
        _signal(postmaster, signal.SIGCONT)

    def _postmaster(self) -> int | None:
        return self.process.pid if self.process.running() else None

    def stop(self) -> None:
        self.thaw()  # a frozen server cannot shut down
        self.process.stop()

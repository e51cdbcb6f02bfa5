"""Processes of the local stack: started detached and tracked by PID files (so another command can stop them),
checks before anything starts (free ports, Java), and bounded waits that show the log when a start fails.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from devtools.local.settings import BIND_ADDRESS, PORTS, LocalStackError, Port, PortInUseError


def check_ports_free(ports: Mapping[str, int], roles: Mapping[str, Port] = PORTS) -> None:
    """Raise PortInUseError naming the first busy port and the setting that moves it (`roles` says which)."""
    for name, number in ports.items():
        with socket.socket() as sock:
            # Like the servers themselves: a port only in TIME_WAIT is free, one with a listener is not.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((BIND_ADDRESS, number))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                port = roles[name]
                raise PortInUseError(
                    f"Port {number} ({port.role}) on {BIND_ADDRESS} is already in use. Stop what listens there, "
                    f"or pick another port with {port.env_var}=<port> (or {port.flag} <port>)."
                ) from None


def check_java(required_major: int) -> None:
    """Raise LocalStackError unless `java` on PATH is at least `required_major` (Debezium 3 needs 17)."""
    install = f"install a Java {required_major}+ runtime (e.g. `apt-get install openjdk-{required_major}-jre-headless`)"
    java = shutil.which("java")
    if not java:
        raise LocalStackError(f"Java (`java`) is not on PATH; {install}.")
    result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    # `java -version` writes e.g. `openjdk version "17.0.9" 2023-10-17` (or "1.8.0_392" before Java 9) to stderr.
    match = re.search(r'version "(?:1\.)?(\d+)', result.stderr + result.stdout)
    if not match:
        raise LocalStackError(f"`{java} -version` did not print a Java version; {install}.")
    if int(match.group(1)) < required_major:
        raise LocalStackError(f"`{java}` is Java {match.group(1)}; the worker needs Java {required_major}+: {install}.")




def _primary_group(user: int) -> int:
    return pwd.getpwuid(user).pw_gid


def _pid_alive(pid: int, marker: str) -> bool:
    """True if pid runs and its command line mentions marker (so a recycled pid is never mistaken for ours)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and marker in cmdline


def log_tail(path: Path, lines: int = 40, since: int = 0) -> str:
    """The last `lines` lines of a log, from byte `since` on (this run's part of a log earlier runs appended to)."""
    if not path.exists():
        return f"({path} does not exist)"
    with path.open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace").splitlines()[-lines:]
    if not text:
        return f"({path} has no lines from this run)"
    return f"--- last {len(text)} lines of {path} (this run) ---\n" + "\n".join(text)


class ManagedProcess:
    """One server process of the stack, tracked by a PID file so another command can stop it."""

    def __init__(self, name: str, pid_file: Path, log_file: Path, marker: str, stop_signal: int = signal.SIGTERM):
        self.name = name
        self.stop_signal = stop_signal
        self.pid_file = pid_file
        self.log_file = log_file
        self.marker = marker
        self._popen: subprocess.Popen | None = None
        self.log_start = 0  # where this run's lines begin in the (appended) log

    @property
    def pid(self) -> int | None:
        if self._popen is not None:
            return self._popen.pid
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def running(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        pid = self.pid
        return pid is not None and _pid_alive(pid, self.marker)

    def start(self, command: Sequence[str], env: Mapping[str, str], user: int | None = None) -> None:
        """Start detached, logging to the log file; as the user id `user` when given (a server that refuses root)."""
        if self.running():
            raise LocalStackError(f"The {self.name} is already running (pid {self.pid}); stop it first.")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as log:
            self._popen = subprocess.Popen(  # noqa: S603 - fixed command built here
                list(command), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=dict(env), start_new_session=True,
                **({} if user is None else {"user": user, "group": _primary_group(user)}),
            )
        self.pid_file.write_text(f"{self._popen.pid}\n")

    def exited_early(self) -> str | None:
        """A message with the log tail if the process is gone, else None."""
        if self.running():
            return None
        code = self._popen.returncode if self._popen is not None else "unknown"
        return f"The {self.name} exited (code {code}) while starting.\n{self.this_runs_log()}"

    def this_runs_log(self) -> str:
        return log_tail(self.log_file, since=self.log_start)

    def stop(self, timeout_s: float = 30.0) -> None:
        pid = self.pid
        if pid is not None and self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, self.stop_signal)
            if not self._wait_gone(pid, timeout_s):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                if not self._wait_gone(pid, 10.0):
                    raise LocalStackError(f"The {self.name} (pid {pid}) did not stop.")
        self._popen = None
        self.pid_file.unlink(missing_ok=True)

    def _wait_gone(self, pid: int, timeout_s: float) -> bool:
        if self._popen is not None:
            try:
                self._popen.wait(timeout=timeout_s)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _pid_alive(pid, self.marker):
                return True
            time.sleep(0.2)
        return False


def wait_until(what: str, check: Callable[[], bool], process: ManagedProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        failure = process.exited_early()
        if failure:
            raise LocalStackError(failure)
        time.sleep(0.5)
    raise LocalStackError(f"{what} was not ready after {timeout_s:.0f} s.\n{process.this_runs_log()}")

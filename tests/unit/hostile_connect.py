"""A Kafka Connect that misbehaves on purpose, on 127.0.0.1: a raw socket server that answers each request with
the next scripted behaviour (the last one repeats), and counts what it received per method.

Behaviours: ("json", status, body) a well-formed answer of any JSON (or raw bytes); ("redirect", status, location);
("trickle", interval) headers, then one body byte per interval; ("hang",) read the request, never answer;
("close",) read the request and hang up without a word; ("cut",) send half a status line and hang up.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from typing import Any

Behaviour = tuple[Any, ...]


class HostileConnect:
    def __init__(self, script: list[Behaviour]):
        self.script = list(script)
        self.methods: Counter[str] = Counter()
        self.paths: list[str] = []
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HostileConnect:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._accept.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._server.close()

    @property
    def posts(self) -> int:
        return self.methods["POST"]

    def _next(self) -> Behaviour:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._answer, args=(connection, self._next()), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read_request(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
        while len(rest) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.methods[method] += 1
        self.paths.append(path)

    def _answer(self, connection: socket.socket, behaviour: Behaviour) -> None:
        with connection:
            try:
                self._read_request(connection)
                kind = behaviour[0]
                if kind == "json":
                    _, status, body = behaviour
                    data = body if isinstance(body, bytes) else json.dumps(body).encode()
                    connection.sendall(_head(status, len(data)) + data)
                elif kind == "redirect":
                    _, status, location = behaviour
                    connection.sendall(_head(status, 0, f"Location: {location}\r\n"))
                elif kind == "trickle":
                    connection.sendall(_head(200, 1000))
                    while not self._stop.is_set():
                        connection.sendall(b" ")
                        time.sleep(behaviour[1])
                elif kind == "hang":
                    self._stop.wait(30)
                elif kind == "cut":
                    connection.sendall(b"HTTP/1.1 20")
                # "close": nothing at all
            except OSError:
                pass  # the client hung up first, as it should on a hostile answer


def _head(status: int, length: int, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{extra}"
        "Connection: close\r\n\r\n"
    ).encode()

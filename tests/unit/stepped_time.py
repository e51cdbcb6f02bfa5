"""A monotonic clock that moves only when the code under test sleeps: deadline arithmetic is exact, every sleep is
recorded, and no test waits through a real backoff or poll interval."""

from __future__ import annotations


class SteppedTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

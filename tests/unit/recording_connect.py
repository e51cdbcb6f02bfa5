"""A Connect that records every call and answers none: for checks that must refuse before Connect is asked."""

from __future__ import annotations


class RecordingConnect:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            self.calls.append(name)
            raise AssertionError(f"Connect was asked ({name})")

        return call

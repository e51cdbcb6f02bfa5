"""A raw GET against the local Connect REST API, for tests that look at exactly what Connect answers."""

from __future__ import annotations

import json
import urllib.request


def http_json(url: str, timeout_s: float = 5.0) -> object:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - loopback URL built by tests
        return json.load(response)

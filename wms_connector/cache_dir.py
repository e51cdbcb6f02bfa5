"""Where the project keeps what it downloads or builds outside the repository: the pinned jars and tools of the
developer tooling, and the Lambda's platform libraries that `pulumi up` packages."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wms-connector"

"""Print the stage a git branch deploys to (the workflows' one way from a branch to a stack name).

    python -m devtools.stage_for_branch <branch>
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from wms_connector.branch_stage import InvalidBranchError, stage_for_branch


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m devtools.stage_for_branch <branch>", file=err)
        return 2
    try:
        print(stage_for_branch(args[0]).name, file=out)
    except InvalidBranchError as error:
        print(f"error: {error}", file=err)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

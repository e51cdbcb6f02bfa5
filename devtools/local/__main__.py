"""`python -m devtools.local up|down|status`: see cli.py."""

import sys

from devtools.local.cli import main

sys.exit(main())

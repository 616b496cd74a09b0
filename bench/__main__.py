"""``python -m bench`` (scripts/bench sets the paths and brings the test bed up)."""

import sys

from bench.cli import main

sys.exit(main())

"""``python -m securesocket``: the same command as the ``securesocket`` console script."""

from __future__ import annotations

import sys

from .audit.cli import main


if __name__ == "__main__":
    sys.exit(main())

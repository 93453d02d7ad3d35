"""`python -m bot` runs the `warta` command."""

import sys

from bot.cli import main

# Guarded: the parser's worker processes import this module again when they start.
if __name__ == "__main__":
    sys.exit(main())

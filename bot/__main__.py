"""`python -m bot` runs the `warta` command."""

import sys

from bot.cli import main

sys.exit(main())

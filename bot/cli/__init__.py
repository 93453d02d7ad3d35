"""The `warta` command: one module per subcommand, each with `add_parser` and `run`.

May import anything in `bot` and `storage`, never `handlers` (the application brings those).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from bot.config import ConfigError, load_config
from bot.ops.logs import Redactor, one_line

EXIT_FAILED, EXIT_INTERRUPTED = 1, 130


class Subcommand(Protocol):
    """What a subcommand module provides."""

    def add_parser(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add the subcommand's parser, setting `handler` to its run function."""


# Each subcommand's name and module. Only the module of the subcommand given is imported (all
# of them for --help): `warta match` need not load the bot's network and database libraries.
SUBCOMMANDS: dict[str, str] = {
    "run": "bot.cli.run",
    "status": "bot.cli.status",
    "match": "bot.cli.match",
    "backup": "bot.cli.backup",
    "demo": "bot.cli.demo",
    "feeds": "bot.cli.feeds",
    "migrate-db": "bot.cli.migrate_db",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command-line interface, with every subcommand or only the one named."""
    parser = argparse.ArgumentParser(
        prog="warta", description="Telegram bot for Indonesian regional news alerts."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module in SUBCOMMANDS.items():
        if only is None or only == name:
            cast(Subcommand, importlib.import_module(module)).add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console command."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    chosen = arguments[0] if arguments and arguments[0] in SUBCOMMANDS else None
    args = build_parser(chosen).parse_args(arguments)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    # The last resort, as the bot's error handler is for updates: whatever a subcommand did not
    # foresee is one redacted line, never a traceback that may carry the token.
    except Exception as error:  # noqa: BLE001
        problem = one_line(f"{type(error).__name__}: {error}", _redactor())
        print(f"warta: unexpected error: {problem}", file=sys.stderr)
        return EXIT_FAILED
    return code


def _redactor() -> Redactor:
    """Hides the token and webhook secret of the configuration, if they can be read."""
    try:
        config = load_config()
    except ConfigError:
        return Redactor(None)
    return Redactor(config.token, config.secrets)


if __name__ == "__main__":
    sys.exit(main())

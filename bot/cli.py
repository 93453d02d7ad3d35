"""The `warta` command: run the bot, or try a topic on an article."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.feedlist import FeedListError
from bot.settings import SettingsError, load_settings

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="warta", description="Telegram bot for Indonesian regional news alerts."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the bot (long polling)")
    match = commands.add_parser(
        "match", help="apply Warta's cleaning and matching to an article and report the result"
    )
    match.add_argument("query", help='a topic, e.g. "banjir AND Serang"')
    match.add_argument("file", nargs="?", help="article as HTML or text (standard input if absent)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console command."""
    args = build_parser().parse_args(argv)
    if args.command == "match":
        from bot.trytopic import run_match

        return run_match(args.query, args.file)
    return run_bot()


def run_bot() -> int:
    """Start the bot until SIGINT or SIGTERM."""
    from bot.app import build_application
    from bot.logs import configure_logging

    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.token)
        app = build_application(settings)
    except (SettingsError, FeedListError) as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_CONFIG
    app.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

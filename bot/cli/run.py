"""`warta run`: start the bot with long polling."""

from __future__ import annotations

import argparse
import sys

from bot.feedlist import FeedListError
from bot.settings import SettingsError, load_settings

EXIT_CONFIG = 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta run`."""
    parser = commands.add_parser("run", help="start the bot (long polling)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the bot until SIGINT or SIGTERM; exit 2 with one line on a configuration error."""
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

"""`warta demo`: watch the bot work, with no token and no network."""

from __future__ import annotations

import argparse
import asyncio
import sys

EXIT_FAILED = 1


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta demo`."""
    parser = commands.add_parser(
        "demo",
        help="run the real bot against a loopback Telegram and news site, and show a reader's chat",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo conversation; exit 1 if the bot did not answer in time."""
    from rich.console import Console

    from bot.demo.scenario import DEMO_TOKEN, run_demo
    from bot.ops.logs import configure_logging

    # Only problems are logged: the conversation is the output.
    configure_logging("WARNING", DEMO_TOKEN)
    try:
        asyncio.run(run_demo(Console(highlight=False)))
    except (TimeoutError, AssertionError) as error:
        print(f"warta demo: the bot did not answer in time: {error}", file=sys.stderr)
        return EXIT_FAILED
    return 0

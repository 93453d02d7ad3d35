"""`warta run`: start the bot with long polling, or `warta run --webhook` behind HTTPS.

`--role` (repeatable) runs a share of the work; without it the process runs every role.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.config import ALL_ROLES, Config, ConfigError, Role, WebhookConfig, load_config
from bot.feeds.feedlist import FeedListError
from bot.ops.logs import Redactor, one_line
from storage import DatabaseOpenError

if TYPE_CHECKING:
    from bot.context import WartaApp

EXIT_FAILED, EXIT_CONFIG = 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta run`."""
    parser = commands.add_parser("run", help="start the bot (long polling by default)")
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates at WARTA_WEBHOOK_URL (checked with WARTA_WEBHOOK_SECRET) "
        "on WARTA_WEBHOOK_PORT instead of long polling",
    )
    parser.add_argument(
        "--role",
        action="append",
        choices=[role.value for role in Role],
        help="run only this share of the work (repeatable; default: every role): updates "
        "answers chats, poller fetches feeds, sender sends the outbox, scheduler runs digests "
        "and clean-ups",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the bot until SIGINT or SIGTERM; exit 2 with one line on a configuration error."""
    from bot.app import ALLOWED_UPDATES, build_application, run_until_stopped
    from bot.ops.logs import configure_logging

    try:
        config = replace(load_config(), roles=chosen_roles(args.role))
        config = replace(config, push=push_wanted(config, webhook=args.webhook))
        config.require_token()
        webhook = _webhook(config) if args.webhook else None
        configure_logging(config.log_level, config.token, config.log_format, config.secrets)
        app = build_application(config)
    except (ConfigError, FeedListError) as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        if Role.UPDATES not in config.roles:
            asyncio.run(run_until_stopped(app))
        elif webhook is None:
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
        else:
            serve_webhook(app, config, webhook)
    except ConfigError as error:
        # Found once the database is open: an SQLite file in use on another machine.
        print(
            f"warta: {one_line(str(error), Redactor(config.token, config.secrets))}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except (TelegramError, DatabaseOpenError, OSError) as error:
        code, problem = start_failure(error, config)
        redact = Redactor(config.token, config.secrets)
        print(f"warta: {one_line(problem, redact)}", file=sys.stderr)
        return code
    return 0


def chosen_roles(names: Sequence[str] | None) -> frozenset[Role]:
    """The roles given with --role, or every role when none is."""
    return frozenset(Role(name) for name in names) if names else ALL_ROLES


def push_wanted(config: Config, *, webhook: bool) -> bool:
    """Whether this process takes part in WebSub: hubs need the public webhook address.

    The webhook's process serves the callbacks; a process without the updates role (a poller
    noting hubs, the scheduler asking them) belongs to a deployment that has one when
    WARTA_WEBHOOK_URL is set.
    """
    if Role.UPDATES in config.roles:
        return webhook
    return config.webhook_url is not None


def _webhook(config: Config) -> WebhookConfig:
    if Role.UPDATES not in config.roles:
        raise ConfigError("--webhook receives updates: it needs the updates role (--role updates)")
    return config.require_webhook()


def start_failure(error: Exception, config: Config) -> tuple[int, str]:
    """The exit code and the one-line reason for an error that stopped the bot starting."""
    if isinstance(error, InvalidToken):
        return EXIT_CONFIG, (
            f"Telegram ({config.api_url}) refused the bot token: check TELEGRAM_BOT_TOKEN "
            "(mistyped, or revoked in @BotFather?)"
        )
    if isinstance(error, DatabaseOpenError):
        return EXIT_CONFIG, f"{error} (WARTA_DB)"
    if isinstance(error, BadRequest):
        # Telegram refused a start-up request such as setWebhook: a setting is wrong.
        return EXIT_CONFIG, f"Telegram refused to start the bot: {error.message}"
    if isinstance(error, NetworkError):
        return EXIT_FAILED, (
            f"cannot reach the Telegram Bot API at {config.api_url} (TELEGRAM_API_URL): "
            f"{error.message}"
        )
    if isinstance(error, TelegramError):
        return EXIT_FAILED, f"Telegram refused to start the bot: {error.message}"
    return EXIT_FAILED, f"cannot start: {error}"


def serve_webhook(app: WartaApp, config: Config, webhook: WebhookConfig) -> None:
    """Register the webhook with Telegram and answer it until SIGINT or SIGTERM."""
    from bot.app import ALLOWED_UPDATES, run_until_stopped
    from bot.ops.webhook import WebhookServer

    # Our own server, not PTB's: WebSub's callbacks share its port. It answers 403 to an update
    # without the secret header or with a wrong one, before reading it; TLS is the proxy's job.
    asyncio.run(run_until_stopped(app, WebhookServer(config, webhook, ALLOWED_UPDATES)))

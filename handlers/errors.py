"""The one error handler: log what went wrong and tell the user something did."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import WartaApp, WartaContext
from bot.i18n import language_for, text

log = logging.getLogger(__name__)


async def report_error(update: object, context: WartaContext) -> None:
    """Log the exception with the update that caused it and apologise in the chat."""
    log.error("handler error update=%s", _describe(update), exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            user = update.effective_user
            language = language_for(user.language_code if user else None)
            await update.effective_message.reply_text(text("error_generic", language))
        except TelegramError as error:
            log.warning("could not report the error to the chat: %s", error)


def _describe(update: object) -> str:
    if isinstance(update, Update):
        chat = update.effective_chat
        return f"{update.update_id} chat={chat.id if chat else None}"
    return repr(update)[:200]


def register(app: WartaApp) -> None:
    """Install the error handler."""
    app.add_error_handler(report_error)

"""Anything the other handlers did not take: unknown commands and stale buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import WartaApp, WartaContext
from handlers.replies import current_chat, reply


async def unknown_command(update: Update, context: WartaContext) -> None:
    """Point towards /help."""
    await reply(update, await current_chat(update, context), "unknown_command")


async def stale_button(update: Update, context: WartaContext) -> None:
    """Answer a button this bot no longer knows, so the client stops waiting."""
    if update.callback_query is not None:
        await update.callback_query.answer()


def register(app: WartaApp) -> None:
    """Add this module's handlers; register it last."""
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))

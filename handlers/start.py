"""/start and /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import WartaApp, WartaContext
from bot.i18n import text
from handlers.replies import current_chat, is_admin, message_of, reply


async def start(update: Update, context: WartaContext) -> None:
    """Register the chat and explain how to subscribe."""
    chat = await current_chat(update, context)
    await reply(update, chat, "start")


async def show_help(update: Update, context: WartaContext) -> None:
    """List the commands (and the admin ones to admins)."""
    chat = await current_chat(update, context)
    extra = text("help_admin", chat.language) if is_admin(update, context) else ""
    await message_of(update).reply_html(text("help", chat.language) + extra)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "bantuan"], show_help))

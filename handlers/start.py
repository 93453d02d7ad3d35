"""/start and /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import WartaApp, WartaContext
from bot.messages import text
from handlers.replies import is_admin, message_of, register_chat


async def start(update: Update, context: WartaContext) -> None:
    """Register the chat and explain how to subscribe."""
    await register_chat(update, context)
    await message_of(update).reply_html(text("start"))


async def show_help(update: Update, context: WartaContext) -> None:
    """List the commands (and the admin ones to admins)."""
    extra = text("help_admin") if is_admin(update, context) else ""
    await message_of(update).reply_html(text("help") + extra)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "bantuan"], show_help))

"""/broadcast: announcements from the bot's operators to every active chat."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import WartaApp, WartaContext
from handlers.replies import current_chat, is_admin, message_of, reply


def broadcast_html(update: Update) -> str:
    """The admin's text after the command, with their formatting kept as Telegram HTML."""
    message = message_of(update)
    rendered = message.text_html or ""
    _, _, rest = rendered.partition(" ")
    return rest.strip()


async def broadcast(update: Update, context: WartaContext) -> None:
    """Queue an announcement for every active chat through the alert sender."""
    # Registering first means the admin sees the announcement as readers will.
    chat = await current_chat(update, context)
    if not is_admin(update, context):
        await reply(update, chat, "admin_only")
        return
    body = broadcast_html(update)
    if not body:
        await reply(update, chat, "broadcast_usage")
        return
    services = context.services
    broadcast_id = await services.storage.create_broadcast(chat.id, body, services.clock())
    recipients = await services.storage.broadcast_recipients(broadcast_id)
    services.sender.wake()
    await reply(update, chat, "broadcast_queued", count=recipients)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler("broadcast", broadcast))

"""The guard every operators' command and button shares: WARTA_ADMINS only."""

from __future__ import annotations

from telegram import Update

from bot.context import WartaContext
from bot.i18n import text
from handlers.replies import current_chat, is_admin, plain_text, reply
from storage.models import Chat


async def admin_chat(update: Update, context: WartaContext) -> Chat | None:
    """The admin's chat; None after refusing anyone else, for whom nothing else happens."""
    # Registering first means an admin sees announcements as readers will.
    chat = await current_chat(update, context)
    if is_admin(update, context):
        return chat
    query = update.callback_query
    if query is not None:
        await query.answer(plain_text(text("admin_only", chat.language)), show_alert=True)
    else:
        await reply(update, chat, "admin_only")
    return None

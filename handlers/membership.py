"""The bot added to, or removed or blocked from, a chat."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.context import WartaApp, WartaContext
from handlers.replies import chat_of, current_chat

GONE = {ChatMember.LEFT, ChatMember.BANNED}


async def membership_changed(update: Update, context: WartaContext) -> None:
    """Deactivate a chat that removed or blocked the bot; re-activate one that came back."""
    change = update.my_chat_member
    if change is None:
        return
    if change.new_chat_member.status in GONE:
        reason = f"bot {change.new_chat_member.status}"
        await context.services.chats.leave(chat_of(update).id, reason)
    else:
        chat = await current_chat(update, context)
        if chat.type != ChatType.PRIVATE and change.from_user is not None:
            # Whoever added the bot is offered the chat in their Mini App, once Telegram
            # confirms there that they administer it.
            await context.services.chats.seen_administering(chat.id, change.from_user.id)


async def group_migrated(update: Update, context: WartaContext) -> None:
    """Keep a group's topics, regions and settings when it becomes a supergroup."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await context.services.chats.migrate(chat_of(update).id, message.migrate_to_chat_id)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated))

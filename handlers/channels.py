"""/channel: manage a channel's alerts from a private chat."""

from __future__ import annotations

from telegram import ChatMemberAdministrator, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import CommandHandler

from bot.context import WartaApp, WartaContext
from handlers.replies import command_argument, current_chat, quote, reply, still_administers
from storage.models import Chat

OFF_WORDS = frozenset({"off", "mati", "selesai"})


async def channel(update: Update, context: WartaContext) -> None:
    """Link a channel the user administers (the bot must be able to post), or stop managing it."""
    chat = await current_chat(update, context)
    if chat.type != ChatType.PRIVATE:
        await reply(update, chat, "channel_private_only")
        return
    argument = command_argument(update).split(maxsplit=1)
    if not argument:
        await reply(update, chat, "channel_usage")
        return
    if argument[0].casefold() in OFF_WORDS:
        await context.services.chats.stop_managing(chat)
        await reply(update, chat, "channel_off")
        return
    await _link(update, context, chat, argument[0][:64])


async def _link(update: Update, context: WartaContext, chat: Chat, name: str) -> None:
    """Check the channel and both administrators, then let this chat manage the channel."""
    try:
        found = await context.bot.get_chat(
            name if name.lstrip("-").isdigit() else f"@{name.lstrip('@')}"
        )
    except (BadRequest, Forbidden):
        await reply(update, chat, "channel_not_found", channel=quote(name))
        return
    if found.type != ChatType.CHANNEL:
        await reply(update, chat, "channel_not_a_channel", channel=quote(name))
        return
    user_id = update.effective_user.id if update.effective_user else 0
    title = found.title or name
    problem = await _link_problem(context, found.id, user_id)
    if problem:
        await reply(update, chat, problem, channel=quote(title))
        return
    await context.services.chats.link_channel(chat, found.id, title)
    await reply(update, chat, "channel_linked", channel=quote(title))


async def _link_problem(context: WartaContext, channel_id: int, user_id: int) -> str | None:
    """Why this user may not link this channel (a catalogue key), or None if all is well."""
    bot_member = await context.bot.get_chat_member(channel_id, context.bot.id)
    if not (isinstance(bot_member, ChatMemberAdministrator) and bot_member.can_post_messages):
        return "channel_bot_cannot_post"
    if not await still_administers(context, channel_id, user_id):
        return "channel_user_not_admin"
    return None


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["channel", "kanal"], channel))

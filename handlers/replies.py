"""Small shared pieces of replying: the chat asking, its language, escaping."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import CallbackQuery, ChatMember, Message, MessageEntity, Update
from telegram import Chat as TelegramChat

from bot.context import WartaContext
from bot.i18n import language_for, text
from storage.models import Chat

_TAGS = re.compile(r"<[^>]*>")


def quote(value: str) -> str:
    """A reader's text shown back to them, escaped and in bold."""
    return f"<b>{html.escape(value)}</b>"


def command_argument(update: Update) -> str:
    """Everything after the command word, whatever whitespace (a newline, a tab) follows it."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    command = next(
        (
            entity
            for entity in message.entities
            if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0
        ),
        None,
    )
    if command is None:  # not a command as Telegram sees it: the first word stands for it
        word = (message.text.split(maxsplit=1) or [""])[0]
    else:  # the entity counts UTF-16 units; parse_entity gives the command as characters
        word = message.parse_entity(command)
    return message.text[len(word) :].strip()


def message_of(update: Update) -> Message:
    """The update's message (handlers are registered only for updates that have one)."""
    message = update.effective_message
    if message is None:
        raise ValueError("update carries no message")
    return message


def chat_of(update: Update) -> TelegramChat:
    """The update's Telegram chat."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update carries no chat")
    return chat


async def current_chat(update: Update, context: WartaContext) -> Chat:
    """The chat as stored, registered (or re-activated) first if needed: talking revives it."""
    storage = context.services.storage
    telegram_chat = chat_of(update)
    stored = await storage.get_chat(telegram_chat.id)
    if stored is None or not stored.active:
        user = update.effective_user
        await storage.register_chat(
            telegram_chat.id,
            telegram_chat.type,
            telegram_chat.title or telegram_chat.full_name or telegram_chat.username or "",
            context.services.clock(),
            language_for(user.language_code if user else None),
        )
        stored = await storage.get_chat(telegram_chat.id)
        assert stored is not None
    return stored


async def reply(update: Update, chat: Chat, key: str, **values: object) -> Message:
    """Answer in the chat's language with a catalogue message."""
    return await message_of(update).reply_html(text(key, chat.language, **values))


def is_admin(update: Update, context: WartaContext) -> bool:
    """Whether the sender is one of the operators named in WARTA_ADMINS."""
    user = update.effective_user
    return user is not None and user.id in context.settings.admins


GROUP_ADMIN_STATUSES = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})


async def sender_is_group_admin(update: Update, context: WartaContext) -> bool:
    """Ask Telegram whether the sender administers this group (anonymous admins count)."""
    message = update.effective_message
    telegram_chat = chat_of(update)
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == telegram_chat.id
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(telegram_chat.id, user.id)
    return member.status in GROUP_ADMIN_STATUSES


async def configurable_chat(update: Update, context: WartaContext) -> tuple[Chat, Chat] | None:
    """(the chat to answer, the chat whose settings change); None after refusing a member.

    In a group only its administrators may change it. A private chat that manages a channel
    changes the channel.
    """
    chat = await current_chat(update, context)
    if chat.is_group and not await sender_is_group_admin(update, context):
        if update.callback_query is not None:
            refusal = text("group_admins_only", chat.language)
            await update.callback_query.answer(_TAGS.sub("", refusal), show_alert=True)
        else:
            await reply(update, chat, "group_admins_only")
        return None
    if chat.managing is not None:
        channel = await context.services.storage.get_chat(chat.managing)
        if channel is not None and channel.active:
            return chat, channel
    return chat, chat


def target_note(chat: Chat, target: Chat) -> str:
    """A line saying which channel a command changed, when it was not this chat."""
    if target.id == chat.id:
        return ""
    return text("channel_target_note", chat.language, channel=quote(target.title)) + "\n"


@dataclass(frozen=True, slots=True)
class Press:
    """A settings-changing button press: the query, its data, and the chats involved."""

    query: CallbackQuery
    data: str
    chat: Chat
    target: Chat


async def configuring_press(update: Update, context: WartaContext) -> Press | None:
    """The pressed button, if the presser may change the chat (else refused and None)."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    chats = await configurable_chat(update, context)
    if chats is None:
        return None
    return Press(query, query.data, *chats)


async def answer_outdated(query: CallbackQuery, language: str) -> None:
    """Answer a press on a button (or a message) that is out of date, with a short toast."""
    await query.answer(text("button_outdated", language))

"""Shared pieces of the handlers: the chat asking, who may change it, replies, button answers."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    ChatMember,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram import Chat as TelegramChat
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import WartaContext
from bot.i18n import language_for, text
from storage.models import Chat

_TAGS = re.compile(r"<[^>]*>")
TOAST_LIMIT = 200  # characters of a button answer (answerCallbackQuery)


def plain_text(message_html: str) -> str:
    """A catalogue message without its HTML, for button answers (which take plain text)."""
    return html.unescape(_TAGS.sub("", message_html))


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
    return user is not None and user.id in context.config.admins


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
    """(the chat to answer, the chat whose settings change); None after refusing, with why.

    In a group only its administrators may change it. A private chat that manages a channel
    changes the channel, while its user still administers it.
    """
    chat = await current_chat(update, context)
    if chat.is_group and not await sender_is_group_admin(update, context):
        await refuse(update, chat, "group_admins_only")
        return None
    target = await managed_target(update, context, chat)
    return None if target is None else (chat, target)


async def managed_target(update: Update, context: WartaContext, chat: Chat) -> Chat | None:
    """The channel this chat manages, or the chat itself; None after unlinking a channel
    whose administrators no longer include the user (who is told why)."""
    storage = context.services.storage
    channel = await storage.get_chat(chat.managing) if chat.managing is not None else None
    if channel is None or not channel.active:
        return chat
    user = update.effective_user
    if user is not None and await still_administers(context, channel.id, user.id):
        return channel
    await storage.update_chat(chat.id, managing=None)
    if channel.managed_by == chat.id:
        await storage.update_chat(channel.id, managed_by=None)
    await refuse(update, chat, "channel_admin_lost", channel=quote(channel.title))
    return None


async def still_administers(context: WartaContext, channel_id: int, user_id: int) -> bool:
    """Whether Telegram lists the user among the channel's administrators (asked once a minute)."""
    confirmations = context.channel_admins
    now = context.services.clock()
    if confirmations.confirmed(channel_id, user_id, now):
        return True
    try:
        member = await context.bot.get_chat_member(channel_id, user_id)
    except (BadRequest, Forbidden):  # the channel is gone, or the bot is no longer in it
        member = None
    if member is None or member.status not in GROUP_ADMIN_STATUSES:
        confirmations.forget(channel_id, user_id)
        return False
    confirmations.remember(channel_id, user_id, now)
    return True


async def refuse(update: Update, chat: Chat, key: str, **values: object) -> None:
    """Say why a change was refused: an alert on a pressed button, else a reply."""
    if update.callback_query is not None:
        refusal = plain_text(text(key, chat.language, **values))
        await update.callback_query.answer(refusal, show_alert=True)
    else:
        await reply(update, chat, key, **values)


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


async def answer_outdated(query: CallbackQuery, language: str, done: str | None = None) -> None:
    """Answer a press on a button (or a message) that is out of date, with a short toast."""
    outdated = text("button_outdated", language)
    if done:  # what the press did comes first; a toast holds at most 200 characters
        outdated = f"{done[: TOAST_LIMIT - len(outdated) - 2]}\n{outdated}"
    await query.answer(outdated)


def is_not_modified(error: TelegramError) -> bool:
    """Telegram refused an edit that would change nothing (two quick presses ask for one view)."""
    return "message is not modified" in error.message.lower()


def is_uneditable(error: TelegramError) -> bool:
    """Telegram refused an edit because the message is gone or too old to edit."""
    lowered = error.message.lower()
    return "message to edit not found" in lowered or "message can't be edited" in lowered


async def show_on_pressed(
    query: CallbackQuery,
    language: str,
    *,
    message_html: str | None = None,
    markup: InlineKeyboardMarkup | None = None,
    toast: str | None = None,
    link_preview_options: LinkPreviewOptions | None = None,
) -> None:
    """Redraw the pressed button's message (only its buttons without message_html), then
    answer the press with the toast, or say the message is outdated when it cannot change."""
    try:
        if message_html is None:
            await query.edit_message_reply_markup(markup)
        else:
            await query.edit_message_text(
                message_html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=link_preview_options,
            )
    except BadRequest as error:
        if is_uneditable(error):
            await answer_outdated(query, language, toast)
            return
        if not is_not_modified(error):
            raise
    await query.answer(toast)

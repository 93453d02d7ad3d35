"""Shared pieces of the handlers: who may ask, the chat asking, replies, button answers.

A handler is guarded by one decorator: `admin_only` (WARTA_ADMINS) or `configuring` (who may
change the chat), and receives the chats those guards found. A menu's buttons name the chat the
menu changes (`for_chat`), so that `configuring` can refuse a press once the chat configured from
here is another one (a channel linked or unlinked since the menu was opened).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeAlias

from telegram import (
    CallbackQuery,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    WebAppInfo,
)
from telegram import Chat as TelegramChat
from telegram.constants import CallbackQueryLimit, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import WartaContext
from bot.delivery.render import shorten, split_message, telegram_length
from bot.i18n import language_for, text
from storage.models import Chat

Handler: TypeAlias = Callable[[Update, WartaContext], Coroutine[Any, Any, None]]
AdminHandler: TypeAlias = Callable[[Update, WartaContext, Chat], Awaitable[None]]
ConfiguringHandler: TypeAlias = Callable[[Update, WartaContext, Chat, Chat], Awaitable[None]]

_TAGS = re.compile(r"<[^>]*>")
# How much of one value (a topic as written, a region, a feed's title) a reply shows back, and
# of a list of them: a reply grows with what readers write and feeds send, Telegram's messages
# do not (4,096 characters).
SHOWN_UNITS = 130
LISTED_UNITS = 1500
# The end of a button's data that names its menu's chat: "@" and the chat's id (a channel's has
# 14 characters), matched into the group named "chat". Buttons sent before it have none.
BUTTON_CHAT = r"(?:@(?P<chat>-?\d{1,20}))?"


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


def pressed(update: Update) -> CallbackQuery:
    """The pressed button's query (button handlers are registered only for those)."""
    query = update.callback_query
    if query is None:
        raise ValueError("update carries no button press")
    return query


def matched(context: WartaContext) -> re.Match[str]:
    """The match of the button's data against its handler's pattern, found by PTB."""
    if not context.matches:
        raise ValueError("the handler was registered without a pattern")
    return context.matches[0]


async def current_chat(update: Update, context: WartaContext) -> Chat:
    """The chat as stored, registered (or re-activated) first if needed: talking revives it."""
    telegram_chat = chat_of(update)
    user = update.effective_user
    return await context.services.chats.enter(
        telegram_chat.id,
        telegram_chat.type,
        telegram_chat.title or telegram_chat.full_name or telegram_chat.username or "",
        language_for(user.language_code if user else None),
    )


async def reply(update: Update, chat: Chat, key: str, **values: object) -> Message:
    """Answer in the chat's language with a catalogue message."""
    return await message_of(update).reply_text(text(key, chat.language, **values))


async def reply_lines(
    update: Update, lines: Sequence[str], *, reply_markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Answer with lines of Telegram HTML, in as many messages as Telegram's length needs
    (split between lines; the markup goes with the last); the last message."""
    *first, last = split_message(lines)
    for part in first:
        await message_of(update).reply_text(part)
    return await message_of(update).reply_text(last, reply_markup=reply_markup)


def shown(value: str, units: int = SHOWN_UNITS) -> str:
    """A reader's or a feed's text shown back, escaped, in bold, and cut to a length that
    leaves room for the rest of the reply."""
    return quote(shorten(" ".join(value.split()), units))


def listed(values: Sequence[str], language: str, units: int = LISTED_UNITS) -> str:
    """Values shown back one after the other (as `shown`), as many as fit in units, then how
    many more there are."""
    parts: list[str] = []
    used = 0
    for value in values:
        part = shown(value)
        used += telegram_length(part) + 2
        if parts and used > units:
            rest = len(values) - len(parts)
            return ", ".join(parts) + " " + text("reply_more", language, count=rest)
        parts.append(part)
    return ", ".join(parts)


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
    if member.status not in GROUP_ADMIN_STATUSES:
        return False
    # So the administrator's Mini App offers this group too (Telegram is asked again there).
    await context.services.chats.seen_administering(telegram_chat.id, user.id)
    return True


def admin_only(handler: AdminHandler) -> Handler:
    """Run the handler for the operators named in WARTA_ADMINS, with their chat; refuse others."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: WartaContext) -> None:
        # Registering first means an admin sees announcements as readers will.
        chat = await current_chat(update, context)
        if not is_admin(update, context):
            await refuse(update, chat, "admin_only")
            return
        await handler(update, context, chat)

    return guarded


def for_chat(data: str, target: Chat) -> str:
    """A menu button's data, naming the chat the menu changes (see BUTTON_CHAT)."""
    return f"{data}@{target.id}"


def menu_chat(update: Update, context: WartaContext) -> int | None:
    """The chat a pressed button's menu was opened for; None for a command, or for a button
    sent before buttons named their chat (which changes the chat configured from here)."""
    if update.callback_query is None or not context.matches:
        return None
    named = context.matches[0].groupdict().get("chat")
    return int(named) if named else None


def configuring(handler: ConfiguringHandler) -> Handler:
    """Run the handler with (the chat to answer, the chat to change) if the sender may change it.

    In a group only its administrators may change it. A private chat that manages a channel
    changes the channel, while its user still administers it. Anyone else is told why not.
    A button whose menu was opened for another chat than the one configured from here now
    changes nothing and says so.
    """

    @functools.wraps(handler)
    async def guarded(update: Update, context: WartaContext) -> None:
        chat = await current_chat(update, context)
        if chat.is_group and not await sender_is_group_admin(update, context):
            await refuse(update, chat, "group_admins_only")
            return
        target = await managed_target(update, context, chat)
        if target is None:
            return
        opened_for = menu_chat(update, context)
        if opened_for is not None and opened_for != target.id:
            await toast(pressed(update), chat.language, "menu_other_chat")
            return
        await handler(update, context, chat, target)

    return guarded


async def managed_target(update: Update, context: WartaContext, chat: Chat) -> Chat | None:
    """The channel this chat manages, or the chat itself; None after unlinking a channel
    whose administrators no longer include the user (who is told why)."""
    chats = context.services.chats
    channel = await chats.managed_channel(chat)
    if channel is None:
        return chat
    user = update.effective_user
    if user is not None and await still_administers(context, channel.id, user.id):
        return channel
    await chats.unlink_channel(chat, channel)
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


def toast_text(key: str, language: str, **values: object) -> str:
    """A catalogue message as a button answer takes it: plain text, the values as they are."""
    escaped = {name: html.escape(v) if isinstance(v, str) else v for name, v in values.items()}
    answer = plain_text(text(key, language, **escaped))
    limit = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
    # A value from a feed or a reader (a feed's name) must not push the answer past the limit.
    return answer if len(answer) <= limit else answer[: limit - 1] + "…"


async def toast(query: CallbackQuery, language: str, key: str, **values: object) -> None:
    """Answer a press with a short catalogue message."""
    await query.answer(toast_text(key, language, **values))


def target_note(chat: Chat, target: Chat) -> str:
    """A line saying which channel a command changed, when it was not this chat."""
    if target.id == chat.id:
        return ""
    return text("channel_target_note", chat.language, channel=quote(target.title)) + "\n"


async def answer_outdated(query: CallbackQuery, language: str, done: str | None = None) -> None:
    """Answer a press on a button (or a message) that is out of date, with a short toast."""
    outdated = text("button_outdated", language)
    if done:  # what the press did comes first, within what a toast holds
        room = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH - len(outdated) - 2
        outdated = f"{done[:room]}\n{outdated}"
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
) -> None:
    """Redraw the pressed button's message (only its buttons without message_html), then
    answer the press with the toast, or say the message is outdated when it cannot change."""
    try:
        if message_html is None:
            await query.edit_message_reply_markup(markup)
        else:
            await query.edit_message_text(message_html, reply_markup=markup)
    except BadRequest as error:
        if is_uneditable(error):
            await answer_outdated(query, language, toast)
            return
        if not is_not_modified(error):
            raise
    await query.answer(toast)


def web_app_rows(
    context: WartaContext, chat: Chat, markup: InlineKeyboardMarkup | None = None
) -> InlineKeyboardMarkup | None:
    """`markup` with a first row that opens the Mini App, in a private chat when it is on
    (Telegram allows Web App buttons in private chats only)."""
    webapp = context.services.webapp
    if webapp is None or chat.type != ChatType.PRIVATE:
        return markup
    button = InlineKeyboardButton(
        text("webapp_open", chat.language), web_app=WebAppInfo(webapp.url)
    )
    rows = list(markup.inline_keyboard) if markup is not None else []
    return InlineKeyboardMarkup([[button], *rows])

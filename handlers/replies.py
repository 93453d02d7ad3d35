"""Small shared pieces of replying: escaping and who is asking."""

from __future__ import annotations

import html

from telegram import Chat, Message, Update

from bot.context import WartaContext


def quote(value: str) -> str:
    """A reader's text shown back to them, escaped and in bold."""
    return f"<b>{html.escape(value)}</b>"


def command_argument(update: Update) -> str:
    """Everything after the command word, as the user typed it."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    _, _, rest = message.text.partition(" ")
    return rest.strip()


def message_of(update: Update) -> Message:
    """The update's message (handlers are registered only for updates that have one)."""
    message = update.effective_message
    if message is None:
        raise ValueError("update carries no message")
    return message


def chat_of(update: Update) -> Chat:
    """The update's chat."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update carries no chat")
    return chat


async def register_chat(update: Update, context: WartaContext) -> None:
    """Make sure the chat is known and active: talking to the bot re-activates it."""
    chat = chat_of(update)
    title = chat.title or chat.full_name or chat.username or ""
    await context.services.storage.register_chat(
        chat.id, chat.type, title, context.services.clock()
    )


def is_admin(update: Update, context: WartaContext) -> bool:
    """Whether the sender is one of the operators named in WARTA_ADMINS."""
    user = update.effective_user
    return user is not None and user.id in context.settings.admins

"""/subscribe, /unsubscribe and /list: a chat's topics."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import WartaApp, WartaContext
from bot.i18n import text
from bot.matching import TopicSyntaxError
from bot.subscriptions import SubscribeOutcome
from handlers.replies import command_argument, current_chat, message_of, quote, reply
from storage.models import Chat

UNSUBSCRIBE_PREFIX = "unsub:"


def describe_topic_error(error: TopicSyntaxError, language: str) -> str:
    """The catalogue's explanation of why a topic was refused."""
    return text(f"topic_error_{error.code}", language, detail=quote(error.detail))


def describe_outcome(outcome: SubscribeOutcome, limit: int, language: str) -> str:
    """One reply covering every topic of a /subscribe."""
    lines = []
    if outcome.added:
        lines.append(text("subscribe_added", language, topics=_joined(outcome.added)))
    if outcome.existing:
        lines.append(text("subscribe_existing", language, topics=_joined(outcome.existing)))
    for topic, error in outcome.refused:
        reason = describe_topic_error(error, language)
        lines.append(text("subscribe_refused", language, topic=quote(topic), reason=reason))
    if outcome.over_limit:
        lines.append(
            text("subscribe_limit", language, limit=limit, topics=_joined(outcome.over_limit))
        )
    if outcome.added:
        lines.append(text("subscribe_hint_list", language))
    return "\n".join(lines)


def _joined(topics: list[str]) -> str:
    return ", ".join(map(quote, topics))


async def subscribe(update: Update, context: WartaContext) -> None:
    """Follow one or more comma-separated topics."""
    chat = await current_chat(update, context)
    argument = command_argument(update)
    if not argument:
        await reply(update, chat, "subscribe_usage")
        return
    subscriptions = context.services.subscriptions
    outcome = await subscriptions.subscribe(chat.id, argument)
    await message_of(update).reply_html(
        describe_outcome(outcome, subscriptions.limit, chat.language)
    )


async def unsubscribe(update: Update, context: WartaContext) -> None:
    """Stop following a topic, or offer a button per topic."""
    chat = await current_chat(update, context)
    argument = command_argument(update)
    if not argument:
        prompt, buttons = await _topic_buttons(context, chat)
        await message_of(update).reply_html(prompt, reply_markup=buttons)
        return
    removed = await context.services.subscriptions.unsubscribe(chat.id, argument)
    key = "unsubscribe_done" if removed else "unsubscribe_missing"
    shown = removed.text if removed else argument[:100]
    await reply(update, chat, key, topic=quote(shown))


async def unsubscribe_button(update: Update, context: WartaContext) -> None:
    """Remove the topic whose button was pressed, then refresh the buttons."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    chat = await current_chat(update, context)
    topic_id = int(query.data.removeprefix(UNSUBSCRIBE_PREFIX))
    removed = await context.services.subscriptions.unsubscribe_id(chat.id, topic_id)
    if removed is None:
        await query.answer(text("unsubscribe_gone", chat.language))
        return
    await query.answer(text("unsubscribe_toast", chat.language, topic=removed.text))
    prompt, buttons = await _topic_buttons(context, chat, removed.text)
    await query.edit_message_text(prompt, parse_mode=ParseMode.HTML, reply_markup=buttons)


async def _topic_buttons(
    context: WartaContext, chat: Chat, removed: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The unsubscribe prompt and one button per remaining topic."""
    topics = await context.services.storage.list_topics(chat.id)
    language = chat.language
    prefix = text("unsubscribe_done", language, topic=quote(removed)) + "\n\n" if removed else ""
    if not topics:
        return prefix + text("no_topics", language), None
    buttons = [
        [InlineKeyboardButton(f"❌ {topic.text}", callback_data=f"{UNSUBSCRIBE_PREFIX}{topic.id}")]
        for topic in topics
    ]
    return prefix + text("unsubscribe_choose", language), InlineKeyboardMarkup(buttons)


async def list_topics(update: Update, context: WartaContext) -> None:
    """Show the chat's topics and the other forms each one covers."""
    chat = await current_chat(update, context)
    subscriptions = context.services.subscriptions
    described = await subscriptions.topics(chat.id)
    if not described:
        await reply(update, chat, "no_topics")
        return
    lines = [text("list_header", chat.language, count=len(described), limit=subscriptions.limit)]
    for topic, covers in described:
        lines.append(f"• {html.escape(topic.text)}")
        if covers:
            forms = html.escape(", ".join(covers))
            lines.append(text("list_also_covers", chat.language, forms=forms))
    await message_of(update).reply_html("\n".join(lines))


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["subscribe", "langganan"], subscribe))
    app.add_handler(CommandHandler(["unsubscribe", "berhenti"], unsubscribe))
    app.add_handler(CommandHandler(["list", "topik"], list_topics))
    app.add_handler(CallbackQueryHandler(unsubscribe_button, pattern=r"^unsub:\d{1,18}$"))

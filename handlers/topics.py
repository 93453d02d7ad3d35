"""/subscribe, /unsubscribe and /list: a chat's topics."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import WartaApp, WartaContext
from bot.matching import TopicSyntaxError
from bot.messages import text
from bot.subscriptions import SubscribeOutcome
from handlers.replies import chat_of, command_argument, message_of, quote, register_chat

UNSUBSCRIBE_PREFIX = "unsub:"


def describe_topic_error(error: TopicSyntaxError) -> str:
    """The catalogue's explanation of why a topic was refused."""
    return text(f"topic_error_{error.code}", detail=quote(error.detail))


def describe_outcome(outcome: SubscribeOutcome, limit: int) -> str:
    """One reply covering every topic of a /subscribe."""
    lines = []
    if outcome.added:
        lines.append(text("subscribe_added", topics=", ".join(map(quote, outcome.added))))
    if outcome.existing:
        lines.append(text("subscribe_existing", topics=", ".join(map(quote, outcome.existing))))
    for topic, error in outcome.refused:
        lines.append(
            text("subscribe_refused", topic=quote(topic), reason=describe_topic_error(error))
        )
    if outcome.over_limit:
        lines.append(
            text("subscribe_limit", limit=limit, topics=", ".join(map(quote, outcome.over_limit)))
        )
    if outcome.added:
        lines.append(text("subscribe_hint_list"))
    return "\n".join(lines)


async def subscribe(update: Update, context: WartaContext) -> None:
    """Follow one or more comma-separated topics."""
    argument = command_argument(update)
    if not argument:
        await message_of(update).reply_html(text("subscribe_usage"))
        return
    await register_chat(update, context)
    subscriptions = context.services.subscriptions
    outcome = await subscriptions.subscribe(chat_of(update).id, argument)
    await message_of(update).reply_html(describe_outcome(outcome, subscriptions.limit))


async def unsubscribe(update: Update, context: WartaContext) -> None:
    """Stop following a topic, or offer a button per topic."""
    argument = command_argument(update)
    chat_id = chat_of(update).id
    subscriptions = context.services.subscriptions
    if not argument:
        prompt, buttons = await _topic_buttons(context, chat_id)
        await message_of(update).reply_html(prompt, reply_markup=buttons)
        return
    removed = await subscriptions.unsubscribe(chat_id, argument)
    key = "unsubscribe_done" if removed else "unsubscribe_missing"
    shown = removed.text if removed else argument[:100]
    await message_of(update).reply_html(text(key, topic=quote(shown)))


async def unsubscribe_button(update: Update, context: WartaContext) -> None:
    """Remove the topic whose button was pressed, then refresh the buttons."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    chat_id = chat_of(update).id
    topic_id = int(query.data.removeprefix(UNSUBSCRIBE_PREFIX))
    removed = await context.services.subscriptions.unsubscribe_id(chat_id, topic_id)
    if removed is None:
        await query.answer(text("unsubscribe_gone"))
        return
    await query.answer(text("unsubscribe_done", topic=removed.text).replace("<b>", ""))
    prompt, buttons = await _topic_buttons(context, chat_id, removed.text)
    await query.edit_message_text(prompt, parse_mode=ParseMode.HTML, reply_markup=buttons)


async def _topic_buttons(
    context: WartaContext, chat_id: int, removed: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The unsubscribe prompt and one button per remaining topic."""
    topics = await context.services.storage.list_topics(chat_id)
    prefix = text("unsubscribe_done", topic=quote(removed)) + "\n\n" if removed else ""
    if not topics:
        return prefix + text("no_topics"), None
    buttons = [
        [InlineKeyboardButton(f"❌ {topic.text}", callback_data=f"{UNSUBSCRIBE_PREFIX}{topic.id}")]
        for topic in topics
    ]
    return prefix + text("unsubscribe_choose"), InlineKeyboardMarkup(buttons)


async def list_topics(update: Update, context: WartaContext) -> None:
    """Show the chat's topics and the other forms each one covers."""
    subscriptions = context.services.subscriptions
    described = await subscriptions.topics(chat_of(update).id)
    if not described:
        await message_of(update).reply_html(text("no_topics"))
        return
    lines = [text("list_header", count=len(described), limit=subscriptions.limit)]
    for topic, covers in described:
        lines.append(f"• {html.escape(topic.text)}")
        if covers:
            lines.append(text("list_also_covers", forms=html.escape(", ".join(covers))))
    await message_of(update).reply_html("\n".join(lines))


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["subscribe", "langganan"], subscribe))
    app.add_handler(CommandHandler(["unsubscribe", "berhenti"], unsubscribe))
    app.add_handler(CommandHandler(["list", "topik"], list_topics))
    app.add_handler(CallbackQueryHandler(unsubscribe_button, pattern=r"^unsub:\d{1,18}$"))

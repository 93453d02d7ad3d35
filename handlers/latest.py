"""/latest and /test: stored news that topics match."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import LinkPreviewOptions, Update
from telegram.ext import CommandHandler

from bot.context import WartaApp, WartaContext
from bot.format import AlertView, render_item_list
from bot.i18n import text
from bot.matching import TopicQuery, TopicSyntaxError, parse_topic
from handlers.replies import command_argument, current_chat, message_of, quote, reply
from handlers.topics import describe_refusal
from storage.models import Chat, Item

LATEST_COUNT = 5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _view(item: Item, language: str) -> AlertView:
    published = item.published_at if item.published_at is not None else item.fetched_at
    return AlertView(
        topics=(),
        title=item.title,
        summary=item.summary,
        link=item.link,
        source_name=item.source_name,
        region=item.region,
        published_at=datetime.fromtimestamp(published, tz=UTC),
        language=language,
    )


async def latest(update: Update, context: WartaContext) -> None:
    """The newest stored items matching the given words, or else the chat's topics."""
    chat = await current_chat(update, context)
    argument = command_argument(update)
    if argument:
        await _answer_query(update, context, chat, argument, ("latest_header", "latest_none"))
        return
    queries: list[TopicQuery] = []
    for topic in await context.services.storage.list_topics(chat.id):
        try:
            queries.append(parse_topic(topic.text))
        except TopicSyntaxError:
            continue
    if not queries:
        await reply(update, chat, "no_topics")
        return
    items = await context.services.search.latest(queries, LATEST_COUNT)
    if not items:
        await reply(update, chat, "latest_none_topics")
        return
    await _reply_items(update, items, text("latest_header_topics", chat.language), chat.language)


async def test_topic(update: Update, context: WartaContext) -> None:
    """Show what a topic would have matched among stored items."""
    chat = await current_chat(update, context)
    argument = command_argument(update)
    if not argument:
        await reply(update, chat, "test_usage")
        return
    await _answer_query(update, context, chat, argument, ("test_header", "test_none"))


async def _answer_query(
    update: Update, context: WartaContext, chat: Chat, argument: str, keys: tuple[str, str]
) -> None:
    header_key, none_key = keys
    try:
        query = parse_topic(argument)
    except TopicSyntaxError as error:
        reason = describe_refusal(error.code, error.detail, chat.language)
        await reply(update, chat, "latest_query_invalid", reason=reason)
        return
    items = await context.services.search.latest([query], LATEST_COUNT)
    shown = quote(query.source)
    if not items:
        await reply(update, chat, none_key, query=shown)
        return
    await _reply_items(update, items, text(header_key, chat.language, query=shown), chat.language)


async def _reply_items(update: Update, items: list[Item], header: str, language: str) -> None:
    views = [_view(item, language) for item in items]
    await message_of(update).reply_html(
        render_item_list(views, header), link_preview_options=NO_PREVIEW
    )


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["latest", "terbaru"], latest))
    app.add_handler(CommandHandler(["test", "coba"], test_topic))

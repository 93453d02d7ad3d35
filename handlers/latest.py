"""/latest and /test: stored news that topics match."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import LinkPreviewOptions, Update
from telegram.ext import CommandHandler

from bot.context import WartaApp, WartaContext
from bot.format import AlertView, render_item_list
from bot.matching import TopicQuery, TopicSyntaxError, parse_topic
from bot.messages import text
from handlers.replies import chat_of, command_argument, message_of, quote
from handlers.topics import describe_topic_error
from storage.models import Item

LATEST_COUNT = 5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _view(item: Item) -> AlertView:
    published = item.published_at if item.published_at is not None else item.fetched_at
    return AlertView(
        topics=(),
        title=item.title,
        summary=item.summary,
        link=item.link,
        source_name=item.source_name,
        region=item.region,
        published_at=datetime.fromtimestamp(published, tz=UTC),
    )


async def latest(update: Update, context: WartaContext) -> None:
    """The newest stored items matching the given words, or else the chat's topics."""
    argument = command_argument(update)
    if argument:
        await _answer_query(update, context, argument, "latest_header", "latest_none")
        return
    topics = await context.services.storage.list_topics(chat_of(update).id)
    queries: list[TopicQuery] = []
    for topic in topics:
        try:
            queries.append(parse_topic(topic.text))
        except TopicSyntaxError:
            continue
    if not queries:
        await message_of(update).reply_html(text("no_topics"))
        return
    items = await context.services.search.latest(queries, LATEST_COUNT)
    if not items:
        await message_of(update).reply_html(text("latest_none_topics"))
        return
    header = text("latest_header_topics")
    await message_of(update).reply_html(
        render_item_list([_view(item) for item in items], header), link_preview_options=NO_PREVIEW
    )


async def test_topic(update: Update, context: WartaContext) -> None:
    """Show what a topic would have matched among stored items."""
    argument = command_argument(update)
    if not argument:
        await message_of(update).reply_html(text("test_usage"))
        return
    await _answer_query(update, context, argument, "test_header", "test_none")


async def _answer_query(
    update: Update, context: WartaContext, argument: str, header_key: str, none_key: str
) -> None:
    try:
        query = parse_topic(argument)
    except TopicSyntaxError as error:
        reason = describe_topic_error(error)
        await message_of(update).reply_html(text("latest_query_invalid", reason=reason))
        return
    items = await context.services.search.latest([query], LATEST_COUNT)
    shown = quote(query.source)
    if not items:
        await message_of(update).reply_html(text(none_key, query=shown))
        return
    await message_of(update).reply_html(
        render_item_list([_view(item) for item in items], text(header_key, query=shown)),
        link_preview_options=NO_PREVIEW,
    )


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["latest", "terbaru"], latest))
    app.add_handler(CommandHandler(["test", "coba"], test_topic))

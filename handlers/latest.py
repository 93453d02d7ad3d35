"""/latest and /test: stored news that topics match."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Update
from telegram.ext import CommandHandler

from bot.chats.places import followed_items, newest
from bot.context import WartaApp, WartaContext
from bot.delivery.render import AlertView, render_item_list
from bot.i18n import text
from bot.matching import TopicQuery, TopicSyntaxError, parse_topic
from bot.topics.search import SearchBusyError, SearchResult
from handlers.replies import command_argument, current_chat, message_of, quote, reply
from handlers.topics import describe_refusal
from storage.models import Chat, Item

LATEST_COUNT = 5


def _view(item: Item, chat: Chat) -> AlertView:
    published = item.published_at if item.published_at is not None else item.fetched_at
    return AlertView(
        topics=(),
        title=item.title,
        summary=item.summary,
        link=item.link,
        source_name=item.source_name,
        region=item.region,
        published_at=datetime.fromtimestamp(published, tz=UTC),
        language=chat.language,
        time_zone=chat.time_zone,
    )


async def latest(update: Update, context: WartaContext) -> None:
    """The newest stored items matching the given words, or else the chat's topics."""
    chat = await current_chat(update, context)
    argument = command_argument(update)
    if argument:
        await _answer_query(update, context, chat, argument, ("latest_header", "latest_none"))
        return
    services = context.services
    queries: list[TopicQuery] = []
    topics = await services.storage.list_topics(chat.id)
    for topic in topics:
        if not topic.text:  # a place alone: its stories come with the followed places'
            continue
        try:
            queries.append(parse_topic(topic.text))
        except TopicSyntaxError:
            continue
    placed = await followed_items(services.storage, services.gazetteer, chat.id, LATEST_COUNT)
    alone = any(not topic.text for topic in topics)
    if not queries and not alone and not await services.storage.chat_regions(chat.id):
        await reply(update, chat, "no_topics")
        return
    result = SearchResult()
    if queries:
        searched = await _search(update, context, chat, queries)
        if searched is None:
            return
        result = searched
    result = SearchResult(newest(result.items, placed, LATEST_COUNT), result.complete)
    if not result.items:
        await reply(update, chat, "latest_none_topics")
        return
    await _reply_items(update, result, text("latest_header_topics", chat.language), chat)


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
    result = await _search(update, context, chat, [query])
    if result is None:
        return
    shown = quote(query.source)
    if not result.items:
        await reply(update, chat, none_key, query=shown)
        return
    await _reply_items(update, result, text(header_key, chat.language, query=shown), chat)


async def _search(
    update: Update, context: WartaContext, chat: Chat, queries: list[TopicQuery]
) -> SearchResult | None:
    """The search's result, or None once the reader has been told why there is none."""
    try:
        result = await context.services.search.latest(queries, LATEST_COUNT, chat_id=chat.id)
    except SearchBusyError:
        await reply(update, chat, "latest_busy")
        return None
    if not result.complete and not result.items:
        await reply(update, chat, "latest_too_long")
        return None
    return result


async def _reply_items(update: Update, result: SearchResult, header: str, chat: Chat) -> None:
    views = [_view(item, chat) for item in result.items]
    if not result.complete:
        header = f"{header}\n{text('latest_incomplete', chat.language)}"
    await message_of(update).reply_text(render_item_list(views, header))


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    # Not blocking: the next updates (other chats' commands) are handled while a search runs.
    app.add_handler(CommandHandler(["latest", "terbaru"], latest, block=False))
    app.add_handler(CommandHandler(["test", "coba"], test_topic, block=False))

"""/feeds, /addfeed, /removefeed and /export: the operators' view and control of the feeds."""

from __future__ import annotations

import html
import math
import re
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import WartaApp, WartaContext
from bot.delivery.render import telegram_length
from bot.feeds.discovery import FeedFinder, FeedRefused
from bot.feeds.feedlist import region_name
from bot.feeds.opml import feeds_to_opml
from bot.feeds.schedule import reason_text
from bot.i18n import text
from bot.ops.durations import format_duration
from handlers.replies import (
    admin_only,
    command_argument,
    matched,
    message_of,
    pressed,
    reply,
    show_on_pressed,
    toast_text,
)
from storage.models import Chat, FeedSeed, FeedStatus

PAGE_SIZE = 10
FEEDS_PAGE = re.compile(r"^feeds:page:(\d{1,4})$")
REMOVAL = re.compile(r"^rmfeed:(?:page:(\d{1,4})|del:(\d{1,18}):(\d{1,4}))$")
ERROR_CAPS = (120, 40, 0)  # shorter error texts until a page fits in one message
OPML_FILENAME = "warta-feeds.opml"


@admin_only
async def list_feeds(update: Update, context: WartaContext, chat: Chat) -> None:
    """Every feed with its health, ten to a page."""
    page, markup = await _feeds_page(context, chat, 0)
    await message_of(update).reply_text(page, reply_markup=markup)


@admin_only
async def feeds_page_button(update: Update, context: WartaContext, chat: Chat) -> None:
    """Show another page of /feeds in the same message."""
    page, markup = await _feeds_page(context, chat, int(matched(context).group(1)))
    await show_on_pressed(pressed(update), chat.language, message_html=page, markup=markup)


async def _feeds_page(
    context: WartaContext, chat: Chat, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    now = context.services.clock()
    feeds = await context.services.storage.feed_statuses(now)
    if not feeds:
        return text("feeds_empty", chat.language), None
    pages = math.ceil(len(feeds) / PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    shown = feeds[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    header = text("feeds_header", chat.language, count=len(feeds), page=page + 1, pages=pages)
    for cap in ERROR_CAPS:
        entries = [_feed_entry(feed, chat.language, now, cap) for feed in shown]
        message = "\n\n".join([header, *entries])
        if telegram_length(message) <= MessageLimit.MAX_TEXT_LENGTH:
            break
    return message, _pager("feeds:page:", page, pages)


def _feed_entry(feed: FeedStatus, language: str, now: float, error_cap: int) -> str:
    mark = "✅" if feed.last_success_at is not None else "⏳"
    if feed.consecutive_failures:
        mark = "⚠️"
    last = (
        text("feeds_ago", language, duration=format_duration(now - feed.last_success_at, language))
        if feed.last_success_at is not None
        else text("feeds_never", language)
    )
    entry = text(
        "feeds_entry",
        language,
        mark=mark,
        name=html.escape(feed.name[:60]),
        region=html.escape(feed.region[:30]) or text("feeds_no_region", language),
        host=html.escape((urlsplit(feed.url).hostname or feed.url)[:50]),
        last_success=last,
        items=feed.items_24h,
    )
    entry += "\n" + feed_interval(feed, language)
    if feed.consecutive_failures and error_cap:
        error = html.escape((feed.last_error or "")[:error_cap])
        failing = text("feeds_entry_failing", language, failures=feed.consecutive_failures)
        entry += f"\n{failing} {error}"
    return entry


def feed_interval(feed: FeedStatus, language: str) -> str:
    """How often a feed is polled now and why, e.g. "checked every 1 min: its publishing rate"."""
    if feed.poll_interval is None or feed.poll_reason is None:
        return text("feeds_interval_pending", language)
    return text(
        "feeds_interval",
        language,
        interval=format_duration(feed.poll_interval, language),
        why=html.escape(reason_text(feed.poll_reason, language)),
    )


def _pager(prefix: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=f"{prefix}{page - 1}"))
    if page < pages - 1:
        row.append(InlineKeyboardButton("▶", callback_data=f"{prefix}{page + 1}"))
    return InlineKeyboardMarkup([row]) if row else None


@admin_only
async def add_feed(update: Update, context: WartaContext, chat: Chat) -> None:
    """Fetch a URL once, find its feed and add it, named from the feed's title."""
    url, region = _url_and_region(command_argument(update))
    if not url:
        await reply(update, chat, "addfeed_usage")
        return
    services = context.services
    config = services.config
    finder = FeedFinder(
        services.http, max_bytes=config.max_feed_bytes, timeout=config.fetch_timeout * 2
    )
    try:
        found = await finder.find(url)
    except FeedRefused as refused:
        detail = html.escape(refused.detail[:300])
        reason = text(f"addfeed_refused_{refused.code}", chat.language, detail=detail)
        await message_of(update).reply_text(reason)
        return
    user = update.effective_user
    seed = FeedSeed(found.url, found.title, region)
    added = await services.storage.add_feed(seed, user.id if user else None, services.clock())
    services.poll_soon()  # a new feed's first fetch is at once, not at its next poll
    lines = [] if found.url == url else [text("addfeed_found_on_page", chat.language)]
    lines.append(
        text(
            f"addfeed_{added.outcome}",
            chat.language,
            name=html.escape(found.title),
            region=html.escape(region) or text("feeds_no_region", chat.language),
            count=found.entries,
            url=html.escape(found.url),
        )
    )
    await message_of(update).reply_text("\n".join(lines))


def _url_and_region(argument: str) -> tuple[str, str]:
    """ "/addfeed URL [region words]": the URL (https:// if no scheme) and the region."""
    url, *region = argument.split(maxsplit=1) or [""]
    if url and "://" not in url:
        url = "https://" + url
    return url, region_name(region[0]) if region else ""


@admin_only
async def remove_feed(update: Update, context: WartaContext, chat: Chat) -> None:
    """Offer one button per feed; a feed's items stay for /latest."""
    prompt, markup = await _removal_page(context, chat, 0)
    await message_of(update).reply_text(prompt, reply_markup=markup)


@admin_only
async def removal_button(update: Update, context: WartaContext, chat: Chat) -> None:
    """Remove the feed whose button was pressed, or turn the page; refresh the buttons."""
    page_only, feed_id, page = matched(context).groups()
    removed, toast = None, None
    if page_only is None:
        services = context.services
        removed = await services.storage.remove_feed(int(feed_id), services.clock())
        key = "removefeed_toast" if removed is not None else "removefeed_gone"
        toast = toast_text(key, chat.language, name=removed or "")
    number = int(page_only if page_only is not None else page)
    prompt, markup = await _removal_page(context, chat, number, removed)
    await show_on_pressed(
        pressed(update), chat.language, message_html=prompt, markup=markup, toast=toast
    )


async def _removal_page(
    context: WartaContext, chat: Chat, page: int, removed: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    feeds = await context.services.storage.feed_statuses(context.services.clock())
    language = chat.language
    done = text("removefeed_done", language, name=html.escape(removed)) + "\n\n" if removed else ""
    if not feeds:
        return done + text("feeds_empty", language), None
    pages = math.ceil(len(feeds) / PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    rows = [
        [InlineKeyboardButton(_removal_label(feed), callback_data=f"rmfeed:del:{feed.id}:{page}")]
        for feed in feeds[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    pager = _pager("rmfeed:page:", page, pages)
    if pager is not None:
        rows.append(list(pager.inline_keyboard[0]))
    prompt = text("removefeed_choose", language, page=page + 1, pages=pages)
    return done + prompt, InlineKeyboardMarkup(rows)


def _removal_label(feed: FeedStatus) -> str:
    region = f" · {feed.region[:25]}" if feed.region else ""
    return f"🗑 {feed.name[:40]}{region}"


@admin_only
async def export_feeds(update: Update, context: WartaContext, chat: Chat) -> None:
    """Send the feeds as an OPML document."""
    feeds = await context.services.storage.list_feeds()
    seeds = [FeedSeed(feed.url, feed.name, feed.region) for feed in feeds]
    document = feeds_to_opml(seeds, text("export_title", chat.language))
    await message_of(update).reply_document(
        document,
        filename=OPML_FILENAME,
        caption=text("export_caption", chat.language, count=len(seeds)),
    )


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler("feeds", list_feeds))
    app.add_handler(CommandHandler("addfeed", add_feed))
    app.add_handler(CommandHandler("removefeed", remove_feed))
    app.add_handler(CommandHandler("export", export_feeds))
    app.add_handler(CallbackQueryHandler(feeds_page_button, pattern=FEEDS_PAGE))
    app.add_handler(CallbackQueryHandler(removal_button, pattern=REMOVAL))

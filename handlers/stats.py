"""/stats: how the bot is doing, in figures and a chart of alerts per day."""

from __future__ import annotations

import asyncio
import html

from telegram import Message, Update
from telegram.constants import MessageLimit
from telegram.ext import CommandHandler

from bot.context import WartaApp, WartaContext
from bot.delivery.render import telegram_length
from bot.i18n import text
from bot.ops.charts import ChartLabels, alerts_chart, alerts_table, daily_series
from bot.wib import wib_at, wib_offset_at
from handlers.replies import admin_only, message_of
from storage.models import BotStats, Chat
from storage.stats import CHART_DAYS, DAY

# Topics listed by how often readers asked "why" about them or narrowed them.
TOP_EXPLAINED = 10


@admin_only
async def show_stats(update: Update, context: WartaContext, chat: Chat) -> None:
    """Send the chart with the figures as its caption (or after it, when they are too long)."""
    storage = context.services.storage
    now = context.services.clock()
    figures = await storage.bot_stats(now, wib_offset_at(now))
    report = stats_text(figures, await storage.outbox_backlog(), chat.language)
    provinces = await storage.alerts_per_province(now - 7 * DAY)
    report += province_text(context, provinces, chat.language)
    report += explain_text(
        await storage.explain_counts(now - 7 * DAY, TOP_EXPLAINED), chat.language
    )
    today = wib_at(now).date()
    labels = ChartLabels(
        text("stats_chart_title", chat.language, days=CHART_DAYS),
        text("stats_chart_sent", chat.language),
        text("stats_chart_failed", chat.language),
    )
    series = daily_series(figures.alerts_per_day, today, CHART_DAYS)
    # Drawing takes a moment of CPU: off the event loop, so alerts keep flowing meanwhile.
    png = await asyncio.to_thread(alerts_chart, series, labels)
    message = message_of(update)
    if png is None:
        # Installed without the `charts` extra: the same figures as a table.
        await _reply_in_parts(message, report, alerts_table(series, labels))
        return
    if telegram_length(report) <= MessageLimit.CAPTION_LENGTH:
        await message.reply_photo(png, caption=report)
        return
    await message.reply_photo(png, caption=html.escape(labels.title))
    await message.reply_text(report)


async def _reply_in_parts(message: Message, *parts: str) -> None:
    """The parts as one message, or one message each when together they are too long."""
    joined = "\n\n".join(parts)
    if telegram_length(joined) <= MessageLimit.MAX_TEXT_LENGTH:
        await message.reply_text(joined)
        return
    for part in parts:
        await message.reply_text(part)


def stats_text(figures: BotStats, backlog: int, language: str) -> str:
    """The figures of /stats as one message."""
    lines = [
        text(
            "stats_summary",
            language,
            active=figures.active_chats,
            inactive=figures.inactive_chats,
            topics=figures.topics,
            healthy=figures.feeds_healthy,
            failing=figures.feeds_failing,
            sent_24h=figures.alerts_24h[0],
            failed_24h=figures.alerts_24h[1],
            sent_7d=figures.alerts_7d[0],
            failed_7d=figures.alerts_7d[1],
            backlog=backlog,
        )
    ]
    if figures.top_topics:
        lines.append(text("stats_top_topics", language, count=len(figures.top_topics)))
        for rank, (topic, chats) in enumerate(figures.top_topics, start=1):
            lines.append(
                text("stats_topic_line", language, rank=rank, topic=html.escape(topic), count=chats)
            )
    return "\n".join(lines)


def explain_text(counts: list[tuple[str, int, int]], language: str) -> str:
    """How often readers asked "why" and narrowed, per topic, over 7 days ("" if never): where
    matching disappoints."""
    if not counts:
        return ""
    lines = [
        text("stats_explain_line", language, topic=html.escape(topic), whys=whys, narrowed=narrowed)
        for topic, whys, narrowed in counts
    ]
    return "\n\n" + "\n".join([text("stats_explain", language), *lines])


def province_text(context: WartaContext, counts: list[tuple[str, int]], language: str) -> str:
    """The alerts of the last 7 days per province where their stories happen ("" if none)."""
    gazetteer = context.services.gazetteer
    lines = [
        text("stats_province_line", language, province=html.escape(place.name), count=count)
        for code, count in counts
        if (place := gazetteer.by_code(code)) is not None
    ]
    if not lines:
        return ""
    return "\n\n" + "\n".join([text("stats_provinces", language), *lines])


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler("stats", show_stats))

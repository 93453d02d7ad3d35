"""/broadcast: an announcement previewed, sent to every active chat and followed to the end."""

from __future__ import annotations

import logging
import re

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import Services, WartaApp, WartaContext
from bot.delivery.failures import REASONS, failure_counts
from bot.delivery.richtext import html_after_command
from bot.i18n import DEFAULT_LANGUAGE, text
from bot.jobs import Periodic
from bot.ops.durations import format_duration
from handlers.replies import (
    admin_only,
    command_argument,
    is_not_modified,
    matched,
    message_of,
    pressed,
    reply,
    show_on_pressed,
    toast,
)
from storage.broadcasts import RECENT_SECONDS
from storage.models import BroadcastJob, BroadcastStatus, Chat

log = logging.getLogger(__name__)

PREFIX = "bcast"
CALLBACK = re.compile(rf"^{PREFIX}:(send|cancel|stop):(\d{{1,18}})$")
PROGRESS_SECONDS = 2.0  # how often the progress message may change
NOMINAL_RATE = 29.0  # messages a second, until the broadcast's own pace can be measured
BAR_CELLS = 10


@admin_only
async def broadcast(update: Update, context: WartaContext, chat: Chat) -> None:
    """Show the announcement as readers will get it, with Send and Cancel buttons."""
    message = message_of(update)
    body = html_after_command(message.text or "", message.entities)
    if not body.strip():
        await reply(update, chat, "broadcast_usage")
        return
    services = context.services
    broadcast_id = await services.storage.draft_broadcast(chat.id, body, services.clock())
    count = await services.storage.audience_size()
    # The first message is exactly what readers get; the second asks to confirm.
    await message.reply_text(body)
    buttons = InlineKeyboardMarkup(
        [
            [
                _button(
                    text("broadcast_button_send", chat.language, count=count), "send", broadcast_id
                ),
                _button(text("broadcast_button_cancel", chat.language), "cancel", broadcast_id),
            ]
        ]
    )
    await message.reply_text(
        text("broadcast_preview", chat.language, id=broadcast_id, count=count),
        reply_markup=buttons,
    )


def _button(label: str, action: str, broadcast_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"{PREFIX}:{action}:{broadcast_id}")


@admin_only
async def broadcast_button(update: Update, context: WartaContext, chat: Chat) -> None:
    """Send or cancel a previewed announcement, or stop one being sent."""
    query = pressed(update)
    action, number = matched(context).groups()
    broadcast_id = int(number)
    if action == "send":
        await _start(query, context, chat, broadcast_id)
    elif action == "cancel":
        await _discard(query, context, chat, broadcast_id)
    else:
        await _stop(query, context, chat, broadcast_id)


async def _start(
    query: CallbackQuery, context: WartaContext, chat: Chat, broadcast_id: int
) -> None:
    services = context.services
    if query.message is None:  # a button on an inline message: there is no progress to show
        return
    count = await services.storage.start_broadcast(
        broadcast_id, query.message.message_id, services.clock()
    )
    if count is None:
        await toast(query, chat.language, "broadcast_not_draft")
        return
    services.wake_sender()
    await toast(query, chat.language, "broadcast_started_toast", count=count)
    await show_progress(context.bot, services, broadcast_id)


async def _discard(
    query: CallbackQuery, context: WartaContext, chat: Chat, broadcast_id: int
) -> None:
    if not await context.services.storage.discard_broadcast(broadcast_id):
        await toast(query, chat.language, "broadcast_not_draft")
        return
    discarded = text("broadcast_discarded", chat.language, id=broadcast_id)
    await show_on_pressed(query, chat.language, message_html=discarded)


async def _stop(query: CallbackQuery, context: WartaContext, chat: Chat, broadcast_id: int) -> None:
    services = context.services
    dropped = await services.storage.cancel_broadcast(broadcast_id, services.clock())
    if dropped is None:
        await toast(query, chat.language, "broadcast_cancel_none")
        return
    # The progress message turns into the summary on the next round of the progress job.
    await toast(query, chat.language, "broadcast_cancelled", id=broadcast_id, count=dropped)


@admin_only
async def broadcast_cancel(update: Update, context: WartaContext, chat: Chat) -> None:
    """Stop the announcement being sent (or the one whose number is given)."""
    services = context.services
    argument = command_argument(update).lstrip("#")
    sending = await services.storage.sending_broadcasts()
    if not argument and len(sending) > 1:
        listed = ", ".join(f"#{number}" for number in sending)
        await reply(update, chat, "broadcast_cancel_which", ids=listed)
        return
    target = int(argument) if argument.isdigit() else (sending[0] if sending else None)
    dropped = None
    if target is not None:
        dropped = await services.storage.cancel_broadcast(target, services.clock())
    if dropped is None:
        await reply(update, chat, "broadcast_cancel_none")
        return
    await reply(update, chat, "broadcast_cancelled", id=target, count=dropped)


async def follow_broadcasts(context: WartaContext) -> None:
    """Bring every started broadcast's progress message up to date (a repeating job)."""
    services = context.services
    for broadcast_id in await services.storage.followed_broadcasts():
        await show_progress(context.bot, services, broadcast_id)


async def show_progress(bot: Bot, services: Services, broadcast_id: int) -> None:
    """Edit the progress message: counts while sending, the summary once nothing waits."""
    now = services.clock()
    job = await services.storage.broadcast_job(broadcast_id, now)
    if job is None or job.progress_message_id is None or job.summarised:
        return
    admin = await services.storage.get_chat(job.admin_chat_id)
    language = admin.language if admin is not None else DEFAULT_LANGUAGE
    if job.pending > 0:
        stop = _button(text("broadcast_button_stop", language), "stop", job.id)
        markup = InlineKeyboardMarkup([[stop]])
        await _edit(bot, job, progress_text(job, language, now), markup, resend=False)
    elif services.sender is not None and services.sender.broadcast_in_flight(job.id):
        return  # stopped, but sends already under way still count: summarise next round
    elif await services.storage.claim_broadcast_summary(job.id, now):
        await _edit(bot, job, summary_text(job, language, now), None, resend=True)


async def _edit(
    bot: Bot,
    job: BroadcastJob,
    message: str,
    markup: InlineKeyboardMarkup | None,
    *,
    resend: bool,
) -> None:
    try:
        await bot.edit_message_text(
            message,
            chat_id=job.admin_chat_id,
            message_id=job.progress_message_id,
            reply_markup=markup,
        )
        return
    except BadRequest as error:
        if is_not_modified(error):
            return
        log.warning("broadcast progress not shown id=%d reason=%s", job.id, error.message)
    except TelegramError as error:
        log.warning("broadcast progress not shown id=%d reason=%s", job.id, error.message)
    if resend:
        # The summary must reach the admin even if the progress message is gone.
        try:
            await bot.send_message(job.admin_chat_id, message)
        except TelegramError as error:
            log.warning("broadcast summary not sent id=%d reason=%s", job.id, error.message)


def progress_text(job: BroadcastJob, language: str, now: float) -> str:
    """Counts, a bar and the time left of a broadcast being sent."""
    total = job.sent + job.failed + job.pending
    done = total - job.pending
    percent = 100 * done // total if total else 100
    filled = BAR_CELLS * done // total if total else BAR_CELLS
    elapsed = min(RECENT_SECONDS, now - (job.started_at or now))
    rate = job.recently_done / elapsed if job.recently_done and elapsed > 0 else NOMINAL_RATE
    return text(
        "broadcast_progress",
        language,
        id=job.id,
        bar="▰" * filled + "▱" * (BAR_CELLS - filled),
        percent=percent,
        sent=job.sent,
        failed=job.failed,
        remaining=job.pending,
        eta=format_duration(job.pending / rate, language),
    )


def summary_text(job: BroadcastJob, language: str, now: float) -> str:
    """The final figures and why messages were not delivered."""
    cancelled = job.status == BroadcastStatus.CANCELLED
    key = "broadcast_summary_cancelled" if cancelled else "broadcast_summary"
    took = format_duration(now - (job.started_at or now), language)
    lines = [text(key, language, id=job.id, sent=job.sent, failed=job.failed, duration=took)]
    counts = failure_counts(job.failures)
    if any(counts.values()):
        lines.append(text("broadcast_reasons_header", language))
        for reason in REASONS:
            if counts[reason]:
                lines.append(text(f"broadcast_reason_{reason}", language, count=counts[reason]))
    return "\n".join(lines)


def register(app: WartaApp) -> None:
    """Add this module's handlers (the scheduler keeps progress messages current: PROGRESS)."""
    app.add_handler(CommandHandler("broadcast", broadcast))
    app.add_handler(CommandHandler("broadcast_cancel", broadcast_cancel))
    app.add_handler(CallbackQueryHandler(broadcast_button, pattern=CALLBACK))


# Progress messages are edited by whichever process leads the schedule, whoever started it.
PROGRESS = Periodic(follow_broadcasts, PROGRESS_SECONDS, PROGRESS_SECONDS, "broadcast-progress")

"""Send: drain the outbox to Telegram within its rate limits, losing nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.delivery.digests import digest_messages
from bot.delivery.outcomes import OutcomeRecorder, Write
from bot.delivery.render import AlertView, render_alert
from bot.i18n import text
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS, new_process_id
from bot.ops.metrics import Metrics
from storage import DATABASE_ERRORS, Storage
from storage.models import BroadcastReport, Item, OutboxEntry

log = logging.getLogger(__name__)

# The data of an alert's "Why?" button (with the alert's outbox id) and of a digest's (with the
# digest's id); handlers/why.py answers them.
WHY_PREFIX = "why:"
WHY_DIGEST_PREFIX = "whyd:"

BROADCAST_SLICE_SECONDS = 1.0
# Messages queued by other processes (a poller, a /broadcast answered elsewhere) are noticed
# within this long: a look at the outbox's newest id, one cheap query.
QUEUE_CHECK_SECONDS = 1.0
IDLE_READ_SECONDS = 5.0  # the outbox is read at least this often, whatever else happens
MIN_WAIT_SECONDS = 0.01
RECORD_RETRY_MAX_SECONDS = 30.0  # a write storage refused is tried again at least this often
# After Telegram refused to charge for a paid broadcast, the free rate only, for this long.
UNPAID_AFTER_REFUSAL_SECONDS = 600.0
# How Telegram words a refusal to charge the bot's Stars balance (its wording is not documented).
STARS_REFUSAL = re.compile(r"\bstars?\b|balance", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SendLimits:
    """Telegram's published limits, and how hard the sender retries."""

    # The bot-wide pace of every call, a hair under 30/s, applied by delivery.pacing.RateLimiter.
    # (The application takes it from WARTA_SEND_RATE: RateLimiter.for_send_rate.)
    per_second: float = 29.0
    # The operator pays for messages beyond the free 30/s (WARTA_SEND_RATE above 30): alerts,
    # digests and broadcasts may carry allow_paid_broadcast, which the RateLimiter keeps only
    # on those beyond the free rate. Command replies are never paid for.
    paid_broadcast: bool = False
    # Per-chat spacing counts from Telegram's answer to the chat's previous message, which
    # came after Telegram received it: however late that request arrived, the next one
    # arrives at least this long after it.
    private_chat_interval: float = 1.0
    group_chat_interval: float = 3.0  # 20 messages per minute per group
    max_in_flight: int = 16
    max_attempts: int = 6
    max_backoff: float = 300.0
    outage_after: int = 3  # consecutive network failures that mean Telegram itself is down
    batch: int = 500


@dataclass(slots=True)
class _Attempt:
    """One try at sending an outbox row: the claim it holds and how far it got."""

    entry: OutboxEntry
    claim: int
    parts_sent: int  # a digest's parts Telegram accepted, this try and earlier ones
    paying: bool = False  # it asked to go as a paid broadcast beyond the free rate
    accepted: bool = False  # Telegram took the whole message
    settled: bool = False  # its outcome was handed to the recorder
    message_id: int | None = None  # the message an alert became (a reaction names it)


class Sender:
    """Sends pending alerts and broadcasts; marks each sent only once Telegram accepted it.

    Any number of senders, in any number of processes, may drain one outbox. Each message is
    claimed in the outbox, by this process's id, just before it is sent, and every later change
    of its row holds only while the claim does: whatever is cancelled, paused or dropped before
    the claim is not sent, and what is sent is never recorded twice nor sent again. A claim is
    freed only once its process is dead (stopped, or its heartbeat older than
    `process_timeout`): then its message goes again. A chat has one claimed message at a time and
    its spacing is kept in the database (chats.send_after), so its order and Telegram's per-chat
    limit hold whichever senders send to it. `clock` (the application's wall time) stamps what
    is stored; `wall` (the real wall time, which every process shares) times retries and chats'
    spacing in the outbox; `monotonic` and `sleep` time the sender's own waits (a test on a
    virtual clock passes its wall time, monotonic time and sleep). The bot-wide pace is the
    bot's own: give it a bot built with bot.delivery.pacing.RateLimiter.

    `process_id` is the id this process registered with its heartbeat (bot.ops.heartbeat);
    without one the sender claims under a random id that no heartbeat keeps alive, which is
    right only for a sender alone on its database.
    """

    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        clock: Callable[[], float],
        limits: SendLimits = SendLimits(),
        on_chat_migrated: Callable[[int, int], None] = lambda old, new: None,
        on_broadcast_done: Callable[[BroadcastReport], Awaitable[None]] | None = None,
        metrics: Metrics | None = None,
        *,
        process_id: int | None = None,
        process_timeout: float = PROCESS_TIMEOUT_SECONDS,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bot = bot
        self._metrics = metrics if metrics is not None else Metrics()
        self._storage = storage
        self._clock = clock
        self._wall = wall
        self._monotonic = monotonic
        self._sleep = sleep
        self._limits = limits
        self._on_chat_migrated = on_chat_migrated
        self._on_broadcast_done = on_broadcast_done
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(limits.max_in_flight)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._broadcasts_in_flight: dict[int, int] = {}  # chat id -> broadcast id
        self._paused_until = 0.0
        self._unpaid_until = 0.0  # no paid broadcasts before then: Telegram refused to charge
        self._network_failures = 0
        self._outage_rounds = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Claims are the process's: alive while its heartbeat is, free for others once it died.
        self._claim = process_id if process_id is not None else new_process_id()
        self._process_timeout = process_timeout
        self._release_due = 0.0  # monotonic time of the next release of dead senders' claims
        self._database_failures = 0
        self._records = OutcomeRecorder(
            min(limits.max_backoff, RECORD_RETRY_MAX_SECONDS), monotonic
        )

    def start(self) -> None:
        """Start draining in the background."""
        if self._task is not None:
            raise RuntimeError("sender already started")
        self._task = asyncio.create_task(self._run(), name="warta-sender")

    def wake(self) -> None:
        """New messages were queued: look at the outbox now."""
        self._wake.set()

    def broadcast_in_flight(self, broadcast_id: int) -> bool:
        """Whether a message of this broadcast is being sent right now."""
        return broadcast_id in self._broadcasts_in_flight.values()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking new messages and let in-flight ones finish for a few seconds."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=grace)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        pending = list(self._in_flight.values())
        if pending:
            # Cancelled sends stay pending in the outbox and go out after a restart.
            await asyncio.wait(pending, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        # One last try at writing what storage refused; a database still locked must not
        # hold up the stop for long.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._records.retry_due(everything=True), timeout=grace)
        self._records.log_unwritten()

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the outbox is read, not after: a wake-up while we read it (a chat
            # resumed, an alert queued) must not be lost, or it would wait for the next one.
            self._wake.clear()
            try:
                await self._release_dead_claims()
                await self._records.retry_due()
                started = await self._dispatch_ready()
                if self._stopping:
                    break
                if not started:
                    await self._sleep_until_work()
                self._database_failures = 0
            except DATABASE_ERRORS as error:
                # The outbox cannot be read or claimed now: nothing is lost, look again later.
                self._database_failures += 1
                delay = self._backoff(self._database_failures)
                log.error("outbox not read reason=%s retry_in=%.1fs", error, delay)
                await self._wait_for_wake(delay)

    async def _dispatch_ready(self) -> int:
        """Claim and start a send for every chat whose next message is due; how many started."""
        # Storage hands over only each chat's oldest message, of chats free to send to now.
        entries = await self._storage.pending_outbox(self._wall(), self._limits.batch)
        # A long broadcast batch is cut into slices so that alerts queued meanwhile go first.
        slice_ends = self._monotonic() + BROADCAST_SLICE_SECONDS
        started = 0
        waiting = iter(entries)
        for entry in waiting:
            if self._stopping or self._sliced(entry, slice_ends):
                break
            await self._wait_for_capacity()
            if self._stopping:
                self._slots.release()
                break
            # As many as there are free slots, claimed in one go.
            batch = [entry]
            while not self._slots.locked():
                following = next(waiting, None)
                if following is None or self._sliced(following, slice_ends):
                    break
                await self._slots.acquire()
                batch.append(following)
            started += await self._claim_and_launch(batch)
        return started

    def _sliced(self, entry: OutboxEntry, slice_ends: float) -> bool:
        """Whether a broadcast message waits for the next read, for alerts queued meanwhile."""
        return entry.broadcast_id is not None and self._monotonic() > slice_ends

    async def _claim_and_launch(self, batch: list[OutboxEntry]) -> int:
        """Claim what of a batch may still go (a slot taken for each); send it, free the rest."""
        claimed: list[OutboxEntry] = []
        try:
            claimed = await self._storage.claim_outbox(
                [entry.id for entry in batch], self._claim, self._wall()
            )
        finally:
            # Another sender took some meanwhile, or a broadcast was cancelled, a chat paused.
            for _ in range(len(batch) - len(claimed)):
                self._slots.release()
        for entry in claimed:
            self._launch(entry)
        return len(claimed)

    async def _wait_for_capacity(self) -> None:
        # No bot-wide pacing here: the bot's RateLimiter paces every call to Telegram, ours too.
        await self._slots.acquire()
        await self._sit_out_pause()

    async def _sit_out_pause(self) -> None:
        pause = self._paused_until - self._monotonic()
        if pause > 0:
            await self._sleep(pause)

    def _launch(self, entry: OutboxEntry) -> None:
        task = asyncio.create_task(self._deliver(entry))
        self._in_flight[entry.chat_id] = task
        if entry.broadcast_id is not None:
            self._broadcasts_in_flight[entry.chat_id] = entry.broadcast_id

    async def _sleep_until_work(self) -> None:
        # Taken before the outbox's next time is read: a message queued after that read moves it.
        mark = await self._storage.outbox_mark()
        next_due = await self._storage.next_outbox_time(self._limits.batch)
        now = self._monotonic()
        waits = [IDLE_READ_SECONDS, self._release_due - now]
        if next_due is not None:
            # Due already: a chat came free meanwhile (in another process, perhaps).
            waits.append(max(next_due - self._wall(), MIN_WAIT_SECONDS))
        record_retry = self._records.next_due()
        if record_retry is not None:
            waits.append(record_retry - now)
        await self._wait_for_work(max(min(waits), MIN_WAIT_SECONDS), mark)

    async def _wait_for_work(self, seconds: float, mark: int) -> None:
        """Return on a wake-up, on a message queued by another process, or after `seconds`."""
        ends = self._monotonic() + seconds
        while not self._stopping:
            left = ends - self._monotonic()
            if left <= 0 or await self._wait_for_wake(min(left, QUEUE_CHECK_SECONDS)):
                return
            if await self._storage.outbox_mark() != mark:
                return

    async def _wait_for_wake(self, seconds: float) -> bool:
        """Return on a wake-up (True), or once `seconds` have passed on the sender's clock."""
        woken = asyncio.ensure_future(self._wake.wait())
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({woken, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            timer.cancel()
            await asyncio.gather(woken, timer, return_exceptions=True)
        return self._wake.is_set()

    async def _release_dead_claims(self) -> None:
        """Free the claims of senders that died, at start and every process timeout."""
        if self._monotonic() < self._release_due:
            return
        released = await self._storage.release_dead_claims(
            self._claim, self._clock() - self._process_timeout
        )
        self._release_due = self._monotonic() + self._process_timeout
        if released:
            # Their process died mid-send: these may repeat, as the outbox promises.
            log.warning("messages in flight in a sender that died go again count=%d", released)

    async def _deliver(self, entry: OutboxEntry) -> None:
        attempt = _Attempt(entry, self._claim, entry.parts_sent)
        try:
            await self._send_and_record(attempt)
        except Exception:
            # Nothing may end a send task unlogged, nor leave its message stuck.
            log.exception("send task failed chat=%d delivery=%d", entry.chat_id, entry.id)
            await self._recover(attempt)
        finally:
            self._in_flight.pop(entry.chat_id, None)
            self._broadcasts_in_flight.pop(entry.chat_id, None)
            self._slots.release()
            self._wake.set()

    async def _recover(self, attempt: _Attempt) -> None:
        """After an unexpected error: record what is known, so the message is not stuck."""
        if attempt.settled:
            return
        entry = attempt.entry
        try:
            if attempt.accepted:
                await self._mark_sent(attempt)
            else:
                await self._network_failure(attempt, "internal error", telegram_wide=False)
        except Exception:
            # Storage itself is gone (closed, broken): the claim is freed once this process is.
            log.exception("send outcome not recorded chat=%d delivery=%d", entry.chat_id, entry.id)

    async def _record(self, attempt: _Attempt, outcome: str, write: Write) -> None:
        entry = attempt.entry
        await self._records.record(entry.chat_id, entry.id, outcome, write)

    async def _settle(self, attempt: _Attempt, outcome: str, write: Write) -> None:
        attempt.settled = True
        await self._record(attempt, outcome, write)

    def _chat_ready_at(self, entry: OutboxEntry, wait: float = 0.0) -> float:
        """When the chat's next message may leave, Telegram having answered this one now."""
        # Telegram's answer came after it received the message: however late that request
        # arrived, the next one, sent by any sender, arrives at least the interval after it.
        return self._wall() + max(self._interval(entry), wait)

    def _interval(self, entry: OutboxEntry) -> float:
        """The least time between two messages to this chat, counted from Telegram's answer."""
        if entry.chat_type in {"group", "supergroup", "channel"}:
            return self._limits.group_chat_interval
        return self._limits.private_chat_interval

    async def _send_and_record(self, attempt: _Attempt) -> None:
        entry = attempt.entry
        started = time.perf_counter()
        try:
            await self._send(attempt)
        except RetryAfter as error:
            await self._retry_after(attempt, _seconds(error.retry_after))
        except ChatMigrated as error:
            await self._migrate(attempt, error.new_chat_id)
        except Forbidden as error:
            await self._deactivate(attempt, f"forbidden: {error.message}")
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                await self._deactivate(attempt, "chat not found")
            elif attempt.paying and STARS_REFUSAL.search(error.message):
                await self._paid_refused(attempt, error.message)
            else:
                await self._give_up(attempt, f"rejected: {error.message}")
        except NetworkError as error:  # includes timeouts and Telegram's 5xx answers
            await self._network_failure(attempt, str(error.message) or type(error).__name__)
        except TelegramError as error:
            # Answers without a class of their own (401, 404, 409...): retried with backoff and
            # recorded once attempts run out, instead of escaping the send task and being
            # retried at once, forever and unlogged.
            reason = f"{type(error).__name__}: {error.message}"
            await self._network_failure(attempt, reason, telegram_wide=False)
        else:
            attempt.accepted = True
            self._network_failures = 0
            self._outage_rounds = 0
            self._metrics.message_sent(entry, time.perf_counter() - started)
            await self._mark_sent(attempt)
        if entry.broadcast_id is not None:
            # In line after this message's outcome, even one storage took only later: that
            # outcome may be the one that finishes the broadcast.
            report = partial(self._report_broadcast, entry.broadcast_id)
            await self._record(attempt, "broadcast report", report)

    async def _mark_sent(self, attempt: _Attempt) -> None:
        write = partial(
            self._storage.mark_sent,
            attempt.entry.id,
            attempt.claim,
            self._clock(),
            chat_ready_at=self._chat_ready_at(attempt.entry),
            message_id=attempt.message_id,
        )
        await self._settle(attempt, "sent", write)

    async def _send(self, attempt: _Attempt) -> None:
        entry = attempt.entry
        attempt.paying = self._limits.paid_broadcast and self._monotonic() >= self._unpaid_until
        if entry.digest_id is not None:
            await self._send_digest(attempt, entry.digest_id)
            return
        markup = None
        if entry.item is not None:
            message = render_alert(_alert_view(entry.item, entry.topics, entry))
            markup = _why_button(entry, f"{WHY_PREFIX}{entry.id}")
        else:
            message = entry.broadcast_html or ""
        sent = await self._send_text(
            entry, message, previews=entry.link_previews, paid=attempt.paying, markup=markup
        )
        attempt.message_id = sent.message_id

    async def _send_digest(self, attempt: _Attempt, digest_id: int) -> None:
        """Send the digest's parts not accepted yet, recording each one as Telegram takes it."""
        entry = attempt.entry
        for index, (part, alert_ids) in enumerate(await self._digest_parts(attempt, digest_id)):
            if index:
                # The parts are messages to one chat: the chat's limit spaces them too.
                await self._sleep(self._interval(entry))
            # A digest lists many links: a preview of the first one would mislead.
            markup = _why_button(entry, f"{WHY_DIGEST_PREFIX}{digest_id}")
            await self._send_text(entry, part, previews=False, paid=attempt.paying, markup=markup)
            attempt.parts_sent += 1
            write = partial(
                self._storage.record_digest_part,
                entry.id,
                attempt.claim,
                attempt.parts_sent,
                alert_ids,
                self._clock(),
            )
            await self._record(attempt, f"digest part {attempt.parts_sent}", write)

    async def _digest_parts(self, attempt: _Attempt, digest_id: int) -> list[tuple[str, list[int]]]:
        """The digest's messages, each with the alerts it carries; only alerts not sent yet."""
        language = attempt.entry.language
        waiting = [
            (alert_id, _alert_view(item, topics, attempt.entry))
            for alert_id, item, topics in await self._storage.digest_items(digest_id)
        ]
        # A retry goes on where the accepted parts ended: no header again, no part twice.
        return digest_messages(waiting, language, resumed=attempt.parts_sent > 0)

    async def _send_text(
        self,
        entry: OutboxEntry,
        html_text: str,
        *,
        previews: bool,
        paid: bool,
        markup: InlineKeyboardMarkup | None = None,
    ) -> Message:
        return await self._bot.send_message(
            chat_id=entry.chat_id,
            text=html_text,
            # Said here, not left to the application's Defaults: the sender renders the HTML
            # itself and also runs on a bare Bot (benchmarks, pipeline tests).
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=not previews),
            disable_notification=entry.silent,
            # Only a wish: the RateLimiter takes the flag off what fits in the free rate. Said
            # even when False: it tells the RateLimiter an outbox message, which heeds a pause
            # that any process's 429 began.
            allow_paid_broadcast=paid,
            reply_markup=markup,
        )

    async def _retry_after(self, attempt: _Attempt, seconds: float) -> None:
        entry = attempt.entry
        paced = self._monotonic() + seconds
        if entry.chat_type == "private":
            # Private-chat 429s come from the bot-wide limit: everyone waits.
            self._paused_until = max(self._paused_until, paced)
        log.warning("send throttled chat=%d retry_after=%gs", entry.chat_id, seconds)
        # The chat waits retry_after for every sender.
        await self._schedule_retry(
            attempt,
            f"429 retry after {seconds:g}s",
            seconds,
            count_attempt=False,
            chat_wait=seconds,
        )

    async def _paid_refused(self, attempt: _Attempt, reason: str) -> None:
        """Telegram would not charge the bot's Stars: keep the message, send at the free rate."""
        self._unpaid_until = self._monotonic() + UNPAID_AFTER_REFUSAL_SECONDS
        log.error(
            "paid broadcast refused, sending at the free rate for %gs; add Stars to the bot's "
            "balance or lower WARTA_SEND_RATE chat=%d delivery=%d reason=%s",
            UNPAID_AFTER_REFUSAL_SECONDS,
            attempt.entry.chat_id,
            attempt.entry.id,
            reason,
        )
        await self._schedule_retry(
            attempt, f"paid broadcast refused: {reason}", 0.0, count_attempt=False
        )

    async def _schedule_retry(
        self,
        attempt: _Attempt,
        reason: str,
        delay: float,
        *,
        count_attempt: bool,
        chat_wait: float = 0.0,
    ) -> None:
        write = partial(
            self._storage.schedule_retry,
            attempt.entry.id,
            attempt.claim,
            reason,
            self._wall() + delay,
            count_attempt=count_attempt,
            chat_ready_at=self._chat_ready_at(attempt.entry, chat_wait),
        )
        await self._settle(attempt, "retry", write)

    async def _migrate(self, attempt: _Attempt, new_chat_id: int) -> None:
        entry = attempt.entry
        log.info("chat migrated old=%d new=%d", entry.chat_id, new_chat_id)

        async def migrate() -> bool:
            await self._storage.migrate_chat(entry.chat_id, new_chat_id)
            return True

        await self._record(attempt, "chat migrated", migrate)
        self._on_chat_migrated(entry.chat_id, new_chat_id)
        # The message goes again, to the new id, once the outbox is read again.
        await self._schedule_retry(attempt, "chat migrated", 0.0, count_attempt=False)

    async def _deactivate(self, attempt: _Attempt, reason: str) -> None:
        entry = attempt.entry

        async def deactivate() -> bool:
            dropped = await self._storage.deactivate_chat(entry.chat_id, reason, self._clock())
            log.warning(
                "chat deactivated chat=%d reason=%s dropped=%d", entry.chat_id, reason, dropped
            )
            return True

        await self._settle(attempt, "chat deactivated", deactivate)

    async def _give_up(self, attempt: _Attempt, reason: str) -> None:
        entry = attempt.entry
        log.warning("send failed chat=%d delivery=%d reason=%s", entry.chat_id, entry.id, reason)
        write = partial(
            self._storage.mark_failed,
            entry.id,
            attempt.claim,
            reason,
            self._clock(),
            chat_ready_at=self._chat_ready_at(entry),
        )
        await self._settle(attempt, "failed", write)
        self._metrics.message_failed(entry)

    async def _network_failure(
        self, attempt: _Attempt, reason: str, *, telegram_wide: bool = True
    ) -> None:
        entry = attempt.entry
        # Only network errors and 5xx say Telegram itself may be down; a refusal of one message
        # (a 404, a 409) must never pause everyone nor keep its attempts from running out.
        if telegram_wide:
            self._network_failures += 1
        outage = telegram_wide and self._network_failures >= self._limits.outage_after
        attempts = entry.attempts + (0 if outage else 1)
        if attempts >= self._limits.max_attempts:
            await self._give_up(attempt, f"{reason} after {attempts} attempts")
            return
        if outage and self._monotonic() >= self._paused_until:
            # A new round of the outage. Failures of sends that were in flight together belong
            # to one round: the pause doubles per round, not per failure (16 concurrent
            # failures would otherwise turn a blip into a pause of minutes).
            self._outage_rounds += 1
        backoff = self._backoff(self._outage_rounds if outage else attempts)
        if outage:
            # Telegram is down, not this message: pause everything, keep its attempts.
            self._paused_until = max(self._paused_until, self._monotonic() + backoff)
        log.warning(
            "send error chat=%d delivery=%d reason=%s retry_in=%.1fs outage=%s",
            entry.chat_id,
            entry.id,
            reason,
            backoff,
            outage,
        )
        await self._schedule_retry(attempt, reason, backoff, count_attempt=not outage)

    def _backoff(self, failures: int) -> float:
        base = min(2.0 ** (failures - 1), self._limits.max_backoff)
        return base * random.uniform(0.8, 1.2)

    async def _report_broadcast(self, broadcast_id: int) -> bool:
        """Tell the operator a broadcast is finished, once, when this send finished it."""
        report = await self._storage.unreported_finished_broadcast(broadcast_id)
        if report is not None and self._on_broadcast_done is not None:
            await self._on_broadcast_done(report)
        return True


def _seconds(retry_after: int | timedelta) -> float:
    # An int or a timedelta, depending on python-telegram-bot's PTB_TIMEDELTA opt-in.
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def _why_button(entry: OutboxEntry, data: str) -> InlineKeyboardMarkup | None:
    """The "Why?" button, in private chats only: in a group or channel every member would see
    it (their administrators ask from their private chat)."""
    if entry.chat_type != "private":
        return None
    label = text("why_button", entry.language)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def _alert_view(item: Item, topics: tuple[str, ...], entry: OutboxEntry) -> AlertView:
    return AlertView(
        topics=topics,
        title=item.title,
        summary=item.summary,
        link=item.link,
        source_name=item.source_name,
        region=item.region,
        published_at=_utc(item.published_at),
        language=entry.language,
        time_zone=entry.time_zone,
    )


def _utc(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp is not None else None

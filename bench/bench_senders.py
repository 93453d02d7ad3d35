"""Senders x1, x2, x4: real processes sharing one outbox and one send budget, at a paid rate.

The parent runs the Telegram stand-in, enforcing Telegram's free 30/s and a paid limit (the
budget, WARTA_SEND_RATE), and queues one alert to each of many private chats. Each sender is a
process of its own (`--worker`), built as Warta builds one: Storage, a heartbeat, a Bot whose
RateLimiter draws from the shared budget, and a Sender; it sends until the outbox is empty.
Achieved rate is accepted messages a second from the first to the last; lost and duplicated
count chats by what the stand-in accepted. `--kill` SIGKILLs one of two senders a third of the
way through: the other must finish the outbox with nothing lost.
`--capacity` measures what the stand-in itself sustains on this machine: two processes send
without any limiter, 32 calls in flight each, for 10 seconds.
`--paid-rule strict|lenient` reads Telegram's free 30 a second that way, in the stand-in and in
the senders (WARTA_PAID_RULE; `--telegram-rule` sets the stand-in's apart, to show what a wrong
setting costs); `--replies-every S` adds a process answering a command every S seconds
meanwhile, through the same budget, and reports the replies' p50 and p95 (command to answer).

    python -m bench.bench_senders [--limit 60] [--engine postgresql|sqlite] [--senders 1 2 4]
                                  [--kill] [--direct] [--capacity] [--seconds 15]
                                  [--paid-rule strict|lenient] [--replies-every 5]
--direct leaves the outbox out: each process sends to chats of its own through the budget.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from telegram.error import TelegramError
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bench.bench_fanout import alert_items
from bench.engines import (
    BenchDatabases,
    add_engine_option,
    bench_databases,
    chosen_engines,
    run_statement,
)
from bench.report import append_result
from bot.config import PaidRule
from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender, SendLimits
from bot.ops.heartbeat import Heartbeat
from bot.standin import TelegramStandIn
from bot.standin.telegram import RecordedRequest
from storage import Storage
from storage.models import FeedSeed

FREE_PER_SECOND = 30
TEXT = "Banjir rendam tiga desa di Serang"
# No message accepted for this long: whatever is left is lost (a dead sender's claims included,
# once the processes' timeout has passed).
STALL_SECONDS = 45.0
SENDER_WORKER = "sender a process with its own Storage, heartbeat and Sender"
DIRECT_WORKER = "process sending to chats of its own with bot.send_message"
# Replies go to chats from here on; their text is the moment the command came (monotonic time,
# which every process of the machine shares).
FIRST_ASKER = 10_000_000


@dataclass(frozen=True, slots=True)
class Run:
    """What the stand-in saw of one run."""

    expected: int
    accepted: list[RecordedRequest]
    requests: int
    rejected_429: int
    killed: bool
    replies: list[RecordedRequest]

    @property
    def distinct(self) -> int:
        return len({r.chat_id for r in self.accepted})

    @property
    def lost(self) -> int:
        return self.expected - self.distinct

    @property
    def duplicated(self) -> int:
        return len(self.accepted) - self.distinct

    def rate(self) -> float:
        stamps = sorted(r.timestamp for r in self.accepted)
        return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0

    def reply_wait(self, percentile: float) -> float | None:
        """Seconds from a command to its answer at the stand-in, at that percentile."""
        waits = sorted(r.timestamp - float(str(r.params["text"])) for r in self.replies)
        return waits[min(len(waits) - 1, int(percentile * len(waits)))] if waits else None

    def most_before_a_free_one(self, rule: PaidRule) -> int:
        """The most messages counted (every one strictly, free ones leniently) within the
        second before a free one arrived."""
        every = sorted(self.accepted + self.replies, key=lambda r: r.timestamp)
        counted = [r.timestamp for r in every if rule is PaidRule.STRICT or not r.paid]
        most = 0
        for message in every:
            if not message.paid:
                t = message.timestamp
                most = max(
                    most, bisect.bisect_left(counted, t) - bisect.bisect_right(counted, t - 1)
                )
        return most

    def most_free_in_one_second(self) -> int:
        stamps = sorted(r.timestamp for r in self.accepted if not r.paid)
        counts = (i + 1 - bisect.bisect_right(stamps, t - 1.0) for i, t in enumerate(stamps))
        return max(counts, default=0)


async def queue_alerts(location: Path | str, count: int) -> None:
    """One alert due now to each of `count` private chats (ids 1..count)."""
    storage = Storage(location)
    await storage.open()
    try:
        run_statement(
            location,
            f"WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n WHERE id < {count}) "
            "INSERT INTO chats (id, type, title, active, created_at) "
            "SELECT id, 'private', '', 1, 0 FROM n",
        )
        await storage.sync_feeds([FeedSeed("https://banten.example/rss", "ANTARA", "Banten")])
        (feed,) = await storage.list_feeds()
        await storage.store_items(feed.id, alert_items(1, range(1, count + 1)), time.time())
    finally:
        await storage.close()


def start_worker(
    location: Path | str,
    api: str,
    limit: int,
    start_at: float,
    chats: range | None = None,
    *,
    rule: PaidRule = PaidRule.STRICT,
    replies_every: float | None = None,
) -> subprocess.Popen[bytes]:
    """One sender process (with `chats`: one sending straight to them, without the outbox;
    with `replies_every`: one answering a command that often instead)."""
    command = ["--worker", str(location), "--api", api, "--limit", str(limit)]
    command += ["--start-at", str(start_at), "--paid-rule", rule]
    if replies_every is not None:
        command += ["--replies-every", str(replies_every)]
    if chats is not None:
        command += ["--chats", str(chats.start), str(chats.stop)]
    return subprocess.Popen([sys.executable, "-m", "bench.bench_senders", *command])


async def run_senders(
    databases: BenchDatabases,
    senders: int,
    limit: int,
    seconds: float,
    *,
    kill: bool,
    direct: bool = False,
    rule: PaidRule = PaidRule.STRICT,
    replies_every: float | None = None,
    telegram_rule: PaidRule | None = None,
) -> Run:
    """Queue the alerts, start the senders, and wait until every chat has its alert."""
    location = databases.new()
    expected = round(limit * seconds)
    if direct:
        # Only the budget's own table is used: each sender has chats of its own.
        storage = Storage(location)
        await storage.open()
        await storage.close()
    else:
        await queue_alerts(location, expected)
    async with TelegramStandIn() as telegram:
        telegram.enforce_limits(
            per_second=FREE_PER_SECOND, paid_per_second=limit, paid_rule=telegram_rule or rule
        )
        start_at = time.time() + 3.0
        share = expected // senders
        workers = [
            start_worker(
                location,
                telegram.base_url,
                limit,
                start_at,
                range(1 + n * share, 1 + (n + 1) * share) if direct else None,
                rule=rule,
            )
            for n in range(senders)
        ]
        if replies_every is not None:
            workers.append(
                start_worker(
                    location,
                    telegram.base_url,
                    limit,
                    start_at,
                    rule=rule,
                    replies_every=replies_every,
                )
            )
        expected = share * senders if direct else expected
        try:
            await finish(telegram, expected, workers[0] if kill else None)
        finally:
            for worker in workers:
                with contextlib.suppress(ProcessLookupError):
                    worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(_reap, workers)
        sends = telegram.requests_for("sendMessage")
        accepted = [r for r in sends if r.status == 200]
        return Run(
            expected=expected,
            accepted=[r for r in accepted if int(r.chat_id or 0) < FIRST_ASKER],
            requests=len(sends),
            rejected_429=sum(r.status == 429 for r in sends),
            killed=kill,
            replies=[r for r in accepted if int(r.chat_id or 0) >= FIRST_ASKER],
        )


async def finish(
    telegram: TelegramStandIn, expected: int, victim: subprocess.Popen[bytes] | None
) -> None:
    """Until every chat has its alert or nothing is accepted for STALL_SECONDS."""
    delivered: set[int | str | None] = set()
    seen = 0
    last_progress = time.monotonic()
    while len(delivered) < expected and time.monotonic() - last_progress < STALL_SECONDS:
        await asyncio.sleep(0.2)
        sends = telegram.requests_for("sendMessage")
        fresh = [
            r.chat_id for r in sends[seen:] if r.status == 200 and int(r.chat_id or 0) < FIRST_ASKER
        ]
        seen = len(sends)
        if fresh:
            delivered.update(fresh)
            last_progress = time.monotonic()
        if victim is not None and len(delivered) >= expected // 3:
            victim.send_signal(signal.SIGKILL)
            print(f"  killed sender pid {victim.pid} at {len(delivered)} delivered", flush=True)
            victim = None


def _reap(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


async def direct_worker(
    location: str, api: str, limit: int, start_at: float, chats: range, rule: PaidRule
) -> None:
    """A process sending one message to each of its chats, 16 in flight, through the budget."""
    database: Path | str = location if "://" in location else Path(location)
    storage = Storage(database)
    await storage.open()
    limiter = RateLimiter.for_send_rate(limit, paid_rule=rule)
    limiter.share_budget(storage)
    request = HTTPXRequest(connection_pool_size=32)
    bot = ExtBot("123456:TEST-TOKEN", base_url=f"{api}/bot", rate_limiter=limiter, request=request)
    in_flight = asyncio.Semaphore(SendLimits().max_in_flight)

    async def send(chat_id: int) -> None:
        async with in_flight:
            with contextlib.suppress(TelegramError):
                await bot.send_message(chat_id, TEXT, allow_paid_broadcast=limit > FREE_PER_SECOND)

    async with bot:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        await asyncio.gather(*(send(chat_id) for chat_id in chats))
    limiter.stop_sharing()
    await storage.close()


async def replies_worker(
    location: str, api: str, limit: int, start_at: float, every: float, rule: PaidRule
) -> None:
    """A process answering a command every `every` seconds, through the budget, until stopped."""
    database: Path | str = location if "://" in location else Path(location)
    storage = Storage(database)
    await storage.open()
    limiter = RateLimiter.for_send_rate(limit, paid_rule=rule)
    limiter.share_budget(storage)
    request = HTTPXRequest(connection_pool_size=32)
    bot = ExtBot("123456:TEST-TOKEN", base_url=f"{api}/bot", rate_limiter=limiter, request=request)
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    answers: set[asyncio.Task[object]] = set()

    async def answer(chat_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await bot.send_message(chat_id, f"{time.monotonic():.6f}")

    async with bot:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        chat_id = FIRST_ASKER
        while not stopping.is_set():
            task = asyncio.create_task(answer(chat_id))
            answers.add(task)
            task.add_done_callback(answers.discard)
            chat_id += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), every)
        await asyncio.gather(*answers, return_exceptions=True)
    limiter.stop_sharing()
    await storage.close()


async def worker(location: str, api: str, limit: int, start_at: float, rule: PaidRule) -> None:
    """A sender process: Storage, heartbeat, a Bot drawing from the shared budget, the Sender."""
    database: Path | str = location if "://" in location else Path(location)
    storage = Storage(database)
    await storage.open()
    limiter = RateLimiter.for_send_rate(limit, paid_rule=rule)
    limiter.share_budget(storage)
    bot = ExtBot(
        "123456:TEST-TOKEN",
        base_url=f"{api}/bot",
        rate_limiter=limiter,
        request=HTTPXRequest(connection_pool_size=32),
    )
    heartbeat = Heartbeat(storage, ["sender"], time.time)
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    async with bot:
        await heartbeat.start()
        await asyncio.sleep(max(0.0, start_at - time.time()))
        # Its claims live as long as its heartbeat: the other senders free them only if it dies.
        limits = SendLimits(paid_broadcast=limit > 30)
        sender = Sender(bot, storage, time.time, limits, process_id=heartbeat.process_id)
        sender.start()
        while not stopping.is_set() and await storage.outbox_backlog() > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 0.5)
        await sender.stop()
        await heartbeat.stop()
    limiter.stop_sharing()
    await storage.close()


async def flood(api: str, seconds: float, first_chat: int) -> None:
    """Send as fast as the stand-in answers, 32 calls in flight, no limiter."""
    ends = time.monotonic() + seconds
    request = HTTPXRequest(connection_pool_size=32)
    async with ExtBot("123456:TEST-TOKEN", base_url=f"{api}/bot", request=request) as bot:

        async def one_after_another(chat_id: int) -> None:
            while time.monotonic() < ends:
                with contextlib.suppress(TelegramError):
                    await bot.send_message(chat_id, TEXT)

        await asyncio.gather(*(one_after_another(first_chat + n) for n in range(32)))


def start_flood(api: str, seconds: float, first_chat: int) -> subprocess.Popen[bytes]:
    """One process sending without a limiter."""
    command = ["--flood", api, "--seconds", str(seconds), "--first-chat", str(first_chat)]
    return subprocess.Popen([sys.executable, "-m", "bench.bench_senders", *command])


async def capacity(seconds: float) -> float:
    """Messages a second the stand-in accepts when two processes send without a limiter."""
    async with TelegramStandIn() as telegram:
        floods = [start_flood(telegram.base_url, seconds, 1 + n * 1000) for n in range(2)]
        await asyncio.to_thread(_reap, floods)
        stamps = sorted(m.timestamp for m in telegram.sent)
    # The middle of the run, without the processes' start and end.
    middle = [t for t in stamps if stamps[0] + 2 <= t <= stamps[-1] - 1]
    return (len(middle) - 1) / (middle[-1] - middle[0]) if len(middle) > 1 else 0.0


def describe(run: Run, limit: int, rule: PaidRule) -> str:
    share = run.rejected_429 / max(run.requests, 1)
    paid = sum(r.paid for r in run.accepted)
    text = (
        f"{run.rate() / limit:.3f} of {limit}/s ({run.rate():.1f}/s); 429s {run.rejected_429} "
        f"({share:.2%}); lost {run.lost}; duplicated {run.duplicated}; paid {paid:,} of "
        f"{len(run.accepted):,} ({paid / max(len(run.accepted), 1):.0%}), "
        f"free at most {run.most_free_in_one_second()} in a second, "
        f"at most {run.most_before_a_free_one(rule)} counted ({rule}) in the second before one"
    )
    p50, p95 = run.reply_wait(0.5), run.reply_wait(0.95)
    if p50 is not None and p95 is not None:
        paid_replies = sum(r.paid for r in run.replies)
        text += f"; replies {len(run.replies)}, p50 {p50:.2f}s, p95 {p95:.2f}s, paid {paid_replies}"
    return text


def measure(
    engine: str,
    senders: list[int],
    limit: int,
    seconds: float,
    kill: bool,
    direct: bool,
    rule: PaidRule,
    replies_every: float | None,
    telegram_rule: PaidRule | None = None,
) -> None:
    with bench_databases(engine) as databases:
        layouts: Iterator[tuple[int, bool]] = iter(
            [(n, False) for n in senders] + ([(2, True)] if kill else [])
        )
        for count, killed in layouts:
            load_before = os.getloadavg()[0]
            run = asyncio.run(
                run_senders(
                    databases,
                    count,
                    limit,
                    seconds,
                    kill=killed,
                    direct=direct,
                    rule=rule,
                    replies_every=replies_every,
                    telegram_rule=telegram_rule,
                )
            )
            load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
            label = f"{'budget alone, processes' if direct else 'senders'} x{count}"
            label += ", one SIGKILLed a third of the way" if killed else ""
            label += f", paid rule {rule}"
            if telegram_rule not in (None, rule):
                label += f" against a stand-in reading {telegram_rule}"
            if replies_every is not None:
                label += f", a command answered every {replies_every:g} s meanwhile"
            stand_in = telegram_rule or rule
            result = describe(run, limit, stand_in)
            print(f"{label}, {databases.name}: {result}", flush=True)
            append_result(
                f"senders, shared budget (bench/bench_senders.py), {label}, {databases.name}",
                result,
                ">= 0.9 of the limit with 2+ senders; 429s 0; lost 0; duplicated 0; replies' "
                "p95 <= 1 s, none paid",
                f"{run.expected:,} {'messages' if direct else 'alerts'} to as many private "
                f"chats; stand-in limits {FREE_PER_SECOND}/s free ({stand_in}: "
                f"{'paid ones count' if stand_in is PaidRule.STRICT else 'free ones only'}), "
                f"{limit}/s paid; each "
                f"{DIRECT_WORKER if direct else SENDER_WORKER}, "
                f"RateLimiter.for_send_rate({limit}) sharing the budget, "
                f"{SendLimits().max_in_flight} in flight; {load}"
                + (f"; {databases.describe_server()}" if databases.describe_server() else ""),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # Telegram's paid limit is 1,000/s; the stand-in sustains under 100/s on a busy 2-core machine
    # (--capacity), so the default stays below what it can take.
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--capacity", action="store_true")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="each process sends to chats of its own, without the outbox: the budget alone",
    )
    parser.add_argument(
        "--paid-rule", choices=list(PaidRule), default=PaidRule.STRICT, type=PaidRule
    )
    parser.add_argument("--replies-every", type=float, default=None)
    parser.add_argument(
        "--telegram-rule",
        choices=list(PaidRule),
        type=PaidRule,
        default=None,
        help="the stand-in reads the free 30 this way instead (what a wrong setting costs)",
    )
    parser.add_argument("--chats", type=int, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--flood", help=argparse.SUPPRESS)
    parser.add_argument("--first-chat", type=int, default=1, help=argparse.SUPPRESS)
    add_engine_option(parser)
    args = parser.parse_args()
    # python-telegram-bot's preferred form of retry_after; the default only adds a warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    rule = args.paid_rule
    if args.worker and args.replies_every is not None:
        asyncio.run(
            replies_worker(
                args.worker, args.api, args.limit, args.start_at, args.replies_every, rule
            )
        )
    elif args.worker and args.chats:
        chats = range(*args.chats)
        asyncio.run(direct_worker(args.worker, args.api, args.limit, args.start_at, chats, rule))
    elif args.worker:
        asyncio.run(worker(args.worker, args.api, args.limit, args.start_at, rule))
    elif args.flood:
        asyncio.run(flood(args.flood, args.seconds, args.first_chat))
    elif args.capacity:
        rate = asyncio.run(capacity(args.seconds))
        print(f"stand-in capacity: {rate:.0f} messages/s ({os.cpu_count()} cores)")
        append_result(
            "stand-in capacity, two processes sending without a limiter (bench/bench_senders.py)",
            f"{rate:.0f} sendMessage/s accepted",
            "the highest paid limit the senders benchmark can use",
            f"2 processes x 32 in flight for {args.seconds:g} s, no limits enforced; "
            f"load average {os.getloadavg()[0]:.1f} after",
        )
    else:
        for engine in chosen_engines(args.engine):
            measure(
                engine,
                args.senders,
                args.limit,
                args.seconds,
                args.kill,
                args.direct,
                rule,
                args.replies_every,
                args.telegram_rule,
            )


if __name__ == "__main__":
    main()

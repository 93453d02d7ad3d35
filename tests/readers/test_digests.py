"""Hourly and daily digests, quiet hours and group bursts, with a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.standin import TelegramStandIn
from tests.factories import news
from tests.inprocess import FakeClock, RunningBot, alert_texts

BUDI, GROUP, ADMIN = 101, -1001, 555


def texts(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    return [m.plain_text or "" for m in telegram.messages_to(chat_id)]


def digests(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    return [t for t in texts(telegram, chat_id) if t.startswith("📰")]


async def publish(bot: RunningBot, *titles: str) -> None:
    """The stories on the Banten feed, published a moment ago on the bot's clock, and polled."""
    now = bot.services.clock()
    for n, title in enumerate(titles):
        bot.feeds.add_item("/banten.xml", news(f"{title[:12]}-{n}", title, now=now))
    await bot.poll()


async def choose(bot: RunningBot, chat_id: int, action: str) -> None:
    """Press a settings-menu button on the latest menu."""
    telegram = bot.telegram
    menu = [m for m in telegram.messages_to(chat_id) if m.callback_data][-1]
    edits = len(telegram.edits_in(chat_id))
    telegram.press_button(chat_id, menu.message_id, f"set:{action}")
    await telegram.wait_for(lambda tg: len(tg.edits_in(chat_id)) > edits)


async def test_hourly_digest_gathers_the_hours_news_into_one_message(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    clock.set_wib(9, 10)
    await reader_bot.say(BUDI, "/subscribe banjir, gempa")
    await reader_bot.say(BUDI, "/settings")
    await choose(reader_bot, BUDI, "delivery:hourly")
    await publish(reader_bot, "Banjir rendam Kota Serang", "Gempa kecil di Lebak")
    assert await reader_bot.services.digests.run() == 0  # the hour is not over
    clock.set_wib(10, 0)
    assert await reader_bot.services.digests.run() == 1
    await telegram.wait_for(lambda tg: len(digests(tg, BUDI)) == 1)
    (digest,) = digests(telegram, BUDI)
    assert "Banjir rendam Kota Serang" in digest
    assert "Gempa kecil di Lebak" in digest
    assert digest.index("banjir") < digest.index("Banjir rendam")  # grouped under its topic
    assert alert_texts(telegram, BUDI) == []
    clock.set_wib(11, 0)
    assert await reader_bot.services.digests.run() == 0  # nothing new: no empty digest


async def test_daily_digest_arrives_at_the_chosen_hour(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    clock.set_wib(8, 30)
    await reader_bot.say(BUDI, "/subscribe banjir")
    await reader_bot.say(BUDI, "/atur")
    await choose(reader_bot, BUDI, "delivery:daily")
    await choose(reader_bot, BUDI, "hour:+1")  # 07:00 → 08:00
    chat = await reader_bot.services.storage.get_chat(BUDI)
    assert chat is not None
    assert (chat.delivery, chat.digest_hour) == ("daily", 8)
    await publish(reader_bot, "Banjir rendam Kota Serang")
    clock.set_wib(20, 0)
    assert await reader_bot.services.digests.run() == 0
    clock.set_wib(8, 0, days=1)
    assert await reader_bot.services.digests.run() == 1
    await reader_bot.telegram.wait_for(lambda tg: len(digests(tg, BUDI)) == 1)


async def test_quiet_hours_hold_alerts_and_send_them_when_they_end(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    await reader_bot.say(BUDI, "/subscribe banjir")
    await reader_bot.say(BUDI, "/settings")
    await choose(reader_bot, BUDI, "quiet")  # 22:00–06:00 WIB
    clock.set_wib(23, 15)
    await publish(reader_bot, "Banjir malam hari di Serang")
    clock.set_wib(5, 59, days=1)
    assert await reader_bot.services.digests.run() == 0
    assert alert_texts(telegram, BUDI) == []
    clock.set_wib(6, 0, days=1)
    assert await reader_bot.services.digests.run() == 1
    await telegram.wait_for(lambda tg: len(digests(tg, BUDI)) == 1)
    assert "Banjir malam hari di Serang" in digests(telegram, BUDI)[0]
    # Outside quiet hours alerts come at once again.
    clock.set_wib(9, 0, days=1)
    await publish(reader_bot, "Banjir pagi di Cilegon")
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) == 1)


async def test_a_group_burst_becomes_a_digest_instead_of_a_long_queue(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    telegram.member_status[GROUP] = {ADMIN: "administrator"}
    telegram.user_says(GROUP, "/subscribe banjir", user_id=ADMIN, chat_type="group")
    await telegram.wait_for_messages(GROUP, 1)
    await publish(reader_bot, *(f"Banjir melanda desa nomor {n} di Serang" for n in range(12)))
    await reader_bot.services.digests.run()
    await telegram.wait_for(lambda tg: len(digests(tg, GROUP)) == 1)
    await reader_bot.settled()
    # A few alerts at once, the rest of the burst in one digest: 4 messages, not 12.
    assert len(alert_texts(telegram, GROUP)) == 3
    assert digests(telegram, GROUP)[0].count("Banjir melanda desa") == 9


async def test_a_long_digest_splits_at_item_boundaries(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    clock.set_wib(9, 0)
    await reader_bot.say(BUDI, "/subscribe banjir")
    await reader_bot.say(BUDI, "/settings")
    await choose(reader_bot, BUDI, "delivery:hourly")
    titles = [f"Banjir {n}: " + "air naik di banyak desa sepanjang sungai " * 4 for n in range(40)]
    # Forty long titles cannot fit one message.
    await publish(reader_bot, *titles)
    clock.set_wib(10, 0)
    await reader_bot.services.digests.run()
    await reader_bot.settled()
    parts = digests(telegram, BUDI)
    assert sum(part.count("Banjir ") for part in parts) == 40
    assert all(len(part) <= 4096 for part in parts)


def long_titles(count: int) -> list[str]:
    """Titles long enough that count of them need several messages."""
    return [f"Banjir {n}: " + "air naik di banyak desa sepanjang sungai " * 4 for n in range(count)]


async def hourly_digest_of(bot: RunningBot, clock: FakeClock, titles: list[str]) -> None:
    """BUDI on hourly digests, with these items held for the 10:00 digest."""
    clock.set_wib(9, 0)
    await bot.say(BUDI, "/subscribe banjir")
    await bot.say(BUDI, "/settings")
    await choose(bot, BUDI, "delivery:hourly")
    await publish(bot, *titles)
    clock.set_wib(10, 0)


async def ride_out_flood_waits(
    bot: RunningBot, clock: FakeClock, done: Callable[[TelegramStandIn], bool]
) -> None:
    """Move the clock past every retry the sender schedules until done holds."""
    storage = bot.services.storage
    async with asyncio.timeout(60):
        while not done(bot.telegram):
            # A retry is stored at the clock's time: once one waits, time moves past it.
            next_due = await storage.next_outbox_time()
            if next_due is not None and next_due > clock():
                clock.advance(next_due - clock() + 0.1)
            await asyncio.sleep(0.02)


def times_received(telegram: TelegramStandIn, titles: list[str]) -> list[int]:
    parts = digests(telegram, BUDI)
    return [sum(part.count(title.split(":")[0] + ":") for part in parts) for title in titles]


async def test_a_part_refused_for_a_while_does_not_send_the_earlier_parts_again(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    titles = long_titles(40)
    await hourly_digest_of(reader_bot, clock, titles)
    # One message a second per chat, as Telegram allows: the second part meets a 429.
    telegram.enforce_limits(per_second=30, per_chat_per_second=1)
    await reader_bot.services.digests.run()
    await ride_out_flood_waits(reader_bot, clock, lambda tg: min(times_received(tg, titles)) >= 1)
    await reader_bot.settled()
    assert any(r.status == 429 and r.chat_id == BUDI for r in telegram.requests)
    assert times_received(telegram, titles) == [1] * len(titles)
    assert digests(telegram, BUDI)[0].startswith("📰 Ringkasan berita — 40 berita")
    assert all("(lanjutan)" in part for part in digests(telegram, BUDI)[1:])
    assert await reader_bot.services.storage.delivery_counts(0) == {"sent": 40}


async def test_a_part_refused_for_good_leaves_the_delivered_parts_sent(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    titles = long_titles(40)
    await hourly_digest_of(reader_bot, clock, titles)
    telegram.enforce_limits(per_second=30, per_chat_per_second=1)
    await reader_bot.services.digests.run()
    await telegram.wait_for(
        lambda tg: any(r.status == 429 and r.chat_id == BUDI for r in tg.requests)
    )
    # The retry of the second part is refused for good.
    telegram.fail_next(status=400, description="Bad Request: message is too long", chat_id=BUDI)
    await ride_out_flood_waits(
        reader_bot, clock, lambda tg: any(r.status == 400 for r in tg.requests)
    )
    await reader_bot.settled()
    (first,) = digests(telegram, BUDI)
    delivered = sum(first.count(f"Banjir {n}:") for n in range(len(titles)))
    assert 0 < delivered < len(titles)
    counts = await reader_bot.services.storage.delivery_counts(0)
    assert counts == {"sent": delivered, "failed": len(titles) - delivered}


async def test_a_paused_chat_gets_its_held_digest_only_after_resume(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    clock.set_wib(9, 0)
    await reader_bot.say(BUDI, "/subscribe banjir")
    await reader_bot.say(BUDI, "/settings")
    await choose(reader_bot, BUDI, "delivery:hourly")
    await publish(reader_bot, "Banjir rendam Kota Serang", "Banjir susulan di Lebak")
    assert "dijeda" in await reader_bot.say(BUDI, "/pause")
    clock.set_wib(10, 0)
    assert await reader_bot.services.digests.run() == 0
    assert digests(telegram, BUDI) == []
    assert "dilanjutkan" in await reader_bot.say(BUDI, "/resume")
    # The scheduled digest job may get there first; either way one digest goes out.
    await reader_bot.services.digests.run()
    await telegram.wait_for(lambda tg: len(digests(tg, BUDI)) == 1)
    (digest,) = digests(telegram, BUDI)
    assert "Banjir rendam Kota Serang" in digest
    assert "Banjir susulan di Lebak" in digest


async def test_retention_keeps_items_whose_alerts_still_wait(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    clock.set_wib(9, 0)
    await reader_bot.say(BUDI, "/subscribe banjir")
    await reader_bot.say(BUDI, "/settings")
    await choose(reader_bot, BUDI, "delivery:daily")
    await publish(reader_bot, "Banjir rendam Kota Serang")
    assert "dijeda" in await reader_bot.say(BUDI, "/pause")
    # A long pause: the daily clean-up runs with the item past the retention period.
    clock.set_wib(9, 0, days=40)
    services = reader_bot.services
    cutoff = clock() - services.config.retention_days * 24 * 3600
    await services.storage.prune_items(cutoff)
    assert "dilanjutkan" in await reader_bot.say(BUDI, "/resume")
    await services.digests.run()
    await telegram.wait_for(lambda tg: len(digests(tg, BUDI)) == 1)
    assert "Banjir rendam Kota Serang" in digests(telegram, BUDI)[0]

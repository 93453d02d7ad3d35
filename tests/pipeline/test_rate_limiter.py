"""One bot-wide budget: replies, edits, button answers and alerts share Telegram's 30/s."""

from __future__ import annotations

import bisect

from bot.standin import TelegramStandIn
from tests.factories import register_readers
from tests.inprocess import ADMIN_ID, RunningBot, confirmation, current_text, received

ANNOUNCEMENT = "Pemeliharaan server malam ini pukul 23.00 WIB"
TELEGRAM_PER_SECOND = 30


def most_in_one_second(stamps: list[float]) -> int:
    """The most calls the stand-in saw within any one second (later calls counted once ended)."""
    ordered = sorted(stamps)
    return max(i + 1 - bisect.bisect_right(ordered, t - 1.0) for i, t in enumerate(ordered))


async def test_replies_edits_and_a_broadcast_together_stay_within_telegrams_rate(
    warta: RunningBot,
) -> None:
    telegram = warta.telegram
    readers = await register_readers(warta.services.storage, 5000, 60)
    await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.enforce_limits(per_second=TELEGRAM_PER_SECOND)
    # Some calls take a slow path and reach Telegram bunched with those sent after them.
    telegram.delay_next(0.5, count=10)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
    askers = list(range(8000, 8040))
    for chat_id in askers:
        telegram.user_says(chat_id, "/help")

    def everyone_answered(tg: TelegramStandIn) -> bool:
        delivered = received(tg, readers, ANNOUNCEMENT).values()
        return all(tg.messages_to(chat_id) for chat_id in askers) and all(delivered)

    await telegram.wait_for(everyone_answered, timeout=60)
    await telegram.wait_for(lambda tg: "selesai" in current_text(tg, confirm), timeout=60)
    assert telegram.rejected_429 == 0
    calls = [r.timestamp for r in telegram.requests if r.method != "getUpdates"]
    assert most_in_one_second(calls) <= TELEGRAM_PER_SECOND

"""/broadcast: preview, Send, progress edited in place, summary by reason, and stopping it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from bot.standin import FeedItem, TelegramStandIn, utf16_length
from handlers.broadcast import PROGRESS_SECONDS
from tests.factories import register_readers
from tests.inprocess import ADMIN_ID, RunningBot, confirmation, current_text, received

BUDI = 101
ANNOUNCEMENT = "Pemeliharaan server malam ini pukul 23.00 WIB"


async def test_preview_shows_the_text_and_the_recipients_and_sends_nothing(
    warta: RunningBot,
) -> None:
    telegram = warta.telegram
    readers = await register_readers(warta.services.storage, 5000, 3)
    assert "Tulis pengumumannya" in await warta.say(ADMIN_ID, "/broadcast")
    preview = await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    assert preview == ANNOUNCEMENT
    confirm = await confirmation(telegram)
    assert "4 chat" in (confirm.plain_text or "")  # three readers and the admin
    assert [b["text"] for b in confirm.buttons] == ["✅ Kirim ke 4 chat", "✖️ Batal"]
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[1])
    await telegram.wait_for(lambda tg: "dibatalkan" in current_text(tg, confirm))
    assert sum(received(telegram, readers, ANNOUNCEMENT).values()) == 0
    assert await warta.services.storage.outbox_backlog() == 0


async def test_send_edits_progress_in_place_and_ends_with_reasons(warta: RunningBot) -> None:
    telegram = warta.telegram
    readers = await register_readers(warta.services.storage, 5000, 30)
    blocked, unknown, refused, slow = readers[3], readers[7], readers[11], readers[15]
    telegram.block(blocked)
    telegram.block(readers[20])
    telegram.forget_chat(unknown)
    telegram.fail_next(status=400, description="Bad Request: message is too long", chat_id=refused)
    # A flood wait halfway holds every send for 3 s: the progress job must show it mid-way.
    telegram.fail_next(status=429, retry_after=3, chat_id=slow)
    await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])

    def progress_midway(tg: TelegramStandIn) -> bool:
        return any(
            edit.message_id == confirm.message_id
            and "Tersisa: 0" not in (edit.plain_text or "")
            and "Terkirim: 0" not in (edit.plain_text or "")
            for edit in tg.edits_in(ADMIN_ID)
        )

    await telegram.wait_for(progress_midway, timeout=30)
    await telegram.wait_for(lambda tg: "selesai" in current_text(tg, confirm), timeout=30)
    summary = current_text(telegram, confirm)
    assert "Terkirim: 27" in summary  # 30 readers and the admin, 4 not delivered
    assert "Tidak terkirim: 4" in summary
    assert "memblokir atau mengeluarkan bot: 2" in summary
    assert "chat tidak ditemukan: 1" in summary
    assert "kesalahan lain: 1" in summary
    progress = [e for e in telegram.edits_in(ADMIN_ID) if e.message_id == confirm.message_id]
    assert all(e.plain_text and "Pengumuman #" in e.plain_text for e in progress)
    # One edit right at Send, then at most one per progress round, the summary last.
    assert len(progress) >= 3  # at Send, at least once mid-way, the summary
    rounds = len(progress) - 1
    # Rounds start every 2 s: r of them span at least 2(r - 1) s, less the first one's lateness
    # (under one round, however busy the machine). An edit per message sent would be 27.
    span = progress[-1].timestamp - progress[1].timestamp
    assert rounds < span / PROGRESS_SECONDS + 2, (rounds, span)
    assert "reply_markup" not in (telegram.message(ADMIN_ID, confirm.message_id) or {})
    delivered = received(telegram, readers, ANNOUNCEMENT)
    assert [chat for chat, count in delivered.items() if count != 1] == [
        blocked,
        unknown,
        refused,
        readers[20],
    ]
    # Readers who blocked the bot are no longer active, as after a failed alert.
    assert blocked not in await warta.services.storage.active_chat_ids()


async def test_recipients_get_the_admins_formatting_with_the_same_entities(
    warta: RunningBot,
) -> None:
    telegram = warta.telegram
    readers = await register_readers(warta.services.storage, 5000, 1)
    command = "/broadcast "
    body = "🇮🇩 Siaga banjir di Serang & Lebak <segera>: evakuasi 🌊 sekarang. Info BPBD"
    link = "https://bpbd.example/info?wilayah=serang&jenis=banjir"

    def entity(kind: str, part: str) -> dict[str, object]:
        start = utf16_length(body[: body.index(part)])
        found: dict[str, object] = {"type": kind, "offset": start, "length": utf16_length(part)}
        return found | ({"url": link} if kind == "text_link" else {})

    # Nested (italic in bold) after a flag emoji, and characters outside the BMP.
    expected = sorted(
        [
            entity("bold", "Siaga banjir di Serang"),
            entity("italic", "banjir"),
            entity("underline", "evakuasi 🌊 sekarang"),
            entity("text_link", "BPBD"),
            entity("code", "<segera>"),
        ],
        key=_order,
    )
    shift = utf16_length(command)
    entities = [{"type": "bot_command", "offset": 0, "length": len("/broadcast")}]
    entities += [{**e, "offset": int(str(e["offset"])) + shift} for e in expected]
    telegram.inject_update(
        {
            "message": {
                "message_id": 70001,
                "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "Admin"},
                "chat": {"id": ADMIN_ID, "type": "private", "first_name": "Admin"},
                "date": int(time.time()),
                "text": command + body,
                "entities": entities,
            }
        }
    )
    confirm = await confirmation(telegram)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
    await telegram.wait_for(lambda tg: received(tg, readers, body)[readers[0]] == 1)
    got = next(m for m in telegram.messages_to(readers[0]) if m.plain_text == body)
    stored = telegram.message(readers[0], got.message_id) or {}
    assert sorted(stored["entities"], key=_order) == expected
    preview = telegram.messages_to(ADMIN_ID)[0]
    assert preview.plain_text == body
    preview_entities = (telegram.message(ADMIN_ID, preview.message_id) or {})["entities"]
    assert sorted(preview_entities, key=_order) == expected


async def test_broadcast_cancel_stops_the_rest(warta: RunningBot) -> None:
    telegram = warta.telegram
    readers = await register_readers(warta.services.storage, 5000, 200)
    await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
    await telegram.wait_for(lambda tg: sum(received(tg, readers, ANNOUNCEMENT).values()) >= 20)
    reply = await warta.say(ADMIN_ID, "/broadcast_cancel")
    assert "dihentikan" in reply
    await telegram.wait_for(lambda tg: "dihentikan" in current_text(tg, confirm), timeout=30)
    summary = current_text(telegram, confirm)
    storage = warta.services.storage
    job = await storage.broadcast_job(1, time.time())
    assert job is not None
    assert job.pending == 0
    assert job.status == "cancelled"
    delivered = sum(received(telegram, readers, ANNOUNCEMENT).values())
    assert 20 <= delivered < 200
    assert f"dihentikan sebelum terkirim: {200 + 1 - job.sent}" in summary
    assert f"Terkirim: {job.sent}" in summary
    assert "Tidak ada pengumuman" in await warta.say(ADMIN_ID, "/broadcast_cancel")


async def test_only_admins_can_broadcast_or_press_its_buttons(warta: RunningBot) -> None:
    telegram = warta.telegram
    await register_readers(warta.services.storage, 5000, 2)
    assert "hanya untuk admin" in await warta.say(BUDI, "/broadcast_cancel")
    await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0], user_id=BUDI)
    await telegram.wait_for(lambda tg: bool(tg.callback_answers))
    answer = telegram.callback_answers[-1]
    assert answer.show_alert
    assert "hanya untuk admin" in (answer.text or "")
    assert await warta.services.storage.outbox_backlog() == 0
    job = await warta.services.storage.broadcast_job(1, time.time())
    assert job is not None
    assert job.status == "draft"


def _order(entity: dict[str, object]) -> tuple[str, str]:
    return str(entity["offset"]).zfill(6), str(entity["type"])


async def test_alerts_are_not_held_up_by_a_running_broadcast(warta: RunningBot) -> None:
    telegram = warta.telegram
    await warta.poll()  # the feed's first fetch: from now on its new items are alerted
    await warta.say(BUDI, "/subscribe banjir")
    readers = await register_readers(warta.services.storage, 5000, 200)
    await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
    await telegram.wait_for(lambda tg: sum(received(tg, readers, ANNOUNCEMENT).values()) >= 20)
    warta.feeds.add_item(
        "/banten.xml",
        FeedItem(
            title="Banjir rendam Serang",
            link="https://berita.example/banjir",
            guid="banjir",
            published=datetime.now(UTC),
        ),
    )
    await warta.poll()

    def alerted(tg: TelegramStandIn) -> bool:
        return any("Banjir rendam Serang" in (m.plain_text or "") for m in tg.messages_to(BUDI))

    await telegram.wait_for(alerted)
    # The alert went out while most of the broadcast was still waiting.
    assert sum(received(telegram, readers, ANNOUNCEMENT).values()) < 150


async def test_nothing_goes_out_after_the_cancel_returned(warta: RunningBot) -> None:
    telegram = warta.telegram
    storage = warta.services.storage
    readers = await register_readers(storage, 5000, 40)
    # A flood wait early on: the sender holds the rows it has read until Telegram's pause ends.
    telegram.fail_next(status=429, retry_after=4, chat_id=readers[3])
    await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
    await telegram.wait_for(lambda tg: any(r.status == 429 for r in tg.requests_for("sendMessage")))
    # Sends already on their way may finish; during the pause none is, so none may follow.
    async with asyncio.timeout(30):
        while warta.services.sender.broadcast_in_flight(1):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    reply = await warta.say(ADMIN_ID, "/broadcast_cancel")
    assert "dihentikan" in reply
    at_cancel = received(telegram, readers, ANNOUNCEMENT)
    # Stopping the sender lets whatever it still held go out (or not) before we look.
    await warta.services.sender.stop()
    assert received(telegram, readers, ANNOUNCEMENT) == at_cancel
    job = await storage.broadcast_job(1, time.time())
    assert job is not None
    # What was dropped stays dropped: the counts are the messages readers really got.
    assert job.sent == sum(at_cancel.values())
    assert (job.pending, job.sent + job.failed) == (0, len(readers) + 1)
    assert f"{job.failed} pesan tidak akan dikirim" in reply

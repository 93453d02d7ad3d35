"""/stats: the figures match what is stored, and the chart is a real PNG."""

from __future__ import annotations

import io
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.ops.charts import SENT_COLOUR
from storage.models import FeedSeed, NewItem
from tests.inprocess import ADMIN_ID, RunningBot

BUDI, SITI, ANDI, DEWI = 101, 102, 103, 104
HOUR, DAY = 3600, 24 * 3600
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def wib_day(moment: float) -> str:
    return (datetime.fromtimestamp(moment, UTC) + timedelta(hours=7)).date().isoformat()


async def finished_alerts(
    warta: RunningBot, chat_id: int, outcomes: list[tuple[str, float]]
) -> None:
    """Alerts already sent or given up on, at the given moments."""
    storage = warta.services.storage
    feed = (await storage.list_feeds())[0]
    stored = await storage.store_items(
        feed.id,
        [
            NewItem(f"stats-{chat_id}-{i}", f"Berita {i}", "", "", "", None)
            for i in range(len(outcomes))
        ],
        time.time(),
    )
    # Test set-up only: finished outbox rows with chosen times, as the sender would leave them.
    async with storage._write() as db:
        for (identity, _), (status, finished_at) in zip(stored.stories, outcomes, strict=True):
            await db.execute(
                "INSERT INTO deliveries (chat_id, item_id, status, created_at, finished_at) "
                "SELECT ?, id, ?, ?, ? FROM items WHERE identity = ?",
                (chat_id, status, finished_at, finished_at, identity),
            )


async def test_stats_figures_match_what_is_stored_and_the_chart_is_a_png(
    warta: RunningBot,
) -> None:
    storage = warta.services.storage
    now = time.time()
    await warta.say(BUDI, "/subscribe banjir, gempa")
    await warta.say(SITI, "/subscribe banjir")
    await warta.say(ANDI, "/subscribe Banjir, Korea Utara")
    await warta.say(DEWI, "/subscribe banjir, longsor")
    await storage.deactivate_chat(DEWI, "bot kicked", now)
    warta.feeds.publish("/jatim.xml", [])  # healthy even if a poll comes by
    for path, failing in (("/jabar.xml", True), ("/jatim.xml", False)):
        added = await storage.add_feed(FeedSeed(warta.feeds.url(path), path, ""), ADMIN_ID, now)
        if failing:
            await storage.record_feed_failure(added.feed_id, "HTTP 404", now, now + DAY)
    outcomes = (
        [("sent", now - HOUR)] * 5
        + [("failed", now - 2 * HOUR)] * 2
        + [("sent", now - 3 * DAY)] * 4
        + [("dropped", now - 3 * DAY)]
        + [("sent", now - 20 * DAY)] * 6
        + [("sent", now - 40 * DAY)] * 3
    )
    await finished_alerts(warta, BUDI, outcomes)
    # Two alerts still queued for a chat that went away: the backlog.
    await finished_alerts(warta, DEWI, [("pending", 0), ("pending", 0)])

    caption = await warta.say(ADMIN_ID, "/stats")

    assert "Chat: 4 aktif, 1 tidak aktif" in caption  # three readers and the admin
    assert "Topik yang diikuti: 5" in caption
    assert "Feed: 2 sehat, 1 gagal" in caption
    assert "Notifikasi 24 jam: 5 terkirim, 2 tidak terkirim" in caption
    assert "Notifikasi 7 hari: 9 terkirim, 3 tidak terkirim" in caption
    assert "Antrean pengiriman: 2" in caption
    assert "1. banjir: 3 chat" in caption
    assert "Korea Utara: 1 chat" in caption
    assert "longsor" not in caption  # followed only by a chat that left

    figures = await storage.bot_stats(time.time(), 7 * 3600)  # WIB
    per_day: dict[str, tuple[int, int]] = {}
    for status, moment in outcomes:
        if moment >= now - 29 * DAY - DAY:
            sent, failed = per_day.get(wib_day(moment), (0, 0))
            per_day[wib_day(moment)] = (sent + (status == "sent"), failed + (status != "sent"))
    assert {day: (s, f) for day, s, f in figures.alerts_per_day} == per_day

    photo = warta.telegram.messages_to(ADMIN_ID)[-1]
    assert photo.method == "sendPhoto"
    assert photo.document is not None
    assert photo.document.startswith(PNG_SIGNATURE)
    assert len(photo.document) > 10_000
    image = Image.open(io.BytesIO(photo.document))
    assert image.size == (900, 450)
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert len(colours) > 50  # text, axes and bars, not a blank canvas
    assert tuple(int(SENT_COLOUR[i : i + 2], 16) for i in (1, 3, 5)) in colours


async def test_stats_is_for_admins_only(warta: RunningBot) -> None:
    assert "hanya untuk admin" in await warta.say(BUDI, "/stats")
    assert all(m.method == "sendMessage" for m in warta.telegram.messages_to(BUDI))


@pytest.fixture
def without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if installed without the `charts` extra: importing matplotlib fails."""
    for name in [n for n in sys.modules if n.startswith("matplotlib.")] + ["matplotlib"]:
        # None in sys.modules makes every import of that name raise ImportError.
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]


@pytest.mark.usefixtures("without_matplotlib")
async def test_stats_without_the_chart_library_gives_the_figures_and_a_table(
    warta: RunningBot,
) -> None:
    now = time.time()
    await warta.say(BUDI, "/subscribe banjir")
    await finished_alerts(warta, BUDI, [("sent", now - HOUR)] * 3 + [("failed", now - HOUR)])

    report = await warta.say(ADMIN_ID, "/stats")

    reply = warta.telegram.messages_to(ADMIN_ID)[-1]
    assert reply.method == "sendMessage"
    assert "Notifikasi 24 jam: 3 terkirim, 1 tidak terkirim" in report
    assert "Notifikasi per hari, 30 hari terakhir (WIB)" in report
    today = (datetime.fromtimestamp(now - HOUR, UTC) + timedelta(hours=7)).strftime("%d/%m")
    rows = [line.split() for line in report.splitlines()]
    assert [today, "3", "1"] in rows
    assert sum(len(row) == 3 and row[0].count("/") == 1 for row in rows) == 30  # one per day


async def test_stats_counts_the_weeks_alerts_per_province(warta: RunningBot) -> None:
    storage = warta.services.storage
    now = time.time()
    await warta.say(BUDI, "/start")
    await finished_alerts(warta, BUDI, [("sent", now - HOUR)] * 3 + [("sent", now - 9 * DAY)])
    items = await storage.latest_items(4)  # newest first: the one finished 9 days ago first
    async with storage._write() as db:  # test set-up: where the stories happen
        for item, codes in zip(items, [["33"], ["82"], ["32"], ["32", "32.05"]], strict=True):
            for code in codes:
                await db.execute(
                    "INSERT INTO item_places (item_id, place_code) VALUES (?, ?)", (item.id, code)
                )
    caption = await warta.say(ADMIN_ID, "/stats")
    assert "Notifikasi per provinsi (7 hari):" in caption
    assert "Jawa Barat: 2 notifikasi" in caption
    assert "Maluku Utara: 1 notifikasi" in caption
    assert "Jawa Tengah" not in caption  # its alert is older than the week

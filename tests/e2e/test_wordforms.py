"""Word forms and name spellings end to end: `warta run` alerts on the forms a topic covers,
`/latest` finds what alerts find, `/list` says what a topic covers in one message."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FeedServer, TelegramStandIn
from tests.e2e.harness import NATIONAL_FEED, BotProcess, national_desk_bot
from tests.e2e.test_alert_pipeline import say, wait_for_poll
from tests.factories import news
from tests.inprocess import alert_titles

KIRIM, EXACT, ADIL, NAME, MANY = 401, 402, 403, 404, 405
SENT = "Pengiriman bantuan ke Lombok tertunda cuaca"
# Twenty topics, most with many forms: what /latest looks up for them is over its term limit.
TWENTY = (
    "kirim, tulis, pakai, bangun, jual, beli, bayar, tanam, ajar, dukung, "
    "periksa, lapor, tangkap, sita, rawat, sewa, pinjam, cetak, tolak, ukur"
)


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> AsyncIterator[BotProcess]:
    async with national_desk_bot(tmp_path, telegram, feeds, database) as process:
        yield process


async def test_a_topic_finds_its_word_forms_and_a_name_its_spellings(
    telegram: TelegramStandIn, feeds: FeedServer, bot: BotProcess
) -> None:
    await wait_for_poll(feeds, NATIONAL_FEED)
    for chat_id, topic in ((KIRIM, "kirim"), (EXACT, "=kirim"), (ADIL, "adil")):
        assert topic in await say(telegram, chat_id, f"/subscribe {topic}")
    assert "Soeharto" in await say(telegram, NAME, "/subscribe Soeharto")
    assert "ukur" in await say(telegram, MANY, f"/subscribe {TWENTY}")

    feeds.add_item(NATIONAL_FEED, news("kirim", SENT))
    feeds.add_item(NATIONAL_FEED, news("sidang", "Sidang di pengadilan negeri ditunda"))
    feeds.add_item(NATIONAL_FEED, news("orba", "Era Presiden Suharto dikenang warga"))
    # A story for the two chats that must not get the others: once every chat has its alert,
    # the other stories had their turn (one poll brings all four).
    feeds.add_item(NATIONAL_FEED, news("surat", "Warga kirim surat soal keadilan"))
    await telegram.wait_for(
        lambda tg: all(alert_titles(tg, chat) for chat in (KIRIM, NAME, EXACT, ADIL)), timeout=30
    )
    # Both stories that say a form of "kirim" reach its two chats, before /list is asked there.
    for chat in (KIRIM, MANY):
        await telegram.wait_for(lambda tg, chat=chat: len(alert_titles(tg, chat)) == 2, timeout=30)
    assert sorted(alert_titles(telegram, KIRIM)) == [SENT, "Warga kirim surat soal keadilan"]
    assert sorted(alert_titles(telegram, MANY)) == [SENT, "Warga kirim surat soal keadilan"]
    assert alert_titles(telegram, EXACT) == ["Warga kirim surat soal keadilan"]
    assert alert_titles(telegram, ADIL) == ["Warga kirim surat soal keadilan"]
    assert alert_titles(telegram, NAME) == ["Era Presiden Suharto dikenang warga"]

    assert SENT in await say(telegram, KIRIM, "/latest kirim")
    assert SENT in await say(telegram, MANY, "/latest")
    assert SENT not in await say(telegram, EXACT, "/latest =kirim")

    listed = await say(telegram, KIRIM, "/list")
    covers = re.search(r"juga mencakup: (.*) dan (\d+) lainnya \(=kirim untuk kata", listed)
    assert covers is not None, listed
    assert len(covers[1].split(", ")) <= 6
    before = len(telegram.messages_to(MANY))
    await say(telegram, MANY, "/list")
    assert len(telegram.messages_to(MANY)) == before + 1
    assert telegram.messages_to(MANY)[-1].plain_text.count("lainnya (=") >= 10

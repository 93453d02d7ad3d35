"""Every reply fits in a Telegram message, however much a reader writes or the bot has stored.

The Telegram stand-in refuses a message over 4,096 characters, as Telegram does: a reply that
grew past it would be lost, and the reader told that something went wrong.
"""

from __future__ import annotations

from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from tests.inprocess import RunningBot, running_bot

BUDI = 101
APOLOGY = "Maaf, terjadi kesalahan"


def long_topic(n: int) -> str:
    """A distinct topic of exactly 60 characters, the longest allowed."""
    return f"banjir bandang merendam rumah warga di kecamatan nomor {n:03d}".ljust(60, "x")[:60]


async def replies_to(warta: RunningBot, chat_id: int, message: str, last: str) -> list[str]:
    """The bot's replies to a message, up to the one containing `last` (or an apology)."""
    before = len(warta.telegram.messages_to(chat_id))
    warta.telegram.user_says(chat_id, message)

    def answered(tg: TelegramStandIn) -> bool:
        texts = [m.plain_text or "" for m in tg.messages_to(chat_id)[before:]]
        return any(last in text or APOLOGY in text for text in texts)

    await warta.telegram.wait_for(answered)
    return [m.plain_text or "" for m in warta.telegram.messages_to(chat_id)[before:]]


async def test_a_long_subscribe_saves_every_topic_and_says_so_in_replies_that_fit(
    warta: RunningBot,
) -> None:
    topics = [long_topic(n) for n in range(65)]  # 20 to save, 45 past the limit
    message = "/subscribe " + ", ".join(topics)
    assert len(message) <= 4096  # what a reader can send
    replies = await replies_to(warta, BUDI, message, "/list")
    assert not any(APOLOGY in reply for reply in replies)
    assert all(len(reply) <= 4096 for reply in replies)
    said = "\n".join(replies)
    assert "Topik ditambahkan" in said
    assert all(topic in said for topic in topics[:20])  # every saved topic is named
    assert "Batas 20 topik" in said
    assert topics[20] in said  # the first left out is named; the rest at least counted
    saved = [t.text for t in await warta.services.storage.list_topics(BUDI)]
    assert saved == topics[:20]


async def test_thousands_of_refused_topics_are_explained_in_part_and_counted(
    warta: RunningBot,
) -> None:
    message = "/subscribe " + ", ".join("x" for _ in range(2000))
    replies = await replies_to(warta, BUDI, message, "tidak ditambahkan")
    assert not any(APOLOGY in reply for reply in replies)
    assert len(replies) == 1
    assert "minimal 2 karakter" in replies[0]
    assert "1990 topik lain tidak ditambahkan" in replies[0]
    assert await warta.services.storage.list_topics(BUDI) == []


async def test_list_of_twenty_topics_with_long_readings_fits(warta: RunningBot) -> None:
    # Each abbreviation also covers its spelled-out name: a topic of several covers every mix.
    groups = [
        "Jateng Jatim Jabar DIY NTB NTT",
        "Kalbar Kalsel Kaltim Kalteng Kaltara",
        "Sumut Sumbar Sumsel Sulut Sulsel",
        "BMKG BNPB BPBD Basarnas",
    ]
    topics = [f"{groups[n % 4]} {n:02d}" for n in range(20)]
    for start in (0, 10):
        subscribe = "/subscribe " + ", ".join(topics[start : start + 10])
        await replies_to(warta, BUDI, subscribe, "/list")
    replies = await replies_to(warta, BUDI, "/list", topics[-1])
    assert not any(APOLOGY in reply for reply in replies)
    said = "\n".join(replies)
    assert "Topik yang Anda ikuti (20/20)" in said
    assert all(f"• {topic}" in said for topic in topics)
    assert "Nusa Tenggara Timur" in said  # the readings are there too


async def test_an_unknown_region_lists_the_known_ones_within_one_message(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    regions = [f"Kabupaten Contoh Panjang Sekali Nomor {n:03d} Provinsi Banten" for n in range(90)]
    entries = [(f"Kanal {n}", f"/kanal-{n}.xml", region) for n, region in enumerate(regions)]
    for _, path, _ in entries:
        feeds.publish(path, [])
    async with running_bot(tmp_path, telegram, feeds, entries) as warta:
        replies = await replies_to(warta, BUDI, "/region Atlantis", "Atlantis")
        assert not any(APOLOGY in reply for reply in replies)
        (reply,) = replies
        assert regions[0] in reply
        assert len(reply) <= 4096

"""What a reader is told of an item: plain text kept as text, and the dateline's place matched."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.standin import FeedItem, FeedServer, SentMessage, TelegramStandIn, render_atom
from tests.factories import news
from tests.inprocess import RunningBot, running_bot

BUDI, SITI = 101, 102
BANTEN, ATOM = "/banten.xml", "/atom.xml"
PLAIN_TITLE = "Air Naik > 1 Meter & <Warga> Mengungsi"


async def alert_to(warta: RunningBot, chat_id: int, about: str) -> SentMessage:
    """The alert the reader received whose text mentions `about`."""

    def found(telegram: TelegramStandIn) -> list[SentMessage]:
        return [m for m in telegram.messages_to(chat_id) if about in (m.plain_text or "")]

    await warta.telegram.wait_for(lambda telegram: bool(found(telegram)), timeout=30)
    (alert,) = found(warta.telegram)
    assert (alert.plain_text or "").startswith("🔔")
    return alert


async def test_a_plain_text_rss_title_keeps_its_angle_brackets(warta: RunningBot) -> None:
    await warta.poll()  # the feed's back catalogue: nothing is alerted from it
    await warta.say(BUDI, "/subscribe mengungsi, banjir")
    warta.feeds.add_item(BANTEN, news("air", PLAIN_TITLE))
    warta.feeds.add_item(BANTEN, news("html", "<b>Banjir</b> rendam <i>Serang</i>"))
    await warta.poll()
    plain = await alert_to(warta, BUDI, "<Warga>")
    assert PLAIN_TITLE in (plain.plain_text or "")
    assert "Air Naik &gt; 1 Meter &amp; &lt;Warga&gt; Mengungsi" in (plain.text or "")
    # A title that is HTML still loses its tags.
    markup = await alert_to(warta, BUDI, "Banjir rendam Serang")
    assert "<b>Banjir" not in (markup.plain_text or "")


def atom_with_plain_text(items: list[FeedItem]) -> bytes:
    """An Atom feed whose titles and summaries say type="text"."""
    document = render_atom("Uji", "https://uji.example/", items, datetime.now(UTC))
    return document.replace(b'<summary type="html">', b'<summary type="text">')


async def test_plain_text_atom_titles_and_summaries_are_kept_as_text(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.set_raw(ATOM, atom_with_plain_text([]), content_type="application/atom+xml")
    async with running_bot(tmp_path, telegram, feeds, [("Uji Atom", ATOM, "Banten")]) as warta:
        await warta.poll()
        await warta.say(SITI, "/subscribe mengungsi")
        summary = "Di bantaran <Ciujung> ada 3 < 5 rumah kosong & warga bertahan."
        feeds.set_raw(
            ATOM,
            atom_with_plain_text([news("air", PLAIN_TITLE, summary)]),
            content_type="application/atom+xml",
        )
        await warta.poll()
        alert = await alert_to(warta, SITI, "<Warga>")
        assert PLAIN_TITLE in (alert.plain_text or "")
        assert summary in (alert.plain_text or "")


async def test_a_reader_following_the_datelines_place_hears_of_the_story(
    warta: RunningBot,
) -> None:
    await warta.poll()
    await warta.say(BUDI, "/subscribe Kupang, Jakarta")
    # The outlets named in the datelines are no reason to alert anybody.
    await warta.say(SITI, "/subscribe Kompas, Pos Kupang")
    beras = "<p>KUPANG, POS-KUPANG.COM - Harga beras di pasar Oebobo naik lagi pekan ini.</p>"
    rupiah = "<p>JAKARTA, KOMPAS.com - Rupiah menguat tipis pada pembukaan perdagangan.</p>"
    warta.feeds.add_item(BANTEN, news("beras", "Harga beras naik lagi", beras))
    warta.feeds.add_item(BANTEN, news("rupiah", "Rupiah menguat tipis", rupiah))
    await warta.poll()
    alert = await alert_to(warta, BUDI, "Harga beras naik lagi")
    await alert_to(warta, BUDI, "Rupiah menguat tipis")
    shown = (alert.plain_text or "").split("\n")
    assert "Harga beras di pasar Oebobo naik lagi pekan ini." in shown
    assert not any("POS-KUPANG.COM" in line for line in shown)
    await warta.settled()
    assert [m for m in warta.telegram.messages_to(SITI) if "🔔" in (m.plain_text or "")] == []

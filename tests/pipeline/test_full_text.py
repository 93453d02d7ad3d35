"""The whole article: a teaser-only feed's items are matched on their article page's text."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.standin import FeedItem, FeedServer, TelegramStandIn
from tests.inprocess import RunningBot, alert_texts, running_bot

BUDI, SITI, RINA = 101, 102, 103
FEED = "/banten.xml"
# Long enough to see the end of the budget (5 s) and far short of the test's own limit.
SLOW_PAGE_SECONDS = 20.0


def news_page(title: str, dateline: str, paragraphs: Sequence[str]) -> str:
    """An article page laid out as Indonesian news sites do, boilerplate and all."""
    first, *rest = paragraphs
    body = f"<p><strong>{dateline}</strong> {first}</p>" + "".join(f"<p>{p}</p>" for p in rest)
    return (
        f"<html><head><title>{title} - Berita Uji</title></head><body>"
        "<header><nav><a href='/'>Beranda</a> <a href='/news'>News</a> "
        "<a href='/regional'>Regional</a> <a href='/olahraga'>Olahraga</a></nav></header>"
        f"<main><article><h1>{title}</h1><div class='date'>Senin, 30 Nov 2026 10:15 WIB</div>"
        f"<div class='read'>{body}"
        "<p><strong>Baca juga:</strong> <a href='/gempa'>Gempa magnitudo 5 guncang Lebak</a></p>"
        "</div><div class='tags'>Tags: <a>Rapat</a> <a>Banten</a></div>"
        "<div class='share'>Bagikan: Facebook Twitter WhatsApp Copy link</div></article>"
        "<aside><h3>Terpopuler</h3><ul><li><a href='/x'>Harga emas turun lagi</a></li></ul>"
        "</aside></main><footer>Copyright 2026 Berita Uji. All rights reserved.</footer>"
        "</body></html>"
    )


def teaser(slug: str, title: str, link: str, text: str = "") -> FeedItem:
    """A feed item that carries one sentence of its story."""
    return FeedItem(
        title=title,
        link=link,
        description=f"<p>{text or title + '.'}</p>",
        guid=f"urn:uji:{slug}",
    )


RAPAT = [
    "Pemerintah Provinsi Banten menggelar rapat koordinasi penanganan banjir di Pendopo.",
    "Dalam rapat itu, Kepala Pelaksana BPBD Banten, Nana Suryana, memaparkan data rumah yang "
    "terendam di tiga kecamatan.",
    "Rapat juga membahas normalisasi Sungai Cibanten yang dijadwalkan mulai pekan depan.",
]


async def alerted(warta: RunningBot, chat_id: int, count: int) -> list[str]:
    """The chat's alerts, once it has at least `count` of them."""
    await warta.telegram.wait_for(lambda tg: len(alert_texts(tg, chat_id)) >= count, timeout=30)
    return alert_texts(warta.telegram, chat_id)


async def test_a_word_only_in_the_article_alerts_and_the_summary_stays_the_teaser(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish(FEED, [])
    # A feed of no region: "Serang" counts as the place only because the dateline names it.
    async with running_bot(tmp_path, telegram, feeds, [("Uji", FEED, "")]) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe Nana Suryana")
        await warta.say(SITI, "/subscribe Serang")
        await warta.say(RINA, "/subscribe gempa, Kompas, Facebook")
        feeds.set_html("/rapat", news_page("Rapat banjir", "SERANG, KOMPAS.com —", RAPAT))
        said = "Pemprov Banten menggelar rapat koordinasi soal banjir."
        link = feeds.url("/rapat")
        feeds.add_item(FEED, teaser("rapat", "Pemprov gelar rapat banjir", link, said))
        await warta.poll()
        (alert,) = await alerted(warta, BUDI, 1)
        assert said in alert
        assert "Cibanten" not in alert  # the summary is the teaser, not the article
        # The dateline's place counts; its outlet, related links and share buttons do not.
        await alerted(warta, SITI, 1)
        await warta.settled()
        assert alert_texts(telegram, RINA) == []
        # The article's text is stored with the item: /latest finds it as well.
        assert "Pemprov gelar rapat banjir" in await warta.say(BUDI, "/latest Cibanten")
        # The page started the bot's extraction process, which stays for the next pages.
        assert warta.services.extractors is not None
        assert len(warta.services.extractors.process_ids()) == 1


async def test_a_slow_or_failing_page_leaves_the_item_to_its_teaser_and_is_counted(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish(FEED, [])
    async with running_bot(tmp_path, telegram, feeds, [("Uji", FEED, "Banten")]) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe banjir")
        feeds.set_html("/lambat", news_page("Lambat", "SERANG —", RAPAT))
        feeds.set_delay("/lambat", SLOW_PAGE_SECONDS)
        feeds.add_item(FEED, teaser("lambat", "Banjir di Serang", feeds.url("/lambat")))
        feeds.add_item(FEED, teaser("hilang", "Banjir di Lebak", feeds.url("/hilang")))
        # The poll ends with the budget, long before the slow page would have answered.
        async with asyncio.timeout(SLOW_PAGE_SECONDS - 2):
            await warta.poll()
        assert len(await alerted(warta, BUDI, 2)) == 2
        # Operators see the failures with `warta feeds check`.
        table = await feeds_check(tmp_path)
        (row,) = [
            line for line in table.splitlines() if line.startswith("│ Uji") and "│ 2 " in line
        ]
        assert "auto" in row


async def feeds_check(folder: Path) -> str:
    """What `warta feeds check` prints for the bot's database and feeds file in folder."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WARTA_", "TELEGRAM_"))}
    environment["WARTA_DB"] = str(folder / "warta.db")
    environment["WARTA_FEEDS"] = str(folder / "feeds.toml")
    environment["WARTA_ALLOW_PRIVATE_FEEDS"] = "127.0.0.1"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "feeds", "check",
        cwd=folder, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, errors.decode()
    return out.decode()


async def test_never_fetches_no_page(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish(FEED, [])
    async with running_bot(
        tmp_path, telegram, feeds, [("Uji", FEED, "Banten")], full_text={FEED: "never"}
    ) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe Suryana, Pemprov")
        feeds.set_html("/rapat", news_page("Rapat banjir", "SERANG —", RAPAT))
        feeds.add_item(FEED, teaser("rapat", "Pemprov gelar rapat banjir", feeds.url("/rapat")))
        await warta.poll()
        (alert,) = await alerted(warta, BUDI, 1)
        assert "Pemprov" in alert  # alerted on the teaser; the page was never asked for
        assert feeds.hits("/rapat") == 0


async def test_a_feed_sending_whole_articles_fetches_no_page(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    long_text = " ".join(RAPAT * 3)
    old = [teaser(f"lama{n}", f"Berita lama {n}", "https://x.example/", long_text) for n in "123"]
    feeds.publish(FEED, old)
    async with running_bot(tmp_path, telegram, feeds, [("Uji", FEED, "Banten")]) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe Suryana")
        feeds.set_html("/rapat", news_page("Rapat banjir", "SERANG —", RAPAT))
        feeds.add_item(FEED, teaser("rapat", "Rapat banjir", feeds.url("/rapat"), long_text))
        await warta.poll()
        await alerted(warta, BUDI, 1)
        assert feeds.hits("/rapat") == 0
        # Nor does any extraction process run: they start with the first page.
        assert warta.services.extractors is not None
        assert warta.services.extractors.process_ids() == []


async def test_an_article_on_a_private_address_is_refused(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, internal: FeedServer
) -> None:
    feeds.publish(FEED, [])
    internal.set_html("/rahasia", news_page("Rahasia", "SERANG —", ["Kunci akses server."]))
    async with running_bot(tmp_path, telegram, feeds, [("Uji", FEED, "Banten")]) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe rapat")
        link = internal.url("/rahasia")
        feeds.add_item(FEED, teaser("rahasia", "Rapat tertutup", link))
        await warta.poll()
        await alerted(warta, BUDI, 1)
        assert internal.requests == []  # refused at the check: not a byte went there
        (health,) = await warta.services.storage.article_health()
        assert health.failures == 1
        assert "not public" in (health.last_error or "")

"""/addfeed, /removefeed, /feeds and /export: the feeds seen and changed from the chat."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.feeds.discovery import FeedFinder, FeedRefused
from bot.feeds.feedlist import load_feed_list
from bot.feeds.fetch import build_http_client
from bot.feeds.opml import feeds_from_opml
from bot.net.addresses import is_public_address
from bot.standin import FeedServer
from storage.models import FeedSeed
from tests.factories import news
from tests.inprocess import ADMIN_ID, RunningBot, confirmation, current_text

JABAR_NEWS = [news("1", "Banjir Bandung Selatan meluas"), news("2", "Tol Cipularang padat")]


async def enabled_feeds(bot: RunningBot) -> dict[str, tuple[str, str]]:
    return {f.url: (f.name, f.region) for f in await bot.services.storage.list_feeds()}


def current_buttons(bot: RunningBot, message_id: int) -> list[dict[str, str]]:
    stored = bot.telegram.message(ADMIN_ID, message_id) or {}
    rows = stored.get("reply_markup", {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


async def test_addfeed_adds_a_feed_named_from_its_title(operator_bot: RunningBot) -> None:
    feeds = operator_bot.feeds
    feeds.publish("/jabar.xml", JABAR_NEWS, title="ANTARA Jawa Barat")
    url = feeds.url("/jabar.xml")
    reply = await operator_bot.say(ADMIN_ID, f"/addfeed {url} Jawa Barat")
    assert "Feed ditambahkan: ANTARA Jawa Barat · Jawa Barat (2 berita saat ini)" in reply
    assert (await enabled_feeds(operator_bot))[url] == ("ANTARA Jawa Barat", "Jawa Barat")
    # The next poll fetches it like any other feed.
    await operator_bot.poll()
    latest = await operator_bot.say(ADMIN_ID, "/latest Cipularang")
    assert "Tol Cipularang padat" in latest
    again = await operator_bot.say(ADMIN_ID, f"/addfeed {url}")
    assert "sudah ada dalam daftar" in again


async def test_a_feed_added_with_addfeed_is_fetched_at_once(operator_bot: RunningBot) -> None:
    feeds = operator_bot.feeds
    feeds.publish("/jabar.xml", JABAR_NEWS, title="ANTARA Jawa Barat")
    await operator_bot.say(ADMIN_ID, f"/addfeed {feeds.url('/jabar.xml')} Jawa Barat")
    # Once to find the feed, once more by the poller: no poll interval has passed.
    await feeds.wait_for_hits("/jabar.xml", 2)
    poller = operator_bot.services.poller
    assert poller is not None
    await poller.wait_for_look()
    await poller.wait_for_fetches()
    latest = await operator_bot.say(ADMIN_ID, "/latest Cipularang")
    assert "Tol Cipularang padat" in latest


async def test_addfeed_finds_the_feed_a_web_page_links(operator_bot: RunningBot) -> None:
    feeds = operator_bot.feeds
    feeds.publish("/rss/terkini.xml", JABAR_NEWS, kind="atom", title="Pikiran Rakyat")
    feeds.set_html(
        "/berita/index.html",
        "<!doctype html><html><head><title>Pikiran Rakyat</title>"
        '<link rel="stylesheet" href="/gaya.css">'
        '<link rel="alternate" type="application/atom+xml" title="Terkini" '
        'href="../rss/terkini.xml">'
        "</head><body><h1>Berita</h1></body></html>",
    )
    reply = await operator_bot.say(ADMIN_ID, f"/addfeed {feeds.url('/berita/index.html')}")
    assert "bukan feed, tetapi menautkan sebuah feed" in reply
    assert "Pikiran Rakyat" in reply
    assert feeds.url("/rss/terkini.xml") in await enabled_feeds(operator_bot)


async def test_addfeed_refuses_a_page_that_is_not_a_feed(operator_bot: RunningBot) -> None:
    feeds = operator_bot.feeds
    feeds.set_html("/tentang.html", "<html><head><title>Tentang</title></head><body/></html>")
    before = await enabled_feeds(operator_bot)
    reply = await operator_bot.say(ADMIN_ID, f"/addfeed {feeds.url('/tentang.html')}")
    assert "Tidak ditambahkan: ini bukan feed" in reply
    assert "HTML" in reply
    missing = await operator_bot.say(ADMIN_ID, f"/addfeed {feeds.url('/hilang.xml')}")
    assert "tidak dapat diambil (HTTP 404" in missing
    assert await enabled_feeds(operator_bot) == before


async def test_addfeed_refuses_an_address_outside_the_allow_list_without_fetching(
    warta: RunningBot, internal: FeedServer
) -> None:
    # WARTA_ALLOW_PRIVATE_FEEDS=127.0.0.1 as the tests run: 127.0.0.2 is not in it.
    internal.publish("/jabar.xml", JABAR_NEWS)
    reply = await warta.say(ADMIN_ID, f"/addfeed {internal.url('/jabar.xml')}")
    assert "tidak berada di internet publik (127.0.0.2 → 127.0.0.2)" in reply
    assert internal.requests == []
    assert "hanya untuk admin" in await warta.say(101, f"/addfeed {internal.url('/jabar.xml')}")
    assert internal.url("/jabar.xml") not in await enabled_feeds(warta)


async def test_addfeed_refuses_a_redirect_to_an_address_outside_the_allow_list(
    warta: RunningBot, internal: FeedServer
) -> None:
    internal.publish("/jabar.xml", JABAR_NEWS)
    warta.feeds.set_redirect("/pindah", internal.url("/jabar.xml"))
    reply = await warta.say(ADMIN_ID, f"/addfeed {warta.feeds.url('/pindah')}")
    assert "tidak berada di internet publik (127.0.0.2 → 127.0.0.2)" in reply
    assert warta.feeds.hits("/pindah") == 1
    assert internal.requests == []


async def test_without_the_setting_only_public_addresses_are_fetched(feeds: FeedServer) -> None:
    feeds.publish("/jabar.xml", JABAR_NEWS)
    async with build_http_client(30.0) as client:
        finder = FeedFinder(client, max_bytes=1 << 20, timeout=30.0)
        with pytest.raises(FeedRefused) as refused:
            await finder.find(feeds.url("/jabar.xml"))
    assert refused.value.code == "not_public"
    assert refused.value.detail == "127.0.0.1 → 127.0.0.1"
    assert feeds.requests == []


async def test_addfeed_explains_a_url_it_cannot_use(warta: RunningBot) -> None:
    reply = await warta.say(ADMIN_ID, "/addfeed ftp://127.0.0.1/feed.xml")
    assert "bukan alamat http(s) (ftp://127.0.0.1/feed.xml)" in reply

    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    async with build_http_client(30.0, resolve=nowhere) as client:
        finder = FeedFinder(client, max_bytes=1 << 20, timeout=30.0)
        with pytest.raises(FeedRefused) as refused:
            await finder.find("https://tidak-ada.test/rss")
    assert refused.value.code == "unresolvable"
    assert refused.value.detail == "tidak-ada.test: [Errno -2] Name or service not known"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.251", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_only_public_addresses_pass(address: str, public: bool) -> None:
    assert is_public_address(address) is public


async def test_removefeed_button_stops_polling_but_keeps_the_news(
    operator_bot: RunningBot, tmp_path: Path
) -> None:
    telegram, feeds = operator_bot.telegram, operator_bot.feeds
    feeds.publish("/banten.xml", [news("b1", "Banjir Serang rendam 300 rumah")])
    await operator_bot.poll()
    banten = feeds.url("/banten.xml")
    await operator_bot.say(ADMIN_ID, "/removefeed")
    prompt = await confirmation(telegram)
    assert [b["text"] for b in prompt.buttons] == ["🗑 ANTARA Banten · Banten"]
    telegram.press_button(ADMIN_ID, prompt.message_id, prompt.callback_data[0])
    await telegram.wait_for(lambda tg: "Feed dihapus" in current_text(tg, prompt))
    assert banten not in await enabled_feeds(operator_bot)
    assert "Banjir Serang rendam 300 rumah" in await operator_bot.say(ADMIN_ID, "/latest banjir")
    hits = feeds.hits("/banten.xml")
    await operator_bot.poll()
    assert feeds.hits("/banten.xml") == hits
    # A restart seeds from WARTA_FEEDS again: the removed feed stays removed.
    storage = operator_bot.services.storage
    await storage.sync_feeds(load_feed_list(tmp_path / "feeds.toml"))
    assert banten not in await enabled_feeds(operator_bot)
    # /addfeed brings it back.
    assert "ditambahkan kembali" in await operator_bot.say(ADMIN_ID, f"/addfeed {banten} Banten")


async def test_a_feed_added_by_command_survives_a_restart(
    operator_bot: RunningBot, tmp_path: Path
) -> None:
    storage = operator_bot.services.storage
    jabar = operator_bot.feeds.url("/jabar.xml")
    await storage.add_feed(FeedSeed(jabar, "Jabar", "Jawa Barat"), 1, 0)
    await storage.sync_feeds(load_feed_list(tmp_path / "feeds.toml"))
    assert jabar in await enabled_feeds(operator_bot)


async def test_feeds_shows_how_often_each_feed_is_polled_and_why(
    operator_bot: RunningBot,
) -> None:
    storage = operator_bot.services.storage
    now = time.time()
    busy = await storage.add_feed(FeedSeed(operator_bot.feeds.url("/a.xml"), "Ramai", "A"), 1, now)
    await storage.record_feed_success(busy.feed_id, None, None, now, interval=(60, "rate"))
    limited = await storage.add_feed(
        FeedSeed(operator_bot.feeds.url("/b.xml"), "Sibuk", "B"), 1, now
    )
    await storage.record_feed_failure(
        limited.feed_id, "HTTP 429", now, now + 7200, reason="retry_after"
    )
    listing = await operator_bot.say(ADMIN_ID, "/feeds")
    entries = {entry.split("\n")[0]: entry for entry in listing.split("\n\n")}
    assert "dicek tiap 1 menit" in entries["✅ Ramai · A"]
    assert "mengikuti laju terbitnya" in entries["✅ Ramai · A"]
    assert "dicek tiap 2 jam" in entries["⚠️ Sibuk · B"]
    assert "situs meminta menunggu (Retry-After)" in entries["⚠️ Sibuk · B"]
    assert "pengambilan pertama segera" in entries["⏳ ANTARA Banten · Banten"]


async def test_feeds_pages_ten_at_a_time_in_one_message(operator_bot: RunningBot) -> None:
    telegram = operator_bot.telegram
    storage = operator_bot.services.storage
    long_name = "Portal Berita Daerah dengan Nama yang Sangat Panjang Sekali " * 3
    for number in range(23):
        url = operator_bot.feeds.url(f"/daerah{number:02d}.xml")
        seed = FeedSeed(url, f"{long_name}{number:02d}", "Z")
        added = await storage.add_feed(seed, ADMIN_ID, time.time())
        await storage.record_feed_failure(added.feed_id, "x" * 400, time.time(), time.time())
    first = await operator_bot.say(ADMIN_ID, "/feeds")
    assert "Feed: 24 (halaman 1/3)" in first
    assert "ANTARA Banten" in first
    assert "berturut-turut" in first
    message = telegram.messages_to(ADMIN_ID)[-1]
    assert [b["text"] for b in message.buttons] == ["▶"]
    pages = [first]
    for expected in ("halaman 2/3", "halaman 3/3"):
        forward = current_buttons(operator_bot, message.message_id)[-1]
        assert forward["text"] == "▶"
        telegram.press_button(ADMIN_ID, message.message_id, forward["callback_data"])
        await telegram.wait_for(lambda tg, page=expected: page in current_text(tg, message))
        pages.append(current_text(telegram, message))
    assert len(telegram.messages_to(ADMIN_ID)) == 1  # every page in the same message
    assert all(len(page.encode("utf-16-le")) // 2 <= 4096 for page in pages)
    shown_names = [page.count(long_name[:20]) for page in pages]
    assert shown_names == [9, 10, 4]  # ANTARA Banten sorts first on page 1
    assert [b["text"] for b in current_buttons(operator_bot, message.message_id)] == ["◀"]


async def test_export_sends_the_feeds_as_an_opml_document(operator_bot: RunningBot) -> None:
    telegram = operator_bot.telegram
    storage = operator_bot.services.storage
    jabar = operator_bot.feeds.url("/jabar.xml?wilayah=jabar&jenis=semua")
    await storage.add_feed(FeedSeed(jabar, "Jabar & Banten", "Jawa Barat"), 1, 0)
    await operator_bot.say(ADMIN_ID, "/export")
    sent = telegram.messages_to(ADMIN_ID)[-1]
    assert sent.method == "sendDocument"
    assert sent.filename == "warta-feeds.opml"
    assert sent.document is not None
    exported = {(f.url, f.name, f.region) for f in feeds_from_opml(sent.document)}
    assert exported == {(u, n, r) for u, (n, r) in (await enabled_feeds(operator_bot)).items()}
    assert "2 feed" in (sent.plain_text or "")


async def test_addfeed_reads_the_region_after_a_newline(operator_bot: RunningBot) -> None:
    feeds = operator_bot.feeds
    feeds.publish("/jabar.xml", JABAR_NEWS, title="ANTARA Jawa Barat")
    url = feeds.url("/jabar.xml")
    reply = await operator_bot.say(ADMIN_ID, f"/addfeed\n{url}\nJawa Barat")
    assert "ANTARA Jawa Barat · Jawa Barat" in reply
    assert (await enabled_feeds(operator_bot))[url] == ("ANTARA Jawa Barat", "Jawa Barat")

"""The Mini App in a real browser: a reader shapes a topic with the preview, then gets alerts.

Debian's chromium, driven by Playwright, opens the page over loopback TLS from the running bot,
with a stand-in of Telegram's web-app script (tests/webapp/browser.py).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news
from tests.inprocess import RunningBot, running_bot
from tests.ops.helpers import free_port
from tests.webapp.browser import axe_source, chromium, chromium_or_skip, phone
from tests.webapp.helpers import READER, init_data

TLS_PEM = Path(__file__).resolve().parents[1] / "data" / "tls" / "feeds-test.pem"
TIMEOUT_MS = 30_000  # "hung", not a speed target
GROUP = -1005301


def loopback_tls() -> ssl.SSLContext:
    """The suite's test certificate, for the webhook's server."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS_PEM)
    return context


async def follow_banjir_in_the_page(page: Any) -> None:
    """Type an invalid topic, then a valid one; see the error, the preview; follow it."""
    topic = page.get_by_role("textbox", name="Topic", exact=True)
    await topic.fill("banjir (Serang")
    error = page.locator("#topic-error")
    await error.wait_for(timeout=TIMEOUT_MS)
    assert "the parentheses do not balance (at character 8)" in await error.inner_text()
    await topic.fill("banjir")
    story = page.locator("#stories li").first
    await story.wait_for(timeout=TIMEOUT_MS)
    assert "Banjir rendam 300 rumah di Serang" in await story.inner_text()
    assert await story.locator("mark").first.inner_text() == "Banjir"
    assert await page.locator("#per-day li").count() == 1
    await page.get_by_role("button", name="Follow this topic").click()
    await page.locator("#topics li", has_text="banjir").wait_for(timeout=TIMEOUT_MS)


async def follow_gempa_in_the_group(page: Any, warta: RunningBot) -> None:
    """Switch the page to the group the reader administers and follow a topic there."""
    await page.get_by_label("Alerts for").select_option(label="Warga Serang")
    await page.locator("#no-topics").wait_for(timeout=TIMEOUT_MS)  # the group follows nothing
    await page.get_by_role("textbox", name="Topic", exact=True).fill("gempa")
    await page.get_by_role("button", name="Follow this topic").click()
    await page.locator("#topics li", has_text="gempa").wait_for(timeout=TIMEOUT_MS)
    storage = warta.services.storage
    assert [topic.text for topic in await storage.list_topics(GROUP)] == ["gempa"]
    assert [topic.text for topic in await storage.list_topics(READER)] == ["banjir"]


async def controls_reached_by_tab(page: Any) -> tuple[set[str], set[str]]:
    """The ids of the visible controls, and of those that Tab reached."""
    wanted = set(
        await page.evaluate(
            """() => [...document.querySelectorAll('input, select, button, a[href]')]
                .filter((el) => el.offsetParent !== null && el.id).map((el) => el.id)"""
        )
    )
    reached: set[str] = set()
    await page.locator("body").focus()
    for _ in range(4 * len(wanted) + 20):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("() => document.activeElement && document.activeElement.id")
        if focused:
            reached.add(focused)
    return wanted, reached


async def serious_accessibility_problems(page: Any) -> list[str]:
    """What axe-core finds of serious or critical impact."""
    await page.evaluate(axe_source())
    found = await page.evaluate("async () => (await axe.run()).violations")
    return [
        f"{problem['id']}: {problem['help']}"
        for problem in found
        if problem["impact"] in {"serious", "critical"}
    ]


async def screenshot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"mini-app-360-{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path


async def test_a_reader_shapes_a_topic_in_the_page_and_then_gets_its_alerts(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    record_property: Callable[[str, object], None],
) -> None:
    executable = chromium_or_skip()
    feeds.publish(
        "/banten.xml",
        [
            news("1", "Banjir rendam 300 rumah di Serang", hours_ago=5),
            news("2", "Harga cabai di Pandeglang turun", hours_ago=4),
        ],
    )
    port = free_port()
    origin = f"https://127.0.0.1:{port}"
    entries = [("ANTARA Banten", "/banten.xml", "Banten")]
    async with (
        running_bot(
            tmp_path, telegram, feeds, entries, webhook_port=port, webhook_tls=loopback_tls()
        ) as warta,
        chromium(executable) as browser,
    ):
        await warta.poll()
        # The reader added the bot to a group they administer: the page offers it.
        telegram.member_status.setdefault(GROUP, {})[READER] = "administrator"
        telegram.bot_added_to(GROUP, "supergroup", "Warga Serang", user_id=READER)
        await warta.say(READER, "/start", language_code="en")  # handled after the addition
        foreign: list[str] = []
        signed = init_data(telegram.token, language="en")
        light = await phone(browser, origin, signed, dark=False, foreign=foreign)
        page = await light.new_page()
        await page.goto(f"{origin}/app/")
        await page.get_by_role("heading", name="Warta: my alerts").wait_for(timeout=TIMEOUT_MS)

        await follow_banjir_in_the_page(page)
        assert [topic.text for topic in await warta.services.storage.list_topics(READER)] == [
            "banjir"
        ]
        await next_story_reaches_the_chat(warta)
        await follow_gempa_in_the_group(page, warta)

        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 360
        wanted, reached = await controls_reached_by_tab(page)
        assert wanted - reached == set()
        assert await serious_accessibility_problems(page) == []
        shots = [await screenshot(page, tmp_path, "light")]

        dark = await phone(browser, origin, signed, dark=True, foreign=foreign)
        night = await dark.new_page()
        await night.goto(f"{origin}/app/")
        await night.locator("#topics li", has_text="banjir").wait_for(timeout=TIMEOUT_MS)
        background = await night.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(23, 33, 43)"  # the dark theme's bg_color
        assert await night.evaluate("() => document.documentElement.scrollWidth") <= 360
        assert await serious_accessibility_problems(night) == []
        shots.append(await screenshot(night, tmp_path, "dark"))
        assert foreign == []  # nothing but the bot's own origin and Telegram's script
        record_property("screenshots", ", ".join(map(str, shots)))
        print("Mini App screenshots:", *shots)


async def next_story_reaches_the_chat(warta: RunningBot) -> None:
    """The topic followed in the page brings the next matching story to the reader's chat."""
    before = len(warta.telegram.messages_to(READER))
    warta.feeds.add_item("/banten.xml", news("3", "Banjir susulan landa Serang", hours_ago=0))
    await warta.poll()
    sent = await warta.telegram.wait_for_messages(READER, before + 1)
    assert "Banjir susulan landa Serang" in (sent[-1].plain_text or "")

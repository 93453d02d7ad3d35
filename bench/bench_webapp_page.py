"""The Mini App on a slow phone connection: time to the page, and to the first preview.

Run from the repository root (needs Debian's chromium: apt-get install -y chromium):
    python -m bench.bench_webapp_page [--runs 5]
Chromium, driven by Playwright, opens the page from the running bot (loopback TLS, Telegram's
script stood in for) with the connection throttled to 1.6 Mbit/s down, 750 kbit/s up and 150 ms
latency (Chrome's "Slow 3G"-like profile of the issue); the reader types a topic, and the clock
stops when the preview shows its first story. The debounce (350 ms) is part of the time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.report import append_result
from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news
from tests.inprocess import running_bot
from tests.ops.helpers import free_port
from tests.webapp.browser import chromium, chromium_or_skip, phone
from tests.webapp.helpers import READER, init_data
from tests.webapp.test_page import loopback_tls

THROTTLE = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
TARGET_MS = 3000.0


async def one_run(browser: object, origin: str, signed: str) -> tuple[float, float]:
    """Milliseconds to the page's heading, and from the first keystroke to the first story."""
    context = await phone(browser, origin, signed, dark=False, foreign=[])
    page = await context.new_page()
    session = await context.new_cdp_session(page)
    await session.send("Network.enable")
    await session.send("Network.emulateNetworkConditions", THROTTLE)
    started = time.perf_counter()
    await page.goto(f"{origin}/app/")
    await page.get_by_role("heading", name="Warta: my alerts").wait_for(timeout=60_000)
    loaded = time.perf_counter()
    await page.get_by_role("textbox", name="Topic", exact=True).press_sequentially("banjir")
    typed = time.perf_counter()
    await page.locator("#stories li").first.wait_for(timeout=60_000)
    shown = time.perf_counter()
    await context.close()
    return (loaded - started) * 1000, (shown - typed) * 1000


async def measure(runs: int) -> tuple[list[float], list[float]]:
    executable = chromium_or_skip()
    port = free_port()
    origin = f"https://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        async with TelegramStandIn() as telegram, FeedServer() as feeds:
            feeds.publish(
                "/banten.xml",
                [
                    news(str(n), f"Banjir rendam {n} rumah di Serang", hours_ago=n)
                    for n in range(40)
                ],
            )
            entries = [("ANTARA Banten", "/banten.xml", "Banten")]
            async with (
                running_bot(
                    Path(folder), telegram, feeds, entries, webhook_port=port,
                    webhook_tls=loopback_tls(),
                ) as warta,
                chromium(executable) as browser,
            ):  # fmt: skip
                await warta.poll()
                await warta.say(READER, "/start", language_code="en")
                signed = init_data(telegram.token, language="en")
                pages, previews = [], []
                for _ in range(runs):
                    page_ms, preview_ms = await one_run(browser, origin, signed)
                    pages.append(page_ms)
                    previews.append(preview_ms)
    return pages, previews


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pages, previews = asyncio.run(measure(args.runs))
    page, first = statistics.median(pages), statistics.median(previews)
    print(f"Mini App at 1.6 Mbit/s, 150 ms: page {page:.0f} ms, first preview {first:.0f} ms")
    append_result(
        "Mini App on a slow connection (bench/bench_webapp_page.py)",
        f"page shown {page:.0f} ms, first preview {first:.0f} ms after typing (medians)",
        f"first preview <= {TARGET_MS:g} ms",
        f"{args.runs} runs, chromium throttled to 1.6 Mbit/s down, 750 kbit/s up, 150 ms "
        "latency; 40 stored stories; the typing debounce (350 ms) included",
    )


if __name__ == "__main__":
    main()

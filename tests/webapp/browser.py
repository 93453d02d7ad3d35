"""Debian's chromium driven by Playwright, and a stand-in of Telegram's telegram-web-app.js.

The suite has no internet: the page's request for Telegram's script is answered with a script
that gives the page what Telegram's would (window.Telegram.WebApp with signed initData, the
theme as --tg-theme-* variables); any other request off the bot's own origin is refused and
recorded, so a test sees it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get update && apt-get install -y chromium"

# Telegram's light and dark themes, as its clients send them (themeParams).
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#6d6d72",
    "link_color": "#1c6fb0",
    "button_color": "#1c6fb0",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f1f1f4",
    "destructive_text_color": "#b3261e",
}
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#a7b1bb",
    "link_color": "#7cc2f8",
    "button_color": "#2f6ea5",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
    "destructive_text_color": "#ff8a80",
}


def chromium_or_skip() -> Path:
    """The browser; the test is skipped without one, except under CI=true, where it fails."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing = "the playwright package (pip install -e '.[test]')"
    else:
        found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
        if found:
            return Path(found)
        missing = f"Debian's chromium (as root: {INSTALL})"
    message = f"the Mini App's browser tests need {missing}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI must run them")
    pytest.skip(message)


def web_app_script(init_data: str, theme: dict[str, str], scheme: str) -> str:
    """What Telegram's telegram-web-app.js gives a page, for one user and theme."""
    return f"""
(() => {{
  const theme = {json.dumps(theme)};
  const root = document.documentElement;
  for (const [key, value] of Object.entries(theme)) {{
    root.style.setProperty("--tg-theme-" + key.replaceAll("_", "-"), value);
  }}
  root.style.setProperty("--tg-color-scheme", {json.dumps(scheme)});
  window.Telegram = {{ WebApp: {{
    initData: {json.dumps(init_data)},
    themeParams: theme,
    colorScheme: {json.dumps(scheme)},
    ready() {{ window.__telegramReady = true; }},
    expand() {{}},
    openLink(url) {{ window.__openedLinks = (window.__openedLinks || []).concat([url]); }},
  }} }};
}})();
"""


def axe_source() -> str:
    """axe-core's axe.min.js, as the axe-playwright-python package ships it."""
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


@asynccontextmanager
async def chromium(executable: Path) -> AsyncIterator[Any]:
    """A headless chromium (Debian's, never a downloaded one)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(executable), headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def phone(
    browser: Any, origin: str, init_data: str, *, dark: bool, foreign: list[str]
) -> Any:
    """A 360-pixel-wide page context with Telegram's script stood in for (`foreign` collects
    requests to any other host)."""
    theme, scheme = (DARK, "dark") if dark else (LIGHT, "light")
    context = await browser.new_context(
        viewport={"width": 360, "height": 740},
        ignore_https_errors=True,  # the suite's certificate names feeds.test
        color_scheme=scheme,
        locale="en-US",
    )
    script = web_app_script(init_data, theme, scheme)

    async def route(request_route: Any) -> None:
        url = request_route.request.url
        if url == TELEGRAM_SCRIPT:
            await request_route.fulfill(body=script, content_type="application/javascript")
        elif url.startswith(origin):
            await request_route.continue_()
        else:
            foreign.append(url)
            await request_route.abort()

    await context.route("**/*", route)
    return context

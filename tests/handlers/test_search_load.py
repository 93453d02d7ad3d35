"""/latest under load: a long search holds up nobody else, and stops when its time is spent."""

from __future__ import annotations

import asyncio
import threading
import time

from bot.i18n import text
from bot.topics.search import MAX_IN_LINE_PER_CHAT, NewsSearch
from tests.handlers.test_latest import BUDI, stored_news
from tests.inprocess import RunningBot

SITI = 102
HUNG = 30.0
# Nine topics of fifteen different words, and one that the stored news matches: a full-text
# query of about 8,000 terms before searches were bounded.
WORST_CASE_TOPICS = [
    " ".join(f"{letter}{letter}{chr(97 + n)}" for n in range(15)) for letter in "cdefghijk"
] + ["Banjir Serang rendam 300 rumah"]


class HeldClock:
    """time.monotonic, except that a search's worker thread stops at its first look until
    released: the search is held in the middle of its work, as a slow one would be."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> float:
        if threading.current_thread() is not threading.main_thread():
            self.reached.set()
            self.release.wait(HUNG)
        return time.monotonic()


class ExpiringClock:
    """Time that runs out for a search's worker thread after `looks` looks at it."""

    def __init__(self, looks: int) -> None:
        self.looks = looks

    def __call__(self) -> float:
        if threading.current_thread() is threading.main_thread():
            return 0.0
        self.looks -= 1
        return 0.0 if self.looks >= 0 else 1e9


async def follow_worst_case_topics(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, "/subscribe " + ", ".join(WORST_CASE_TOPICS))
    assert "Serang" in reply
    assert len(await warta.services.storage.list_topics(BUDI)) == len(WORST_CASE_TOPICS)


async def test_other_readers_are_answered_while_a_search_runs(warta: RunningBot) -> None:
    await stored_news(warta)
    await follow_worst_case_topics(warta)
    clock = HeldClock()
    # Asked every hundred SQLite steps: the search is held inside its query.
    warta.services.storage.search_check_steps = 100
    warta.services.search = NewsSearch(warta.services.storage, budget=3600, clock=clock)
    before = len(warta.telegram.messages_to(BUDI))
    warta.telegram.user_says(BUDI, "/latest")
    try:
        assert await asyncio.to_thread(clock.reached.wait, HUNG)
        help_reply = await warta.say(SITI, "/help")
        assert "Perintah Warta" in help_reply
        # The same reader asking again waits in line, up to three searches; then is told.
        for _ in range(MAX_IN_LINE_PER_CHAT):
            warta.telegram.user_says(BUDI, "/latest")
        told = (await warta.telegram.wait_for_messages(BUDI, before + 1))[before]
        assert told.plain_text == text("latest_busy", "id")
        assert len(warta.telegram.messages_to(BUDI)) == before + 1
    finally:
        clock.release.set()
    answers = await warta.telegram.wait_for_messages(
        BUDI, before + MAX_IN_LINE_PER_CHAT + 1, timeout=HUNG
    )
    for answer in answers[before + 1 :]:
        assert (answer.plain_text or "").startswith("Berita terbaru untuk topik dan wilayah Anda")
        assert "Banjir Serang rendam 300 rumah" in (answer.plain_text or "")


async def test_a_search_out_of_time_says_so(warta: RunningBot) -> None:
    await stored_news(warta)
    storage = warta.services.storage
    storage.search_check_steps = 100
    warta.services.search = NewsSearch(storage, clock=ExpiringClock(looks=0))
    assert await warta.say(BUDI, "/latest banjir Serang") == text("latest_too_long", "id")


async def test_a_search_out_of_time_shows_what_it_found(warta: RunningBot) -> None:
    await stored_news(warta)
    storage = warta.services.storage
    # Only the matcher looks at the time here: after the first candidate it has run out.
    storage.search_check_steps = 10**9
    warta.services.search = NewsSearch(storage, clock=ExpiringClock(looks=1))
    reply = await warta.say(BUDI, "/latest banjir Serang")
    lines = reply.split("\n")
    assert lines[1] == text("latest_incomplete", "id").removeprefix("<i>").removesuffix("</i>")
    assert [line.split(". ", 1)[1].split(" — ")[0] for line in lines[2:]] == [
        "Banjir Serang mulai surut, warga kembali"
    ]

"""The Mini App's "less like this": each topic's narrowings and the chat's muted feeds are
listed, and undoing one there lets its stories through again, as /list's undo does."""

from __future__ import annotations

from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news
from tests.inprocess import RunningBot, alert_titles
from tests.readers.test_why import press
from tests.webapp.helpers import OTHER_READER, READER, init_data, mini_app, signed


async def publish(warta: RunningBot, number: str, title: str) -> None:
    """A story on the Banten feed, polled and sent."""
    warta.feeds.add_item("/banten.xml", news(number, title, hours_ago=0))
    await warta.poll()
    await warta.settled()


async def narrow(warta: RunningBot, word: str) -> None:
    """From the newest alert: why, less like this, then the offer naming `word`."""
    telegram = warta.telegram
    await press(telegram, READER, "why:")
    await press(telegram, READER, "less:")
    await press(telegram, READER, "nar:", lambda button: word in button["text"])


async def test_narrowings_are_listed_and_undone_in_the_page(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, client):
        storage = warta.services.storage
        await warta.poll()  # a feed's first poll only learns what it already holds
        await warta.say(READER, "/start", language_code="en")
        await warta.say(READER, "/subscribe banjir")
        await publish(warta, "1", "Banjir rendam pasar Cikarang")
        await narrow(warta, "cikarang")
        await narrow(warta, "ANTARA Banten")
        mine = signed(init_data(telegram.token, language="en"))

        state = (await client.get("/state", headers=mine)).json()
        ((topic,),) = [state["topics"]]
        (excluded,) = topic["narrowings"]
        assert excluded["text"] == "banjir: not when it says “cikarang” (NOT cikarang)"
        (muted,) = state["muted"]
        assert muted["text"] == "Mute ANTARA Banten for this chat"

        # Another reader's page cannot undo this chat's narrowings.
        theirs = signed(init_data(telegram.token, OTHER_READER))
        answer = await client.delete(f"/narrowings/{excluded['id']}", headers=theirs)
        assert answer.status_code == 404
        assert len(await storage.chat_narrowings(READER)) == 2

        for narrowing in (excluded, muted):
            answer = await client.delete(f"/narrowings/{narrowing['id']}", headers=mine)
            assert answer.json() == {"undone": narrowing["text"]}
        assert await storage.chat_narrowings(READER) == []
        state = (await client.get("/state", headers=mine)).json()
        assert (state["topics"][0]["narrowings"], state["muted"]) == ([], [])
        again = await client.delete(f"/narrowings/{excluded['id']}", headers=mine)
        assert again.status_code == 404

        await publish(warta, "2", "Banjir kembali landa Cikarang")
        assert alert_titles(telegram, READER)[-1] == "Banjir kembali landa Cikarang"

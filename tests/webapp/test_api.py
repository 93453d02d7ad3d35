"""What the Mini App's page changes: places picked from the list, settings, topics edited."""

from __future__ import annotations

from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from tests.webapp.helpers import READER, init_data, mini_app, signed


async def test_places_settings_and_topic_edits_are_stored_as_the_commands_store_them(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, client):
        storage = warta.services.storage
        mine = signed(init_data(telegram.token, language="en"))
        provinces = (await client.get("/provinces", headers=mine)).json()
        banten = next(p for p in provinces if p["name"] == "Banten")
        cities = (await client.get(f"/provinces/{banten['code']}", headers=mine)).json()
        serang = next(c for c in cities if c["name"] == "Kota Serang")
        followed = await client.post("/places", json={"code": serang["code"]}, headers=mine)
        assert followed.json()["added"] is True
        assert await storage.chat_regions(READER) == [serang["code"]]
        state = (await client.get("/state", headers=mine)).json()
        assert [place["key"] for place in state["places"]] == [serang["code"]]
        assert state["texts"]["topics"] == "Topics"
        gone = await client.delete("/places", params={"key": serang["code"]}, headers=mine)
        assert gone.status_code == 200
        assert await storage.chat_regions(READER) == []

        wanted = {"language": "id", "quiet_start": 22, "quiet_end": 6, "paused": True}
        answer = await client.put("/settings", json={"settings": wanted}, headers=mine)
        assert answer.status_code == 200
        chat = await storage.get_chat(READER)
        assert chat is not None
        assert (chat.language, chat.quiet_start, chat.quiet_end, chat.paused) == ("id", 22, 6, True)
        for bad in ({"digest_hour": 25}, {"quiet_start": None}, {"delivery": "weekly"}):
            answer = await client.put("/settings", json={"settings": bad}, headers=mine)
            assert answer.status_code == 422, bad
        assert await storage.get_chat(READER) == chat

        added = (await client.post("/topics", json={"text": "banjir"}, headers=mine)).json()
        assert added == {"added": "banjir"}
        (topic,) = await storage.list_topics(READER)
        refused = await client.put(f"/topics/{topic.id}", json={"text": "gempa ("}, headers=mine)
        assert refused.status_code == 422
        assert refused.json()["error"] == "tanda kurung tidak seimbang"
        assert [t.text for t in await storage.list_topics(READER)] == ["banjir"]
        (topic,) = await storage.list_topics(READER)
        edited = await client.put(f"/topics/{topic.id}", json={"text": "gempa"}, headers=mine)
        assert edited.status_code == 200
        assert [t.text for t in await storage.list_topics(READER)] == ["gempa"]

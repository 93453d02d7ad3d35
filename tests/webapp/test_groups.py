"""The groups and channels a reader administers, in their Mini App: offered while Telegram lists
them as an administrator, changed only while it still does (asked again on every change)."""

from __future__ import annotations

from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from storage.models import NarrowingKind
from tests.webapp.helpers import OTHER_READER, READER, init_data, mini_app, signed

GROUP, OTHER_GROUP, MEMBERS_GROUP = -1005201, -1005202, -1005203


async def topics_of(storage: Storage, chat_id: int) -> list[str]:
    """The topics a chat follows, as stored."""
    return [topic.text for topic in await storage.list_topics(chat_id)]


async def test_an_administrator_changes_their_group_until_demoted_and_nobody_else_can(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, client):
        storage = warta.services.storage
        # Added the bot to one group, and to another where Telegram lists them as a plain
        # member; passed the administrator check of /settings in a third. The bot takes
        # updates in order: once /settings is answered, the additions were handled.
        for chat_id in (GROUP, OTHER_GROUP):
            telegram.member_status.setdefault(chat_id, {})[READER] = "administrator"
        telegram.bot_added_to(GROUP, "supergroup", "Warga Serang", user_id=READER)
        telegram.bot_added_to(MEMBERS_GROUP, "group", "Arisan", user_id=READER)
        await warta.say(
            OTHER_GROUP, "/settings", user_id=READER, chat_type="group", chat_title="RT 05"
        )
        await warta.say(READER, "/start", language_code="en")
        mine = signed(init_data(telegram.token, language="en"))

        chats = (await client.get("/chats", headers=mine)).json()
        assert [(c["id"], c["title"]) for c in chats] == [
            (READER, "Budi"),
            (OTHER_GROUP, "RT 05"),
            (GROUP, "Warga Serang"),
        ]
        state = (await client.get("/state", params={"chat": GROUP}, headers=mine)).json()
        assert state["chat"]["title"] == "Warga Serang"
        added = await client.post("/topics", json={"chat": GROUP, "text": "banjir"}, headers=mine)
        assert added.status_code == 200
        settings = {"chat": GROUP, "settings": {"delivery": "daily", "digest_hour": 6}}
        assert (await client.put("/settings", json=settings, headers=mine)).status_code == 200
        assert await topics_of(storage, GROUP) == ["banjir"]
        before = await storage.get_chat(GROUP)
        assert before is not None
        assert (before.delivery, before.digest_hour) == ("daily", 6)

        # Another reader, honestly signed, and a forged initData change nothing.
        theirs = signed(init_data(telegram.token, OTHER_READER))
        forged = signed(init_data("123:not-the-bots-token", READER))
        for headers, status in ((theirs, 403), (forged, 401)):
            answer = await client.post(
                "/topics", json={"chat": GROUP, "text": "gempa"}, headers=headers
            )
            assert answer.status_code == status
            assert (await client.put("/settings", json=settings, headers=headers)).status_code == (
                status
            )
        # Demoted after the page loaded: every change is refused, nothing changes.
        (topic,) = await storage.list_topics(GROUP)
        await storage.add_narrowing(GROUP, topic.id, NarrowingKind.TITLE, "", 1.0)
        narrowings = await storage.chat_narrowings(GROUP)
        telegram.member_changed(GROUP, READER, "member")
        paused = {"chat": GROUP, "settings": {"paused": True}}
        refused = [
            await client.post("/topics", json={"chat": GROUP, "text": "gempa"}, headers=mine),
            await client.put(f"/topics/{topic.id}", json={"chat": GROUP, "text": "gempa"},
                             headers=mine),
            await client.delete(f"/topics/{topic.id}", params={"chat": GROUP}, headers=mine),
            await client.put("/settings", json=paused, headers=mine),
            await client.post("/places", json={"chat": GROUP, "code": "36"}, headers=mine),
            await client.delete(f"/narrowings/{narrowings[0].id}", params={"chat": GROUP},
                                headers=mine),
        ]  # fmt: skip
        assert [answer.status_code for answer in refused] == [403] * len(refused)
        assert await topics_of(storage, GROUP) == ["banjir"]
        assert await storage.chat_regions(GROUP) == []
        assert await storage.get_chat(GROUP) == before
        assert await storage.chat_narrowings(GROUP) == narrowings
        chats = (await client.get("/chats", headers=mine)).json()
        assert [c["id"] for c in chats] == [READER, OTHER_GROUP]

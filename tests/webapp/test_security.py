"""The Mini App's API acts only for the user Telegram signed for, on chats they may change."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from bot.webapp.routes import PreviewRate
from storage import Storage
from tests.factories import news
from tests.webapp.helpers import OTHER_READER, READER, init_data, mini_app, signed

CHANNEL = -1005101


async def topics_of(storage: Storage, chat_id: int) -> list[str]:
    """The topics a chat follows, as stored."""
    return [topic.text for topic in await storage.list_topics(chat_id)]


async def test_only_initdata_telegram_signed_within_a_day_changes_anything(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, client):
        token = telegram.token
        honest = init_data(token)
        forged = init_data("123:not-the-bots-token")
        # Someone else's identity pasted into a signed initData breaks the signature.
        tampered = honest.replace(f"%22id%22%3A{READER}", f"%22id%22%3A{OTHER_READER}")
        assert tampered != honest
        stale = init_data(token, signed_at=time.time() - 25 * 3600)
        refused = [
            {},
            {"Authorization": honest},  # no "tma" scheme
            signed(forged),
            signed(tampered),
            signed(stale),
            signed(honest + "&extra=1"),
        ]
        for headers in refused:
            answer = await client.post("/topics", json={"text": "banjir"}, headers=headers)
            assert answer.status_code == 401, headers
            assert (await client.get("/state", headers=headers)).status_code == 401
        storage = warta.services.storage
        assert await topics_of(storage, READER) == []
        assert await topics_of(storage, OTHER_READER) == []

        added = await client.post("/topics", json={"text": "banjir"}, headers=signed(honest))
        assert added.status_code == 200
        assert await topics_of(storage, READER) == ["banjir"]


async def test_another_readers_chat_or_a_channel_not_administered_is_refused(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, client):
        storage = warta.services.storage
        await warta.say(OTHER_READER, "/subscribe gempa")
        telegram.add_channel(CHANNEL, "kabarbanten", "Kabar Banten", admins=[READER])
        await warta.say(READER, "/channel @kabarbanten")
        mine = signed(init_data(telegram.token))

        for chat in (OTHER_READER, -100999):
            answer = await client.post(
                "/topics", json={"chat": chat, "text": "banjir"}, headers=mine
            )
            assert answer.status_code == 403
            assert (
                await client.get("/state", params={"chat": chat}, headers=mine)
            ).status_code == 403
        removal = await client.delete(
            "/places", params={"chat": OTHER_READER, "key": "x"}, headers=mine
        )
        assert removal.status_code == 403
        assert await topics_of(storage, OTHER_READER) == ["gempa"]

        # The channel the reader administers: changed, and asked of Telegram every time.
        answer = await client.post(
            "/topics", json={"chat": CHANNEL, "text": "banjir"}, headers=mine
        )
        assert answer.status_code == 200
        assert await topics_of(storage, CHANNEL) == ["banjir"]
        telegram.member_changed(CHANNEL, READER, "member")
        answer = await client.post("/topics", json={"chat": CHANNEL, "text": "gempa"}, headers=mine)
        assert answer.status_code == 403
        settings = {"chat": CHANNEL, "settings": {"paused": True}}
        assert (await client.put("/settings", json=settings, headers=mine)).status_code == 403
        assert await topics_of(storage, CHANNEL) == ["banjir"]
        channel = await storage.get_chat(CHANNEL)
        assert channel is not None
        assert not channel.paused


async def test_a_body_over_64_kb_is_refused_and_changes_nothing(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, client):
        mine = signed(init_data(telegram.token))
        body = '{"text": "banjir", "padding": "' + "x" * (64 * 1024) + '"}'
        headers = {**mine, "Content-Type": "application/json"}
        answer = await client.post("/topics", content=body, headers=headers)
        assert answer.status_code == 413
        assert await topics_of(warta.services.storage, READER) == []


async def test_previews_beyond_five_a_second_are_refused_with_429(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (_, client):
        mine = signed(init_data(telegram.token))
        asked = [client.post("/preview", json={"text": "banjir"}, headers=mine) for _ in range(20)]
        statuses = [answer.status_code for answer in await asyncio.gather(*asked)]
        assert 429 in statuses
        assert 200 in statuses
        # Another reader has a second of their own.
        theirs = signed(init_data(telegram.token, OTHER_READER))
        answer = await client.post("/preview", json={"text": "banjir"}, headers=theirs)
        assert answer.status_code == 200


def test_the_preview_rate_counts_a_sliding_second_per_user() -> None:
    rate = PreviewRate(per_second=5)
    assert all(rate.allow(1, 100.0 + n * 0.1) for n in range(5))
    assert not rate.allow(1, 100.5)
    assert rate.allow(2, 100.5)
    assert rate.allow(1, 101.05)  # the first of the five is more than a second old


async def test_check_and_preview_show_errors_where_they_are_and_the_matched_words(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, client):
        feeds.publish(
            "/banten.xml",
            [
                news("1", "Banjir rendam 300 rumah di Serang", hours_ago=5),
                news("2", "Harga cabai di Pandeglang turun", hours_ago=4),
                news("3", "Banjir lama", hours_ago=24 * 9),
            ],
        )
        await warta.poll()
        mine = signed(init_data(telegram.token, language="en"))
        await warta.say(READER, "/start", language_code="en")
        check = (await client.post("/check", json={"text": "banjir (Serang"}, headers=mine)).json()
        assert check == {
            "valid": False,
            "error": "the parentheses do not balance",
            "position": 7,
        }
        check = (await client.post("/check", json={"text": "banjir"}, headers=mine)).json()
        assert check["valid"] is True
        found = (await client.post("/preview", json={"text": "banjir"}, headers=mine)).json()
        assert [story["title"] for story in found["stories"]] == [
            "Banjir rendam 300 rumah di Serang"
        ]
        assert found["stories"][0]["title_marks"] == [[0, 6]]
        assert [day["count"] for day in found["per_day"]] == ["1"]

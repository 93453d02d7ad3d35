"""Hostile chat input: whatever readers type or press, no handler fails, every reply is one
Telegram accepts, and nothing is stored that should not be."""

from __future__ import annotations

import itertools
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.ext import CommandHandler

from bot.chats.subscriptions import MAX_TOPICS_PER_CHAT
from bot.matching import TopicSyntaxError, parse_topic
from bot.matching.syntax import MAX_LENGTH, MIN_LENGTH
from bot.standin import TelegramStandIn
from tests.inprocess import ADMIN_ID, RunningBot

READER, GROUP = 101, -100500
TEXT_LIMIT = 4096
# Replies and the calls that carry them: none may be refused.
ANSWERS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
    }
)
# /addfeed would fetch whatever URL it is given, out in the world: only as a non-admin here.
REACHES_OUTSIDE = frozenset({"addfeed"})
EXAMPLES = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PIECES = st.sampled_from(
    [
        "<script>alert(1)</script>", "<b>", "</b>", "<a href='javascript:x'>x</a>", "&", "&amp;",
        "&lt;", "&#0;", "\u202e", "\u2066", "\u200b", "\u200d", "\x00", "\x07", "\x1b[31m", "\r",
        "\n", "\t", " ", '"', "'", "(", ")", "OR", "AND", "NOT", "-", "+", "|", ",", "@", "*",
        "_", "`", "[", "]", "~", "#", "banjir", "Serang", "Korea Utara", "🔥", "👨‍👩‍👧", "é",
        "\U0001d54f", "\u0301" * 30, "unsub:1", "https://berita.example/x", "/start",
        "@warta_test_bot",
    ]
)  # fmt: skip
ARGUMENTS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=120),
    st.lists(PIECES, max_size=40).map("".join),
    st.integers(200, 4000).map(lambda n: ("banjir " * n)[:n]),
    st.integers(1, 60).map(lambda n: ", ".join(f"topik {k}" for k in range(n))),
)
CALLBACK_PREFIXES = (
    "unsub:", "unreg:", "reg:", "sub:", "set:", "set:language:", "set:quiet:", "bcast:send:",
    "bcast:cancel:", "feeds:page:", "rmfeed:page:", "rmfeed:del:", "pick:", "region:",
    "unfollow:", "",
)  # fmt: skip
CALLBACK_DATA = st.one_of(
    st.tuples(st.sampled_from(CALLBACK_PREFIXES), st.text(max_size=40)).map("".join),
    st.integers(0, 10**18).map(lambda n: f"unsub:{n}"),
    st.tuples(st.integers(0, 10**18), st.integers(0, 9999)).map(
        lambda p: f"rmfeed:del:{p[0]}:{p[1]}"
    ),
    st.integers(0, 10**18).map(lambda n: f"bcast:send:{n}"),
).filter(lambda data: 1 <= len(data.encode()) <= 64)
SENTINELS = itertools.count()


def commands(warta: RunningBot) -> list[str]:
    """Every command the running bot registered, aliases included."""
    found = {
        command
        for group in warta.app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    return sorted(found)


async def settle(warta: RunningBot, chat_id: int, **who: object) -> None:
    """Wait until the bot has handled everything sent so far in this chat (updates are taken
    in order, so the answer to a harmless /test comes after the answers before it)."""
    nonce = f"penanda{next(SENTINELS)}"
    warta.telegram.user_says(chat_id, f"/test {nonce}", **who)  # type: ignore[arg-type]
    await warta.telegram.wait_for(
        lambda tg: any(nonce in (m.plain_text or "") for m in tg.messages_to(chat_id)), timeout=30
    )


async def assert_nothing_went_wrong(
    warta: RunningBot, caplog: pytest.LogCaptureFixture, requests_before: int
) -> None:
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []
    refused = [
        (r.method, r.status, r.params.get("text"))
        for r in warta.telegram.requests[requests_before:]
        if r.method in ANSWERS and r.status != 200
    ]
    assert refused == []
    storage = warta.services.storage
    for chat_id in (READER, GROUP, ADMIN_ID):
        topics = await storage.list_topics(chat_id)
        assert len(topics) <= MAX_TOPICS_PER_CHAT
        for topic in topics:
            assert MIN_LENGTH <= len(topic.text) <= MAX_LENGTH
            try:
                parse_topic(topic.text)
            except TopicSyntaxError:
                pytest.fail(f"an invalid topic was stored: {topic.text!r}")
        known = {region.casefold() for region in await storage.known_regions()}
        assert {r.casefold() for r in await storage.chat_regions(chat_id)} <= known


def speaker(where: str) -> tuple[int, dict[str, object]]:
    """(chat id, user_says arguments) for a reader, an admin, or a member of a group."""
    if where == "admin":
        return ADMIN_ID, {}
    if where == "group":
        return GROUP, {"chat_type": "group", "chat_title": "Warga <b>Serang</b>"}
    return READER, {}


@EXAMPLES
@given(data=st.data(), argument=ARGUMENTS, where=st.sampled_from(["reader", "admin", "group"]))
async def test_any_argument_to_any_command_is_handled_within_telegram_rules(
    warta: RunningBot,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
    argument: str,
    where: str,
) -> None:
    caplog.clear()
    requests_before = len(warta.telegram.requests)
    chat_id, who = speaker(where)
    available = [c for c in commands(warta) if not (where == "admin" and c in REACHES_OUTSIDE)]
    command = data.draw(st.sampled_from(available), label="command")
    mention = data.draw(st.sampled_from(["", "@warta_test_bot"]), label="mention")
    text = f"/{command}{mention} {argument}"[:TEXT_LIMIT]
    warta.telegram.user_says(chat_id, text, **who)  # type: ignore[arg-type]
    await settle(warta, chat_id, **who)
    await assert_nothing_went_wrong(warta, caplog, requests_before)


@EXAMPLES
@given(data=CALLBACK_DATA, where=st.sampled_from(["reader", "admin", "group"]))
async def test_buttons_never_issued_are_answered_and_change_nothing_they_should_not(
    warta: RunningBot, caplog: pytest.LogCaptureFixture, data: str, where: str
) -> None:
    chat_id, who = speaker(where)
    await warta.say(chat_id, "/subscribe banjir, Korea Utara", **who)
    caplog.clear()
    telegram: TelegramStandIn = warta.telegram
    requests_before = len(telegram.requests)
    answered = len(telegram.callback_answers)
    pressed_on = telegram.messages_to(chat_id)[-1].message_id
    telegram.press_button(chat_id, pressed_on, data, user_id=ADMIN_ID if where == "admin" else None)
    await settle(warta, chat_id, **who)
    await telegram.wait_for(lambda tg: len(tg.callback_answers) > answered, timeout=30)
    await assert_nothing_went_wrong(warta, caplog, requests_before)


@settings(EXAMPLES, max_examples=40)
@given(
    text=ARGUMENTS.filter(lambda t: not t.startswith("/")),
    where=st.sampled_from(["reader", "group"]),
)
async def test_plain_messages_of_any_kind_are_left_alone(
    warta: RunningBot, caplog: pytest.LogCaptureFixture, text: str, where: str
) -> None:
    caplog.clear()
    requests_before = len(warta.telegram.requests)
    chat_id, who = speaker(where)
    if text.strip():
        warta.telegram.user_says(chat_id, text[:TEXT_LIMIT], **who)  # type: ignore[arg-type]
    await settle(warta, chat_id, **who)
    await assert_nothing_went_wrong(warta, caplog, requests_before)

"""The loopback stand-ins behave like Telegram and like real feed servers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import time
from collections.abc import AsyncIterator

import feedparser
import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.standin import (
    FeedItem,
    FeedServer,
    TelegramHtmlError,
    TelegramStandIn,
    parse_telegram_html,
    parse_telegram_html_entities,
    utf16_length,
)

CHAT = 1001
GROUP = -100123


@pytest.fixture
def timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta retry_after; the int form warns and warnings are errors."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as standin:
        yield standin


@pytest.fixture
async def bot(tg: TelegramStandIn) -> AsyncIterator[Bot]:
    real_bot = Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=tg.base_file_url)
    async with real_bot:
        yield real_bot


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


# ----- HTML validator ------------------------------------------------------------------------

ACCEPTED = (
    ("plain text", "plain text"),
    ("<b>bold</b>", "bold"),
    ("<strong>strong</strong>", "strong"),
    ("<i>it</i> <em>em</em>", "it em"),
    ("<u>u</u><ins>ins</ins>", "uins"),
    ("<s>s</s><strike>k</strike><del>d</del>", "skd"),
    ('<span class="tg-spoiler">hidden</span>', "hidden"),
    ("<tg-spoiler>hidden</tg-spoiler>", "hidden"),
    ('<a href="https://warta.id/a?x=1&amp;y=2">link</a>', "link"),
    ("<code>x = 1</code>", "x = 1"),
    ('<pre><code class="language-python">print(1)</code></pre>', "print(1)"),
    ("<blockquote>quote</blockquote>", "quote"),
    ("<blockquote expandable>long quote</blockquote>", "long quote"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("<b>bold <i>both</i></b>", "bold both"),
    ("&lt;tag&gt; &amp; &quot;q&quot;", '<tag> & "q"'),
    ("&#65;&#x42;&#X43;", "ABC"),
    ("&#128512;", "😀"),
    ("<B>caps</b>", "caps"),
    ("<b>short close</>", "short close"),
    ('<a href="https://x.id" target="_blank">extra attrs ignored</a>', "extra attrs ignored"),
    ("<b></b>empty tags vanish", "empty tags vanish"),
    ("<a href>bare attribute</a>", "bare attribute"),
    ("<i lang = id>name token</i>", "name token"),
    ("<code expandable>ignored attribute</code>", "ignored attribute"),
    ("1 > 0", "1 > 0"),
    ("baris\nbaru", "baris\nbaru"),
)

REJECTED = (
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("<B>x</B>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</B>"'),
    ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("tail <", "Unclosed start tag at byte offset 5"),
    ('<a href="https://x.id>x</a>', "Unclosed start tag at byte offset 0"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ('<span class="bold">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("<i =x>y</i>", 'Empty attribute name in the tag "i" at byte offset 0'),
    ("<i a = 19x-.,>y</i>", "Unexpected end of name token at byte offset 7"),
    ("<i a =  ", 'Unclosed start tag "i" at byte offset 0'),
    ("&#xD800;", "Text contains invalid Unicode characters after decoding HTML entities"),
    ("<b/>", 'Unsupported start tag "b/" at byte offset 0'),
    ("AT&T", 'Unsupported HTML entity "&T" at byte offset 2'),
    ("Q&A", 'Unsupported HTML entity "&A" at byte offset 1'),
    ("rock & roll", 'Character "&" must be escaped as "&amp;" at byte offset 5'),
    ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
    ("&amp without semicolon", 'Unterminated HTML entity "&amp" at byte offset 0'),
    ("&#0;", 'Unsupported HTML entity "&#0;" at byte offset 0'),
    ('<a href="https://x.id/?a=1&b=2">x</a>', 'Unsupported HTML entity "&b" at byte offset 26'),
    ("é<div>", 'Unsupported start tag "div" at byte offset 2'),
)


@pytest.mark.parametrize(("html", "plain"), ACCEPTED)
def test_html_accepted(html: str, plain: str) -> None:
    assert parse_telegram_html(html) == plain


@pytest.mark.parametrize(("html", "reason"), REJECTED)
def test_html_rejected(html: str, reason: str) -> None:
    with pytest.raises(TelegramHtmlError) as caught:
        parse_telegram_html(html)
    assert caught.value.reason.startswith(reason)


def test_html_lenient_entities_match_telegram() -> None:
    lenient = parse_telegram_html("AT&T &nbsp; &amp &#99999999; &lt", strict_entities=False)
    assert lenient == "AT&T &nbsp; & &#99999999; <"


def link(offset: int, length: int, url: str) -> dict[str, object]:
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


def span(kind: str, offset: int, length: int, **extra: object) -> dict[str, object]:
    return {"type": kind, "offset": offset, "length": length, **extra}


@pytest.mark.parametrize(
    ("html", "entities"),
    [
        ("<a>warta.id</a>", [link(0, 8, "http://warta.id/")]),
        ("<a>not a link</a>", []),
        ("<a href='warta.id?q=1'>x</a>", [link(0, 1, "http://warta.id/?q=1")]),
        ('<code class="language-py"><pre>x</pre></code>', [span("pre", 0, 1, language="py")]),
        ('<pre><code class="language-py">x</code> </pre>', [span("pre", 0, 2), span("code", 0, 1)]),
        (
            "<code><i><b>x</b></i></code>",
            [span("code", 0, 1), span("bold", 0, 1), span("italic", 0, 1)],
        ),
        ("<blockquote expandable=false>q</blockquote>", [span("expandable_blockquote", 0, 1)]),
    ],
)
def test_html_entities_match_telegram(html: str, entities: list[dict[str, object]]) -> None:
    parsed = parse_telegram_html_entities(html)
    assert [e.to_dict() for e in parsed.entities] == entities


def test_html_entities_offsets_in_utf16() -> None:
    parsed = parse_telegram_html_entities('😀 <b>kabar</b> <a href="https://w.id">tautan</a>')
    assert parsed.text == "😀 kabar tautan"
    assert [e.to_dict() for e in parsed.entities] == [
        {"type": "bold", "offset": 3, "length": 5},
        {"type": "text_link", "offset": 9, "length": 6, "url": "https://w.id/"},
    ]


def test_html_pre_with_language_and_nesting() -> None:
    parsed = parse_telegram_html_entities('<pre><code class="language-py">x</code></pre>')
    assert [e.to_dict() for e in parsed.entities] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "py"}
    ]


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_length("😀") == 2
    assert utf16_length("é") == 1
    assert utf16_length(parse_telegram_html("<b>😀😀</b>")) == 4


# ----- Telegram stand-in: basics -------------------------------------------------------------


async def test_get_me(bot: Bot, tg: TelegramStandIn) -> None:
    me = await bot.get_me()
    assert me.username == "warta_test_bot"
    assert me.is_bot
    assert me.id == 123456
    assert tg.requests_for("getMe")[-1].status == 200


async def test_wrong_token_is_unauthorized(tg: TelegramStandIn) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=f"{tg.base_url}/bot"):
            pass
    assert tg.requests[-1].status == 401


async def test_unknown_method_is_404(bot: Bot, tg: TelegramStandIn) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")
    assert tg.requests[-1].status == 404


async def test_send_message_html_is_recorded(bot: Bot, tg: TelegramStandIn) -> None:
    message = await bot.send_message(
        CHAT,
        "<b>Banjir</b> di Jakarta &amp; Bekasi",
        parse_mode="HTML",
        reply_markup=keyboard("mute:banjir"),
        disable_notification=True,
    )
    assert message.text == "Banjir di Jakarta & Bekasi"
    assert message.entities == (MessageEntity(MessageEntity.BOLD, 0, 6),)
    assert message.reply_markup == keyboard("mute:banjir")
    assert message.from_user is not None
    assert message.from_user.is_bot
    [sent] = tg.messages_to(CHAT)
    assert sent.message_id == message.message_id
    assert sent.text == "<b>Banjir</b> di Jakarta &amp; Bekasi"
    assert sent.plain_text == "Banjir di Jakarta & Bekasi"
    assert sent.parse_mode == "HTML"
    assert sent.disable_notification
    assert sent.callback_data == ["mute:banjir"]


async def test_message_ids_increase_per_chat(bot: Bot, tg: TelegramStandIn) -> None:
    first = await bot.send_message(CHAT, "satu")
    second = await bot.send_message(CHAT, "dua")
    other = await bot.send_message(CHAT + 1, "lain")
    assert second.message_id == first.message_id + 1
    assert other.message_id == 1
    assert [m.text for m in await tg.wait_for_messages(CHAT, 2)] == ["satu", "dua"]


async def test_invalid_html_is_bad_request(bot: Bot, tg: TelegramStandIn) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(CHAT, "<div>x</div>", parse_mode="HTML")
    assert caught.value.message == (
        'Can\'t parse entities: unsupported start tag "div" at byte offset 0'
    )
    assert tg.sent == []
    assert tg.requests[-1].status == 400


async def test_too_long_text_is_bad_request(bot: Bot) -> None:
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, "😀" * 2049)


async def test_empty_text_is_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")


async def test_long_caption_is_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(CHAT, b"data", filename="a.txt", caption="x" * 1025)


async def test_long_callback_data_is_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "x", reply_markup=keyboard("d" * 65))


# ----- Telegram stand-in: faults -------------------------------------------------------------


@pytest.mark.usefixtures("timedelta_periods")
async def test_fail_next_429_raises_retry_after(bot: Bot, tg: TelegramStandIn) -> None:
    tg.fail_next(status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(CHAT, "y")
    assert [m.text for m in tg.messages_to(CHAT)] == ["y"]


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_network_errors(bot: Bot, tg: TelegramStandIn, status: int) -> None:
    tg.fail_next(status=status, chat_id=CHAT)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(CHAT, "x")
    assert not isinstance(caught.value, BadRequest)
    assert tg.requests[-1].status == status


async def test_block_raises_forbidden(bot: Bot, tg: TelegramStandIn) -> None:
    tg.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "x")
    tg.unblock(CHAT)
    await bot.send_message(CHAT, "x")


async def test_forgotten_chat_is_not_found(bot: Bot, tg: TelegramStandIn) -> None:
    tg.forget_chat(CHAT)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(CHAT, "x")


async def test_migrated_chat_raises_chat_migrated(bot: Bot, tg: TelegramStandIn) -> None:
    tg.migrate_chat(-555, GROUP)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-555, "x")
    assert caught.value.new_chat_id == GROUP
    await bot.send_message(GROUP, "x")


async def test_dropped_connection_before_accept(bot: Bot, tg: TelegramStandIn) -> None:
    tg.drop_connection_next(after_accept=False)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "lost")
    assert tg.sent == []
    assert tg.requests[-1].status == 0


async def test_dropped_connection_after_accept(bot: Bot, tg: TelegramStandIn) -> None:
    tg.drop_connection_next(after_accept=True)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "delivered but unheard")
    assert [m.text for m in tg.messages_to(CHAT)] == ["delivered but unheard"]


@pytest.mark.usefixtures("timedelta_periods")
async def test_rate_limit_beyond_30_per_second(tg: TelegramStandIn) -> None:
    tg.enforce_limits(clock=lambda: 1000.0)  # all 31 within one second, however slow the machine
    request = HTTPXRequest(connection_pool_size=40)
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot", request=request) as fast_bot:
        results = await asyncio.gather(
            *(fast_bot.send_message(CHAT + n, "x") for n in range(31)), return_exceptions=True
        )
    rejected = [r for r in results if isinstance(r, RetryAfter)]
    assert len(rejected) == 1
    assert rejected[0].retry_after == dtm.timedelta(seconds=1)
    assert tg.rejected_429 == 1
    assert len(tg.sent) == 30


async def test_beyond_30_per_second_only_paid_broadcasts_pass_up_to_the_paid_limit(
    tg: TelegramStandIn,
) -> None:
    tg.enforce_limits(paid_per_second=40, clock=lambda: 1000.0)  # all within one second
    request = HTTPXRequest(connection_pool_size=40)
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot", request=request) as fast_bot:
        for n in range(30):
            await fast_bot.send_message(CHAT + n, "free")
        with pytest.raises(RetryAfter):
            await fast_bot.send_message(CHAT + 30, "unpaid, beyond the free 30")
        for n in range(10):
            await fast_bot.send_message(CHAT + 40 + n, "paid", allow_paid_broadcast=True)
        with pytest.raises(RetryAfter):
            await fast_bot.send_message(CHAT + 50, "beyond the paid 40", allow_paid_broadcast=True)
    assert [m.paid for m in tg.sent] == [False] * 30 + [True] * 10
    assert [r.paid for r in tg.requests_for("sendMessage")] == [False] * 31 + [True] * 11
    assert tg.rejected_429 == 2


@pytest.mark.parametrize(("paid_rule", "free_after_paid"), [("strict", 0), ("lenient", 20)])
async def test_whether_paid_broadcasts_count_toward_the_free_30_is_a_setting(
    tg: TelegramStandIn, paid_rule: str, free_after_paid: int
) -> None:
    tg.enforce_limits(paid_per_second=100, paid_rule=paid_rule, clock=lambda: 1000.0)
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot") as plain_bot:
        for n in range(10):
            await plain_bot.send_message(CHAT + n, "free")
        for n in range(20):
            await plain_bot.send_message(CHAT + 10 + n, "paid", allow_paid_broadcast=True)
        # Strictly, 30 messages of any kind left this second: no free one may follow.
        free = 0
        with contextlib.suppress(RetryAfter):
            for n in range(21):
                await plain_bot.send_message(CHAT + 30 + n, "free again")
                free += 1
    assert free == free_after_paid
    assert tg.rejected_429 == 1


async def test_without_a_paid_limit_the_paid_flag_changes_nothing(tg: TelegramStandIn) -> None:
    tg.enforce_limits(clock=lambda: 1000.0)
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot") as plain_bot:
        for n in range(30):
            await plain_bot.send_message(CHAT + n, "x", allow_paid_broadcast=n % 2 == 0)
        with pytest.raises(RetryAfter):
            await plain_bot.send_message(CHAT + 30, "x", allow_paid_broadcast=True)
    assert tg.rejected_429 == 1


@pytest.mark.usefixtures("timedelta_periods")
async def test_rate_limit_per_group_per_minute(bot: Bot, tg: TelegramStandIn) -> None:
    tg.enforce_limits(per_group_per_minute=3, clock=lambda: 1000.0)
    for _ in range(3):
        await bot.send_message(GROUP, "x")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "x")
    retry_after = caught.value.retry_after
    assert isinstance(retry_after, dtm.timedelta)
    assert retry_after == dtm.timedelta(seconds=60)
    await bot.send_message(CHAT, "private chats are not limited per minute")


async def test_delay_slows_every_response(bot: Bot, tg: TelegramStandIn) -> None:
    tg.delay(0.3)
    started = time.monotonic()
    await bot.send_message(CHAT, "x")
    assert time.monotonic() - started >= 0.3
    tg.delay(0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "x", read_timeout=0.1)


async def test_wait_for_timeout_reports_traffic(bot: Bot, tg: TelegramStandIn) -> None:
    await bot.send_message(CHAT, "hanya satu")
    with pytest.raises(AssertionError, match="hanya satu"):
        await tg.wait_for_messages(CHAT, 2, timeout=0.2)


# ----- Telegram stand-in: updates ------------------------------------------------------------


async def test_get_updates_returns_command(bot: Bot, tg: TelegramStandIn) -> None:
    update_id = tg.user_says(CHAT, "/start@warta_test_bot banjir")
    [update] = await bot.get_updates()
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "/start@warta_test_bot banjir"
    assert update.message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 21),)
    assert update.message.chat.type == "private"
    assert update.effective_user is not None
    assert update.effective_user.id == CHAT
    assert update.effective_user.language_code == "id"
    assert await bot.get_updates(offset=update_id + 1) == ()
    assert tg.pending_updates == []


async def test_long_poll_returns_when_update_arrives(bot: Bot, tg: TelegramStandIn) -> None:
    # The poll would last two minutes without the update: returning within 30 s is no timing.
    poll = asyncio.create_task(bot.get_updates(timeout=120))
    await tg.wait_for(lambda t: t.polls_waiting == 1)
    tg.user_says(CHAT, "halo")
    async with asyncio.timeout(30):
        [update] = await poll
    assert update.message is not None
    assert update.message.text == "halo"


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 30  # waited the poll out, and did not hang


async def test_newer_poll_terminates_older_one(tg: TelegramStandIn) -> None:
    request = HTTPXRequest(connection_pool_size=4)
    url = f"{tg.base_url}/bot"
    async with Bot(tg.token, base_url=url, get_updates_request=request) as polling_bot:
        first = asyncio.create_task(polling_bot.get_updates(timeout=60))
        await tg.wait_for(lambda t: t.polls_waiting == 1)
        second = asyncio.create_task(polling_bot.get_updates(timeout=60))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        tg.user_says(CHAT, "halo")
        assert len(await second) == 1


async def test_stop_releases_pending_long_poll(bot: Bot, tg: TelegramStandIn) -> None:
    # The poll would last two minutes: returning within 30 s of the stop is no timing.
    poll = asyncio.create_task(bot.get_updates(timeout=120))
    await tg.wait_for(lambda t: t.polls_waiting == 1)
    await tg.stop()
    async with asyncio.timeout(30):
        assert await poll == ()


async def test_allowed_updates_and_limit(bot: Bot, tg: TelegramStandIn) -> None:
    tg.user_says(CHAT, "a")
    tg.bot_added_to(GROUP, "supergroup", "Warga")
    tg.user_says(CHAT, "b")
    updates = await bot.get_updates(allowed_updates=["message"], limit=1)
    assert [u.message.text for u in updates if u.message] == ["a"]
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["a", "b"]
    assert all(u.my_chat_member is None for u in updates)


async def test_button_press_edit_and_answer(bot: Bot, tg: TelegramStandIn) -> None:
    sent = await bot.send_message(CHAT, "Pilih topik", reply_markup=keyboard("t:banjir"))
    update_id = tg.press_button(CHAT, sent.message_id, "t:banjir")
    [update] = await bot.get_updates(offset=update_id)
    query = update.callback_query
    assert query is not None
    assert query.data == "t:banjir"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await query.answer("x" * 201)  # Telegram's limit is 200 characters
    assert await query.answer("Tersimpan")
    assert tg.callback_answers[-1].text == "Tersimpan"
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()
    edited = await bot.edit_message_text(
        "<i>Banjir</i> dipilih", CHAT, sent.message_id, parse_mode="HTML"
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Banjir dipilih"
    assert edited.reply_markup is None
    stored = tg.message(CHAT, sent.message_id)
    assert stored is not None
    assert stored["text"] == "Banjir dipilih"
    assert [e.method for e in tg.edits_in(CHAT)] == ["editMessageText"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<i>Banjir</i> dipilih", CHAT, sent.message_id, parse_mode="HTML"
        )


async def test_delete_message(bot: Bot, tg: TelegramStandIn) -> None:
    sent = await bot.send_message(CHAT, "x")
    assert await bot.delete_message(CHAT, sent.message_id)
    assert tg.deleted == [(CHAT, sent.message_id)]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)


async def test_bot_removed_and_added(bot: Bot, tg: TelegramStandIn) -> None:
    tg.bot_removed_from(CHAT)
    tg.bot_added_to(GROUP, "supergroup", "Warga Bekasi", status="administrator")
    removed, added = await bot.get_updates()
    assert removed.my_chat_member is not None
    assert removed.my_chat_member.new_chat_member.status == "kicked"
    assert added.my_chat_member is not None
    assert added.my_chat_member.new_chat_member.status == "administrator"
    assert added.my_chat_member.chat.title == "Warga Bekasi"
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(CHAT, "x")


async def test_group_migrated(bot: Bot, tg: TelegramStandIn) -> None:
    tg.user_says(-42, "/start", chat_type="group", chat_title="RT 05", user_id=7)
    tg.group_migrated(-42, GROUP)
    updates = await bot.get_updates()
    migrated = [u.message for u in updates if u.message and u.message.migrate_to_chat_id]
    assert migrated[0].migrate_to_chat_id == GROUP
    assert migrated[0].chat.title == "RT 05"
    with pytest.raises(ChatMigrated):
        await bot.send_message(-42, "x")


async def test_chat_members_are_configurable(bot: Bot, tg: TelegramStandIn) -> None:
    tg.member_status[GROUP] = {7: "creator", 8: "administrator"}
    assert (await bot.get_chat_member(GROUP, 7)).status == "creator"
    assert (await bot.get_chat_member(GROUP, 8)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 9)).status == "member"
    admins = await bot.get_chat_administrators(GROUP)
    assert sorted(a.user.id for a in admins) == [7, 8]
    chat = await bot.get_chat(GROUP)
    assert chat.type == "supergroup"


async def test_a_demoted_channel_administrator_is_a_member_from_then_on(
    bot: Bot, tg: TelegramStandIn
) -> None:
    channel = -1003003
    tg.add_channel(channel, "beritaserang", "Berita Serang", admins=[7])
    assert (await bot.get_chat_member(channel, 7)).status == "administrator"
    tg.member_changed(channel, 7, "member")
    assert (await bot.get_chat_member(channel, 7)).status == "member"
    assert [a.user.id for a in await bot.get_chat_administrators(channel)] == [tg.bot_id]
    # As on Telegram, chat_member updates reach only a bot that asked for them.
    assert await bot.get_updates(timeout=0) == ()
    tg.member_changed(channel, 7, "left")
    (update,) = await bot.get_updates(timeout=0, allowed_updates=["chat_member"])
    assert update.chat_member is not None
    assert update.chat_member.old_chat_member.status == "member"
    assert update.chat_member.new_chat_member.status == "left"


async def test_commands_roundtrip(bot: Bot, tg: TelegramStandIn) -> None:
    assert await bot.set_my_commands([("ikuti", "Ikuti topik"), ("berhenti", "Berhenti")])
    commands = await bot.get_my_commands()
    assert [c.command for c in commands] == ["ikuti", "berhenti"]
    assert tg.commands_for()[0]["description"] == "Ikuti topik"
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("Bad-Command", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_send_document_records_bytes(bot: Bot, tg: TelegramStandIn) -> None:
    message = await bot.send_document(
        CHAT,
        InputFile(b"a,b\n1,2\n", filename="ringkasan.csv"),
        caption="<b>Ringkasan</b>",
        parse_mode="HTML",
    )
    assert message.document is not None
    assert message.document.file_name == "ringkasan.csv"
    assert message.caption == "Ringkasan"
    [sent] = tg.messages_to(CHAT)
    assert (sent.method, sent.document, sent.filename) == (
        "sendDocument",
        b"a,b\n1,2\n",
        "ringkasan.csv",
    )
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"


async def test_send_photo_records_bytes(bot: Bot, tg: TelegramStandIn) -> None:
    message = await bot.send_photo(CHAT, b"\x89PNG fake", filename="peta.png", caption="Peta")
    assert message.photo
    [sent] = tg.messages_to(CHAT)
    assert (sent.method, sent.document, sent.text) == ("sendPhoto", b"\x89PNG fake", "Peta")


async def test_webhook_blocks_polling(bot: Bot, tg: TelegramStandIn) -> None:
    assert await bot.set_webhook("https://example.invalid/hook")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Exception, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_form_json_and_get_requests(tg: TelegramStandIn, http: httpx.AsyncClient) -> None:
    url = f"{tg.base_url}/bot{tg.token}/sendMessage"
    form = await http.post(url, data={"chat_id": str(CHAT), "text": "form"})
    body = await http.post(url, json={"chat_id": CHAT, "text": "json"})
    query = await http.get(url, params={"chat_id": str(CHAT), "text": "get"})
    assert [r.json()["ok"] for r in (form, body, query)] == [True, True, True]
    missing = await http.post(f"{tg.base_url}/bot{tg.token}/getNothing")
    assert missing.status_code == 404
    assert missing.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert [m.text for m in tg.messages_to(CHAT)] == ["form", "json", "get"]


async def test_application_polls_and_replies(tg: TelegramStandIn) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Selamat datang</b>")

    application = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(f"{tg.base_url}/bot")
        .base_file_url(tg.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=2))
        tg.user_says(CHAT, "/start")
        [reply] = await tg.wait_for_messages(CHAT, 1)
        await application.updater.stop()
        await application.stop()
    assert reply.plain_text == "Selamat datang"
    assert reply.parse_mode == "HTML"


# ----- feed server ---------------------------------------------------------------------------

ITEMS = (
    FeedItem(
        title="Banjir <rob> & longsor di Semarang",
        link="https://warta.example/banjir",
        description="<p>Air naik <b>1 m</b></p>",
        guid="banjir-1",
        published=dtm.datetime(2024, 5, 2, 8, 30, tzinfo=dtm.UTC),
        content_html="<p>Lengkap</p>",
        categories=("bencana",),
    ),
    FeedItem(title="Harga cabai turun", link="https://warta.example/cabai"),
)


async def test_rss_parses_with_feedparser(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    feeds.publish("/rss.xml", ITEMS, title="Warta Jateng")
    response = await http.get(feeds.url("/rss.xml"))
    assert response.headers["content-type"].startswith("application/rss+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    assert parsed.feed.title == "Warta Jateng"
    first, second = parsed.entries
    assert first.title == "Banjir <rob> & longsor di Semarang"
    assert first.link == "https://warta.example/banjir"
    assert first.id == "banjir-1"
    assert first.summary == "<p>Air naik <b>1 m</b></p>"
    assert first.content[0].value == "<p>Lengkap</p>"
    assert first.published_parsed[:5] == (2024, 5, 2, 8, 30)
    assert first.tags[0].term == "bencana"
    assert second.id == "https://warta.example/cabai"


async def test_atom_parses_with_feedparser(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    feeds.publish("atom.xml", ITEMS, kind="atom", title="Warta Atom")
    parsed = feedparser.parse((await http.get(feeds.url("atom.xml"))).content)
    assert not parsed.bozo
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == [i.title for i in ITEMS]
    assert parsed.entries[0].summary == "<p>Air naik <b>1 m</b></p>"


async def test_republishing_same_items_keeps_etag(feeds: FeedServer) -> None:
    feeds.publish("/f", ITEMS)
    etag = feeds.etag("/f")
    feeds.publish("/f", list(ITEMS))
    assert feeds.etag("/f") == etag
    feeds.publish("/f", ITEMS[:1])
    assert feeds.etag("/f") != etag


async def test_add_item_prepends(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    feeds.publish("/f", ITEMS[1:])
    feeds.add_item("/f", ITEMS[0])
    parsed = feedparser.parse((await http.get(feeds.url("/f"))).content)
    assert [e.title for e in parsed.entries] == [ITEMS[0].title, ITEMS[1].title]


async def test_conditional_get(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    feeds.publish("/f", ITEMS)
    first = await http.get(feeds.url("/f"))
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_etag = await http.get(feeds.url("/f"), headers={"If-None-Match": etag})
    by_date = await http.get(feeds.url("/f"), headers={"If-Modified-Since": modified})
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert (by_date.status_code, by_date.content) == (304, b"")
    feeds.add_item("/f", FeedItem(title="Baru", link="https://warta.example/baru"))
    changed = await http.get(
        feeds.url("/f"), headers={"If-None-Match": etag, "If-Modified-Since": modified}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert (
        await http.get(feeds.url("/f"), headers={"If-Modified-Since": modified})
    ).status_code == 200
    feeds.conditional_get(False)
    assert (await http.get(feeds.url("/f"), headers={"If-None-Match": etag})).status_code == 200
    assert [r.status for r in feeds.requests] == [200, 304, 304, 200, 200, 200]


async def test_raw_redirect_and_html(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    feeds.set_raw("/bad", b"<rss><channel><item>", status=503, headers={"Retry-After": "30"})
    feeds.set_redirect("/old", "/bad", status=301)
    feeds.set_html("/page", "<html><head><title>Warta</title></head></html>")
    bad = await http.get(feeds.url("/old"), follow_redirects=True)
    assert (bad.status_code, bad.content, bad.headers["retry-after"]) == (
        503,
        b"<rss><channel><item>",
        "30",
    )
    assert [(r.path, r.status) for r in feeds.requests] == [("/old", 301), ("/bad", 503)]
    page = await http.get(feeds.url("/page"))
    assert page.headers["content-type"].startswith("text/html")
    assert (await http.get(feeds.url("/missing"))).status_code == 404


async def test_delay_and_trickle(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    feeds.set_raw("/slow", b"x" * 100)
    feeds.set_delay("/slow", 0.5)
    with pytest.raises(httpx.ReadTimeout):
        await http.get(feeds.url("/slow"), timeout=0.1)
    feeds.set_delay("/slow", 0)
    feeds.set_trickle("/slow", 400)
    started = time.monotonic()
    response = await http.get(feeds.url("/slow"))
    assert response.content == b"x" * 100
    assert time.monotonic() - started >= 0.2


async def test_requests_record_headers_and_hits(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    feeds.publish("/f", ITEMS)
    waiter = asyncio.create_task(feeds.wait_for_hits("/f", 2))
    await http.get(feeds.url("/f"), headers={"User-Agent": "Warta/0.1"})
    await http.head(feeds.url("/f"))
    await waiter
    assert feeds.hits("/f") == 2
    assert feeds.requests[0].headers["user-agent"] == "Warta/0.1"
    assert feeds.requests[1].method == "HEAD"
    with pytest.raises(AssertionError, match="expected 3"):
        await feeds.wait_for_hits("/f", 3, timeout=0.1)

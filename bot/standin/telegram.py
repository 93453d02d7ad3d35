"""A loopback stand-in for the Telegram Bot API that python-telegram-bot can talk to for real."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

from aiohttp import web
from aiohttp.web_request import FileField

from .served import Served
from .telegram_html import (
    HtmlEntity,
    ParsedHtml,
    TelegramHtmlError,
    parse_telegram_html_entities,
    strip_message_text,
    utf16_length,
)

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict], Awaitable[Any]]

TEXT_LIMIT: Final = 4096
CAPTION_LIMIT: Final = 1024
CALLBACK_DATA_LIMIT: Final = 64
CALLBACK_ANSWER_LIMIT: Final = 200  # characters of an answerCallbackQuery text
UPLOAD_LIMIT: Final = 64 * 1024 * 1024
DEFAULT_GROUP_USER_ID: Final = 424242
FIRST_UPDATE_ID: Final = 500_000_001
DROPPED: Final = 0

PAID_STARS: Final = 0.1  # what Telegram charges for a message sent with allow_paid_broadcast
TOKEN_PATTERN: Final = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
COMMAND_PATTERN: Final = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
BOT_COMMAND_NAME: Final = re.compile(r"^[a-z0-9_]{1,32}$")

# PTB sends plain strings unencoded and everything else JSON-encoded, so only these stay raw.
STRING_FIELDS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "description",
        "short_description",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "file_id",
        "action",
        "ip_address",
        "title",
        "document",
        "photo",
        "message_effect_id",
    }
)

SEND_METHODS: Final = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
MESSAGE_METHODS: Final = SEND_METHODS | {
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "sendChatAction",
}
DEFAULT_EXCLUDED_UPDATES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
ADMIN_RIGHTS: Final = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)
DEFAULT_DESCRIPTIONS: Final = MappingProxyType(
    {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
)
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class ApiError(Exception):
    """A Bot API error reply: HTTP status, description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JsonDict:
        """Return the JSON body Telegram sends for this error."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class Upload:
    """A file received in a multipart request."""

    content: bytes
    filename: str | None
    content_type: str | None


@dataclass(frozen=True)
class SentMessage:
    """One accepted send or edit, as the stand-in recorded it."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    plain_text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    disable_notification: bool
    link_preview_options: JsonDict | None
    disable_web_page_preview: bool | None
    document: bytes | None
    filename: str | None
    timestamp: float
    params: JsonDict = field(repr=False)

    @property
    def is_edit(self) -> bool:
        """True for editMessage* calls."""
        return self.method.startswith("edit")

    @property
    def paid(self) -> bool:
        """Whether it was sent as a paid broadcast (allow_paid_broadcast)."""
        return _flag(self.params, "allow_paid_broadcast")

    @property
    def buttons(self) -> list[JsonDict]:
        """All inline keyboard buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        """callback_data of every inline button that has one."""
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]


@dataclass(frozen=True)
class RecordedRequest:
    """One Bot API call and the HTTP status answered (0: connection dropped)."""

    method: str
    chat_id: int | str | None
    status: int
    params: JsonDict = field(repr=False)
    timestamp: float = 0.0

    @property
    def paid(self) -> bool:
        """Whether it carried allow_paid_broadcast."""
        return _flag(self.params, "allow_paid_broadcast")


@dataclass(frozen=True)
class CallbackAnswer:
    """An answerCallbackQuery call."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class _StoredFile:
    """A file the bot uploaded, kept for getFile and downloads."""

    content: bytes
    filename: str
    path: str


@dataclass(kw_only=True)
class _Injected:
    """Something the test asked to happen to the next `remaining` calls of a method and chat."""

    remaining: int
    method: str  # "*" for any method
    chat_id: int | None  # None for any chat

    def matches(self, method: str, chat_id: object) -> bool:
        """Whether this applies to the call."""
        return (
            self.remaining > 0
            and self.method in ("*", method)
            and (self.chat_id is None or self.chat_id == chat_id)
        )


@dataclass(kw_only=True)
class _Fault(_Injected):
    """A pending injected failure."""

    status: int
    description: str
    parameters: JsonDict | None


@dataclass(kw_only=True)
class _Drop(_Injected):
    """A pending dropped connection, before or after Telegram accepted the call."""

    after_accept: bool


@dataclass(kw_only=True)
class _Lag(_Injected):
    """Pending late arrivals: matching requests reach the server this much later."""

    seconds: float


@dataclass
class _Window:
    """Sliding-window counter of accepted sends."""

    limit: int
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    def retry_after(self, now: float) -> int | None:
        """Seconds until a slot frees (at least 1), or None when there is room."""
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()
        if len(self.stamps) < self.limit:
            return None
        return max(1, math.ceil(self.stamps[0] + self.seconds - now))


@dataclass
class _RateLimits:
    """Telegram's documented flood limits, applied to accepted sends."""

    per_second: int
    per_group_per_minute: int
    per_chat_per_second: float | None
    # With it, a send carrying allow_paid_broadcast skips the free per-second limit, up to this
    # many sends of any kind a second; without it, the flag changes nothing.
    paid_per_second: int | None = None
    # Whether paid sends count toward the free limit that sends without the flag must keep to
    # (Telegram does not say): "strict" counts them, "lenient" counts free sends only.
    paid_rule: str = "lenient"
    total: _Window = field(init=False)
    paid: _Window | None = field(init=False)
    groups: dict[int, _Window] = field(default_factory=dict)
    chats: dict[int, _Window] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.total = _Window(self.per_second, 1.0)
        self.paid = _Window(self.paid_per_second, 1.0) if self.paid_per_second else None

    def windows(self, chat_id: int, paid: bool, *, counting: bool = False) -> Iterator[_Window]:
        """The windows a send to chat_id is checked against (counted in, with `counting`)."""
        if self.paid is not None:
            yield self.paid
        # Read strictly, a paid send is not held to the free limit but counts toward it.
        if not paid or self.paid is None or (counting and self.paid_rule == "strict"):
            yield self.total
        if chat_id < 0:
            yield self.groups.setdefault(chat_id, _Window(self.per_group_per_minute, 60.0))
        if self.per_chat_per_second:
            # Rates below 1/s become "one message per 1/rate seconds".
            seconds = max(1.0, 1.0 / self.per_chat_per_second)
            limit = max(1, round(self.per_chat_per_second * seconds))
            yield self.chats.setdefault(chat_id, _Window(limit, seconds))

    def check(self, chat_id: int, now: float, paid: bool) -> int | None:
        """Return retry_after if a send now would exceed a limit."""
        windows = self.windows(chat_id, paid)
        waits = [w for w in (win.retry_after(now) for win in windows) if w]
        return max(waits) if waits else None

    def record(self, chat_id: int, now: float, paid: bool) -> None:
        """Count an accepted send."""
        for window in self.windows(chat_id, paid, counting=True):
            window.stamps.append(now)


class _Signal:
    """Broadcast wake-up usable from synchronous code: every notify wakes all waiters."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake everyone waiting now."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        """Sleep until the next notify."""
        await self._event.wait()


def _decode_value(key: str, value: object) -> object:
    """Undo PTB's per-field JSON encoding of form values."""
    if isinstance(value, FileField):
        return Upload(value.file.read(), value.filename, value.content_type)
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if not isinstance(value, str) or key in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> JsonDict:
    """Merge query string and body (form, multipart or JSON) into one parameter dict."""
    raw: dict[str, object] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            raw.update(await _read_json_body(request))
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raw.update(await request.post())
    return {key: _decode_value(key, value) for key, value in raw.items()}


async def _read_json_body(request: web.Request) -> JsonDict:
    """Parse a JSON object body."""
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "Bad Request: can't parse JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Bad Request: JSON object expected")
    return body


def _dumps(payload: object) -> str:
    """Serialise JSON like Telegram (UTF-8, compact)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _reply(payload: JsonDict, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.json_response(payload, status=status, dumps=_dumps)


def _flag(params: JsonDict, key: str) -> bool:
    """Read a boolean parameter."""
    value = params.get(key)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _optional_flag(params: JsonDict, key: str) -> bool | None:
    """Read a boolean parameter that may be absent."""
    return None if params.get(key) is None else _flag(params, key)


def _number(params: JsonDict, key: str, default: float) -> float:
    """Read a numeric parameter, rejecting garbage the way Telegram does."""
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ApiError(400, f"Bad Request: invalid {key} specified")
    try:
        return float(value)
    except ValueError:
        raise ApiError(400, f"Bad Request: invalid {key} specified") from None


def _optional_dict(value: object) -> JsonDict | None:
    """Return value if it is a JSON object."""
    return value if isinstance(value, dict) else None


def _html_entities(entities: tuple[HtmlEntity, ...]) -> list[JsonDict]:
    """Entities as Bot API JSON."""
    return [entity.to_dict() for entity in entities]


def _user_entities(value: object) -> tuple[HtmlEntity, ...]:
    """Explicit `entities`/`caption_entities` supplied by the caller."""
    if not isinstance(value, list):
        return ()
    entities: list[HtmlEntity] = []
    for item in value:
        if isinstance(item, dict) and {"type", "offset", "length"} <= item.keys():
            entities.append(
                HtmlEntity(
                    str(item["type"]),
                    int(item["offset"]),
                    int(item["length"]),
                    item.get("url"),
                    item.get("language"),
                    item.get("custom_emoji_id"),
                )
            )
    return tuple(entities)


def _validate_button(button: object) -> None:
    """Apply Telegram's checks to one inline keyboard button."""
    prefix = "Bad Request: can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise ApiError(400, prefix + "InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise ApiError(400, prefix + 'Field "text" must be of type String')
    data = button.get("callback_data")
    if data is not None:
        encoded = data.encode("utf-8") if isinstance(data, str) else b""
        if not 1 <= len(encoded) <= CALLBACK_DATA_LIMIT:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not (isinstance(url, str) and _is_button_url(url)):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    if "web_app" in button and not _is_web_app(button["web_app"]):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    if set(button) <= {"text", "style", "icon_custom_emoji_id"}:
        raise ApiError(400, prefix + "Text buttons are unallowed in the inline keyboard")


def _is_web_app(web_app: object) -> bool:
    """Whether Telegram accepts a WebAppInfo: Mini Apps open only from https:// addresses."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    return isinstance(url, str) and url.startswith("https://") and len(url) > len("https://")


def _is_button_url(url: str) -> bool:
    """Whether Telegram accepts url on a button."""
    return url.startswith(("http://", "https://", "tg://")) and len(url) > len("tg://")


def _validate_markup(value: object) -> JsonDict | None:
    """Validate reply_markup and return it parsed."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = value.get("inline_keyboard")
    if rows is None:
        return value
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
            "must be an Array of Arrays",
        )
    for row in rows:
        for button in row:
            _validate_button(button)
    return value


def _inline_markup(markup: JsonDict | None) -> JsonDict | None:
    """The part of reply_markup Telegram echoes in a Message: non-empty inline keyboards."""
    if markup and markup.get("inline_keyboard") and any(markup["inline_keyboard"]):
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _command_entity(text: str) -> list[JsonDict]:
    """The bot_command entity Telegram attaches to "/cmd[@bot] ..." messages."""
    match = COMMAND_PATTERN.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_length(match.group())}]


def _default_chat(chat_id: int) -> JsonDict:
    """Chat JSON for a chat the tests never described, guessed from the id's shape."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Budi"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}


def _member_json(user: JsonDict, status: str) -> JsonDict:
    """ChatMember JSON for a status."""
    if status == "creator":
        return {"status": status, "user": user, "is_anonymous": False}
    if status == "administrator":
        rights = dict.fromkeys(ADMIN_RIGHTS, True)
        return {
            "status": status,
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            **rights,
        }
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": user}
    raise ValueError(f"unsupported chat member status {status!r}")


class TelegramStandIn(Served):
    """Bot API server on 127.0.0.1 with recording, update injection and fault switches."""

    def __init__(
        self, token: str = "123456:TEST-TOKEN", bot_username: str = "warta_test_bot"
    ) -> None:
        self._token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_first_name = "Warta Test"
        # Telegram tolerates a bare "&" in HTML; strict mode flags it as the docs require.
        self.strict_html_entities = True
        # Per chat: user id -> "creator" | "administrator" | "member" | "left" | "kicked".
        self.member_status: dict[int, dict[int, str]] = {}
        self.sent: list[SentMessage] = []
        self.requests: list[RecordedRequest] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.deleted: list[tuple[int, int]] = []
        self.rejected_429 = 0
        # Stars the bot has for paid broadcasts, 0.1 a message; None: never short of them.
        self.stars_balance: float | None = None
        self.webhook_url = ""
        # setChatMenuButton: per private chat id, None for the default of every private chat.
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.description = ""
        self.short_description = ""
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._signal = _Signal()
        self._stopping = False
        self._delay = 0.0
        self._limits: _RateLimits | None = None
        self._limits_clock: Callable[[], float] = time.monotonic
        self._faults: list[_Fault] = []
        self._drops: list[_Drop] = []
        self._lags: list[_Lag] = []
        self._blocked: set[int] = set()
        self._kicked: set[int] = set()
        self._forgotten: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._chats: dict[int, JsonDict] = {}
        self._users: dict[int, JsonDict] = {}
        self._messages: dict[tuple[int, int], JsonDict] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._polls_waiting = 0
        self._callback_queries: dict[str, bool] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._files: dict[str, _StoredFile] = {}
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._handlers = self._build_handlers()

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a random loopback port."""
        app = web.Application(client_max_size=UPLOAD_LIMIT)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Cancelling handlers whose client went away keeps shutdown and long polls prompt.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._stopping = False

    async def stop(self) -> None:
        """Release pending long polls and close the server."""
        self._stopping = True
        self._signal.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:PORT (the bot's base_url is this plus "/bot")."""
        if not self._port:
            raise RuntimeError("TelegramStandIn is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_file_url(self) -> str:
        """Value for ApplicationBuilder.base_file_url."""
        return f"{self.base_url}/file/bot"

    @property
    def token(self) -> str:
        """The only token this server accepts."""
        return self._token

    @property
    def bot_user(self) -> JsonDict:
        """The bot's User JSON."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ----- queries for tests -----------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Messages sent (not edits) to chat_id, oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id and not m.is_edit]

    def edits_in(self, chat_id: int) -> list[SentMessage]:
        """Edits made in chat_id, oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id and m.is_edit]

    def message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """Current state of a stored message (after edits), or None if unknown or deleted."""
        return self._messages.get((chat_id, message_id))

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """Recorded calls of one Bot API method."""
        return [r for r in self.requests if r.method == method]

    def commands_for(
        self, scope: JsonDict | None = None, language_code: str = ""
    ) -> list[JsonDict]:
        """Commands last set with setMyCommands for a scope and language."""
        return list(self._commands.get(self._command_key(scope, language_code), []))

    @property
    def polls_waiting(self) -> int:
        """getUpdates calls currently being held open."""
        return self._polls_waiting

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by the bot."""
        return list(self._updates)

    def summary(self, last: int = 20) -> str:
        """Readable digest of recent traffic, for assertion messages."""
        lines = [f"{len(self.sent)} sent/edited, {len(self.requests)} requests"]
        for item in self.sent[-last:]:
            text = (item.plain_text or "")[:80]
            lines.append(f"  {item.method} chat={item.chat_id} id={item.message_id}: {text!r}")
        lines.append("recent requests:")
        for req in self.requests[-last:]:
            lines.append(f"  {req.method} chat={req.chat_id} -> {req.status}")
        return "\n".join(lines)

    async def wait_for(
        self, predicate: Callable[[TelegramStandIn], bool], timeout: float = 30.0
    ) -> None:
        """Wait until predicate(self) holds, re-checking on every recorded event."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self):
                    await self._signal.wait()
        except TimeoutError:
            raise AssertionError(f"condition not met within {timeout}s\n{self.summary()}") from None

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 30.0
    ) -> list[SentMessage]:
        """Wait until at least count messages went to chat_id; return them all."""
        await self.wait_for(lambda tg: len(tg.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    # ----- fault switches --------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | None = None,
        method: str = "sendMessage",
    ) -> None:
        """Make the next count matching calls fail (method "*" matches every method)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = DEFAULT_DESCRIPTIONS.get(status, "Error")
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
        parameters = None if retry_after is None else {"retry_after": retry_after}
        method = self._canonical(method)
        self._faults.append(
            _Fault(
                remaining=count,
                status=status,
                description=description,
                parameters=parameters,
                method=method,
                chat_id=chat_id,
            )
        )

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends answer 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo block()."""
        self._blocked.discard(chat_id)

    def forget_chat(self, chat_id: int) -> None:
        """Calls for this chat answer 400 "chat not found"."""
        self._forgotten.add(chat_id)

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Calls for old_id answer 400 with migrate_to_chat_id=new_id."""
        self._migrated[old_id] = new_id
        old = self._chats.get(old_id) or _default_chat(old_id)
        self._chats[new_id] = {"id": new_id, "type": "supergroup", "title": old.get("title", "")}

    def drop_connection_next(
        self,
        count: int = 1,
        *,
        after_accept: bool,
        method: str = "sendMessage",
        chat_id: int | None = None,
    ) -> None:
        """Close the connection without a response, before or after accepting the call."""
        self._drops.append(
            _Drop(
                remaining=count,
                after_accept=after_accept,
                method=self._canonical(method),
                chat_id=chat_id,
            )
        )

    def delay_next(
        self,
        seconds: float,
        count: int = 1,
        *,
        method: str = "sendMessage",
        chat_id: int | None = None,
    ) -> None:
        """Let the next count matching calls arrive this much late, as on a jittery network."""
        self._lags.append(
            _Lag(remaining=count, seconds=seconds, method=self._canonical(method), chat_id=chat_id)
        )

    def enforce_limits(
        self,
        per_second: int = 30,
        per_group_per_minute: int = 20,
        per_chat_per_second: float | None = None,
        *,
        paid_per_second: int | None = None,
        paid_rule: str = "lenient",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Apply flood limits to sendMessage/sendDocument/sendPhoto; excess answers 429.

        With `paid_per_second`, sends that carry allow_paid_broadcast count against that limit
        instead of `per_second` (Telegram's paid broadcasts); per-chat and per-group limits hold
        for them too. Whether they also count toward `per_second` for the sends without the
        flag, Telegram does not say: `paid_rule` "strict" counts them (a free send is refused
        once `per_second` sends of any kind were accepted within the last second), "lenient"
        does not. The limits count on `clock`: a test that stops it checks them whatever the
        machine's speed.
        """
        if paid_rule not in ("strict", "lenient"):
            raise ValueError(f"paid_rule must be strict or lenient, got {paid_rule!r}")
        self._limits = _RateLimits(
            per_second, per_group_per_minute, per_chat_per_second, paid_per_second, paid_rule
        )
        self._limits_clock = clock

    def disable_limits(self) -> None:
        """Stop enforcing flood limits."""
        self._limits = None

    def delay(self, seconds: float) -> None:
        """Hold every request this long before handling it (0 turns it off)."""
        self._delay = seconds

    def clear_faults(self) -> None:
        """Forget pending fail_next, drop_connection_next and delay_next switches."""
        self._faults.clear()
        self._drops.clear()
        self._lags.clear()

    # ----- update injection ------------------------------------------------------------------

    def inject_update(self, update: JsonDict) -> int:
        """Queue a raw update (update_id assigned if missing); return its update_id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._signal.notify()
        return int(update["update_id"])

    def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
        first_name: str = "Budi",
        language_code: str = "id",
    ) -> int:
        """A user sends text to the bot; commands get a bot_command entity."""
        user = self._remember_user(
            self._default_user_id(chat_id, chat_type, user_id), first_name, language_code
        )
        chat = self._remember_chat(chat_id, chat_type, chat_title, first_name)
        message = self._incoming_message(chat, user, text=text)
        entities = _command_entity(text)
        if entities:
            message["entities"] = entities
        return self.inject_update({"message": message})

    def press_button(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> int:
        """A user presses an inline button carrying data on an earlier message."""
        chat = self._chats.get(chat_id) or _default_chat(chat_id)
        user = self._user(self._default_user_id(chat_id, chat["type"], user_id))
        query_id = str(next(self._query_ids))
        self._callback_queries[query_id] = False
        message = self._messages.get((chat_id, message_id))
        if message is None:
            # Telegram sends an InaccessibleMessage (date 0) for messages it no longer has.
            message = {"chat": chat, "message_id": message_id, "date": 0}
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919 % 10**18),
            "data": data,
        }
        return self.inject_update({"callback_query": query})

    def user_reacts(
        self, chat_id: int, message_id: int, emoji: str, *, user_id: int | None = None
    ) -> int:
        """A user sets a reaction on a message; delivered only to a bot that asked for
        message_reaction in allowed_updates, as on Telegram."""
        chat = self._chats.get(chat_id) or _default_chat(chat_id)
        user = self._user(self._default_user_id(chat_id, chat["type"], user_id))
        reaction = {
            "chat": chat,
            "message_id": message_id,
            "user": user,
            "date": int(time.time()),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": emoji}],
        }
        return self.inject_update({"message_reaction": reaction})

    def bot_removed_from(
        self,
        chat_id: int,
        *,
        user_id: int | None = None,
        status: Literal["kicked", "left"] | None = None,
    ) -> int:
        """my_chat_member: a private user blocks the bot or a group removes it."""
        chat = self._chats.get(chat_id) or _default_chat(chat_id)
        private = chat["type"] == "private"
        new_status = status or ("kicked" if private else "left")
        (self._blocked if private else self._kicked).add(chat_id)
        return self._my_chat_member(chat, user_id, "member", new_status)

    def bot_added_to(
        self,
        chat_id: int,
        chat_type: str = "group",
        title: str = "Grup Berita",
        *,
        user_id: int | None = None,
        status: Literal["member", "administrator"] = "member",
    ) -> int:
        """my_chat_member: the bot joins a chat (or a private user unblocks it)."""
        chat = self._remember_chat(chat_id, chat_type, title, "Budi")
        self._blocked.discard(chat_id)
        self._kicked.discard(chat_id)
        old = "kicked" if chat_type == "private" else "left"
        return self._my_chat_member(chat, user_id, old, status)

    def message_deleted(self, chat_id: int, message_id: int) -> None:
        """A user deletes a message in the chat: edits of it then find nothing, as on Telegram."""
        del self._messages[(chat_id, message_id)]

    def member_changed(
        self,
        chat_id: int,
        user_id: int,
        status: Literal["creator", "administrator", "member", "left", "kicked"],
        *,
        by: int | None = None,
    ) -> int:
        """A user is promoted, demoted or removed: getChatMember answers the new status from now
        on, and a chat_member update is queued (delivered only to bots that asked for it)."""
        statuses = self.member_status.setdefault(chat_id, {})
        old = statuses.get(user_id, "member")
        statuses[user_id] = status
        chat = self._chat(chat_id)
        actor = self._user(self._default_user_id(chat_id, chat["type"], by))
        update = {
            "chat": chat,
            "from": actor,
            "date": int(time.time()),
            "old_chat_member": _member_json(self._user(user_id), old),
            "new_chat_member": _member_json(self._user(user_id), status),
        }
        return self.inject_update({"chat_member": update})

    def group_migrated(
        self, old_chat_id: int, new_chat_id: int, *, user_id: int | None = None
    ) -> int:
        """A group becomes a supergroup: service messages in both chats, old id stops working."""
        self.migrate_chat(old_chat_id, new_chat_id)
        user = self._user(self._default_user_id(old_chat_id, "group", user_id))
        old_chat = self._chats.get(old_chat_id) or _default_chat(old_chat_id)
        old_message = self._incoming_message(old_chat, user, migrate_to_chat_id=new_chat_id)
        first = self.inject_update({"message": old_message})
        new_chat = self._chats[new_chat_id]
        new_message = self._incoming_message(new_chat, user, migrate_from_chat_id=old_chat_id)
        self.inject_update({"message": new_message})
        return first

    # ----- internals: chats, users, messages -------------------------------------------------

    def _default_user_id(self, chat_id: int, chat_type: str, user_id: int | None) -> int:
        """The acting user: explicit, the private chat's owner, or a fixed group member."""
        if user_id is not None:
            return user_id
        return chat_id if chat_type == "private" else DEFAULT_GROUP_USER_ID

    def _remember_user(self, user_id: int, first_name: str, language_code: str) -> JsonDict:
        """Register and return a human user's JSON."""
        user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        self._users[user_id] = user
        return user

    def _user(self, user_id: int) -> JsonDict:
        """User JSON for an id, registered or made up."""
        if user_id == self.bot_id:
            return self.bot_user
        return self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
        }

    def add_channel(
        self, chat_id: int, username: str, title: str, *, admins: Iterable[int] = ()
    ) -> None:
        """A channel the bot can look up by @username; admins (and the bot) administer it."""
        self._chats[chat_id] = {
            "id": chat_id,
            "type": "channel",
            "title": title,
            "username": username.lstrip("@"),
        }
        self._forgotten.discard(chat_id)
        statuses = self.member_status.setdefault(chat_id, {})
        statuses[self.bot_id] = "administrator"
        for user_id in admins:
            statuses[user_id] = "administrator"

    def _remember_chat(
        self, chat_id: int, chat_type: str, title: str | None, first_name: str
    ) -> JsonDict:
        """Register a chat the tests describe; it exists again if it was forgotten."""
        if chat_type == "private":
            chat: JsonDict = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title or f"Group {chat_id}"}
        self._chats[chat_id] = chat
        self._forgotten.discard(chat_id)
        return chat

    def _chat(self, chat_id: int) -> JsonDict:
        """Chat JSON for an id."""
        return self._chats.get(chat_id) or _default_chat(chat_id)

    def _next_message_id(self, chat_id: int) -> int:
        """Message ids grow per chat, shared by the bot and users as in Telegram."""
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _incoming_message(self, chat: JsonDict, user: JsonDict, **content: Any) -> JsonDict:
        """Build and store a message from a user."""
        message_id = self._next_message_id(chat["id"])
        message = {
            "message_id": message_id,
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat["id"], message_id)] = message
        return message

    def _my_chat_member(self, chat: JsonDict, user_id: int | None, old: str, new: str) -> int:
        """Queue a my_chat_member update about the bot."""
        actor = self._user(self._default_user_id(chat["id"], chat["type"], user_id))
        update = {
            "chat": chat,
            "from": actor,
            "date": int(time.time()),
            "old_chat_member": _member_json(self.bot_user, old),
            "new_chat_member": _member_json(self.bot_user, new),
        }
        return self.inject_update({"my_chat_member": update})

    # ----- internals: HTTP -------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Entry point for /bot<token>/<method>."""
        name = request.match_info["method"]
        token = request.match_info["token"]
        if token != self._token:
            status = 401 if TOKEN_PATTERN.match(token) else 404
            self._record_request(name, None, status, {})
            return _reply(ApiError(status, DEFAULT_DESCRIPTIONS[status]).payload(), status)
        try:
            params = await _read_params(request)
        except ApiError as error:
            self._record_request(name, None, error.status, {})
            return _reply(error.payload(), error.status)
        if self._delay:
            await asyncio.sleep(self._delay)
        if lag := self._take_lag(name, params.get("chat_id")):
            await asyncio.sleep(lag)
        return await self._dispatch(request, name, params)

    async def _dispatch(
        self, request: web.Request, name: str, params: JsonDict
    ) -> web.StreamResponse:
        """Run a method with the fault switches around it."""
        method, handler = self._handlers.get(name.lower(), (name, None))
        chat_id = params.get("chat_id")
        if self._take_drop(method, chat_id, after_accept=False):
            return self._drop(request, method, chat_id, params)
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._raise_fault(method, chat_id)
            self._check_chat_state(method, chat_id)
            result = await handler(params)
        except ApiError as error:
            self._record_request(method, chat_id, error.status, params)
            return _reply(error.payload(), error.status)
        if self._take_drop(method, chat_id, after_accept=True):
            return self._drop(request, method, chat_id, params)
        self._record_request(method, chat_id, 200, params)
        return _reply({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serve files the bot uploaded, for File.download_*."""
        if request.match_info["token"] != self._token:
            return web.Response(status=401, text="Unauthorized")
        for stored in self._files.values():
            if stored.path == request.match_info["path"]:
                return web.Response(body=stored.content, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    def _drop(
        self, request: web.Request, method: str, chat_id: object, params: JsonDict
    ) -> web.StreamResponse:
        """Abort the TCP connection so the client gets no HTTP response at all."""
        self._record_request(method, chat_id, DROPPED, params)
        if request.transport is not None:
            request.transport.abort()
        # aiohttp notices the closed transport and discards this response.
        return web.Response(status=500)

    def _take_lag(self, name: str, chat_id: object) -> float:
        """Consume a matching delay_next switch: how late this call arrives."""
        method = self._canonical(name)
        for lag in self._lags:
            if lag.matches(method, chat_id):
                lag.remaining -= 1
                return lag.seconds
        return 0.0

    def _take_drop(self, method: str, chat_id: object, *, after_accept: bool) -> bool:
        """Consume a matching drop_connection_next switch."""
        for drop in self._drops:
            if drop.after_accept == after_accept and drop.matches(method, chat_id):
                drop.remaining -= 1
                return True
        return False

    def _raise_fault(self, method: str, chat_id: object) -> None:
        """Consume a matching fail_next switch by raising its error."""
        for fault in self._faults:
            if fault.matches(method, chat_id):
                fault.remaining -= 1
                raise ApiError(fault.status, fault.description, fault.parameters)

    def _check_chat_state(self, method: str, chat_id: object) -> None:
        """Errors a real chat would give: migrated, unknown, blocked, bot removed."""
        if not isinstance(chat_id, int):
            return
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id in self._forgotten:
            raise ApiError(400, "Bad Request: chat not found")
        if method not in MESSAGE_METHODS:
            return
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._kicked:
            kind = self._chat(chat_id)["type"]
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")

    def _record_request(self, method: str, chat_id: object, status: int, params: JsonDict) -> None:
        """Log a call and wake waiters."""
        recorded_chat = chat_id if isinstance(chat_id, int | str) else None
        self.requests.append(
            RecordedRequest(method, recorded_chat, status, params, time.monotonic())
        )
        self._signal.notify()

    def _canonical(self, method: str) -> str:
        """Official spelling of a method name given in any case ("*" stays as is)."""
        return self._handlers.get(method.lower(), (method, None))[0]

    def _build_handlers(self) -> dict[str, tuple[str, Handler]]:
        """Method table, keyed case-insensitively as Telegram matches method names."""
        table: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyDescription": self._get_my_description,
            "getMyShortDescription": self._get_my_short_description,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getChatAdministrators": self._get_chat_administrators,
            "getFile": self._get_file,
        }
        return {name.lower(): (name, handler) for name, handler in table.items()}

    # ----- internals: parameters -------------------------------------------------------------

    def _chat_id(self, params: JsonDict) -> int:
        """Resolve chat_id (numeric or @username) to a known numeric id."""
        value = params.get("chat_id")
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == value[1:].lower():
                    return int(chat["id"])
        raise ApiError(400, "Bad Request: chat not found")

    def _message_id(self, params: JsonDict) -> int:
        """Read message_id."""
        value = params.get("message_id")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        return value

    def _parse_text(self, text: str, params: JsonDict, *, caption: bool) -> ParsedHtml:
        """Apply parse_mode and Telegram's emptiness and length rules."""
        parse_mode = params.get("parse_mode") or ""
        if not isinstance(parse_mode, str):
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        explicit = params.get("caption_entities" if caption else "entities")
        parsed = self._apply_parse_mode(text, parse_mode, explicit)
        parsed = strip_message_text(parsed)
        if not caption and not parsed.text:
            raise ApiError(400, "Bad Request: message text is empty")
        length = utf16_length(parsed.text)
        if caption and length > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        if not caption and length > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return parsed

    def _apply_parse_mode(self, text: str, parse_mode: str, explicit: object) -> ParsedHtml:
        """Turn text into plain text plus entities according to parse_mode."""
        mode = parse_mode.lower()
        if mode == "html":
            try:
                return parse_telegram_html_entities(text, strict_entities=self.strict_html_entities)
            except TelegramHtmlError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error.reason}") from None
        if mode in ("", "markdown", "markdownv2"):
            # Markdown is passed through unparsed; only HTML is validated here.
            return ParsedHtml(text, _user_entities(explicit) if not mode else ())
        raise ApiError(400, "Bad Request: unsupported parse_mode")

    def _check_rate(self, chat_id: int, params: JsonDict) -> None:
        """Refuse a send with 429 when a flood limit is reached, or a paid one nobody pays for."""
        paid = _flag(params, "allow_paid_broadcast")
        if paid and self.stars_balance is not None and self.stars_balance < PAID_STARS - 1e-9:
            # Telegram's exact wording is not documented; this one names the Stars balance.
            raise ApiError(400, "Bad Request: not enough Stars on the bot's balance")
        if self._limits is None:
            return
        retry_after = self._limits.check(chat_id, self._limits_clock(), paid)
        if retry_after is not None:
            self.rejected_429 += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    def _count_send(self, chat_id: int, params: JsonDict) -> None:
        """Account an accepted send for the flood limits."""
        paid = _flag(params, "allow_paid_broadcast")
        if paid and self.stars_balance is not None:
            self.stars_balance -= PAID_STARS
        if self._limits is not None:
            self._limits.record(chat_id, self._limits_clock(), paid)

    def _upload(self, params: JsonDict, key: str) -> tuple[bytes | None, str | None, str]:
        """Resolve a file parameter: upload, attach:// reference, known file_id or URL."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            return self._store_file(key, value.content, value.filename or key)
        if isinstance(value, str) and value in self._files:
            stored = self._files[value]
            return stored.content, stored.filename, value
        if isinstance(value, str) and value:
            return None, None, self._new_file_id(key)
        raise ApiError(400, f"Bad Request: there is no {key} in the request")

    def _new_file_id(self, kind: str) -> str:
        """A fresh file_id-looking string."""
        return f"{kind[:2].upper()}ACAgIAAxk{next(self._file_ids):06d}"

    def _store_file(self, kind: str, content: bytes, filename: str) -> tuple[bytes, str, str]:
        """Keep an uploaded file so getFile and downloads work."""
        file_id = self._new_file_id(kind)
        path = f"{kind}s/file_{len(self._files)}_{filename}"
        self._files[file_id] = _StoredFile(content, filename, path)
        return content, filename, file_id

    # ----- internals: recording --------------------------------------------------------------

    def _new_bot_message(self, chat_id: int, content: JsonDict) -> JsonDict:
        """Build and store a message sent by the bot."""
        message_id = self._next_message_id(chat_id)
        message = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value not in (None, [], "")},
        }
        self._messages[(chat_id, message_id)] = message
        return message

    def _record_sent(
        self,
        method: str,
        message: JsonDict,
        params: JsonDict,
        text: str | None,
        plain_text: str | None,
        upload: tuple[bytes | None, str | None] = (None, None),
    ) -> None:
        """Record an accepted send or edit and wake waiters."""
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=int(message["chat"]["id"]),
                message_id=int(message["message_id"]),
                text=text,
                plain_text=plain_text,
                parse_mode=params.get("parse_mode") or None,
                reply_markup=_validate_markup(params.get("reply_markup")),
                disable_notification=_flag(params, "disable_notification"),
                link_preview_options=_optional_dict(params.get("link_preview_options")),
                disable_web_page_preview=_optional_flag(params, "disable_web_page_preview"),
                document=upload[0],
                filename=upload[1],
                timestamp=time.monotonic(),
                params=params,
            )
        )
        self._signal.notify()

    # ----- Bot API methods -------------------------------------------------------------------

    async def _true(self, params: JsonDict) -> bool:
        """Methods that just succeed."""
        return True

    async def _get_me(self, params: JsonDict) -> JsonDict:
        """getMe."""
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _delete_webhook(self, params: JsonDict) -> bool:
        """deleteWebhook, optionally dropping pending updates."""
        self.webhook_url = ""
        if _flag(params, "drop_pending_updates"):
            self._updates.clear()
        return True

    async def _set_webhook(self, params: JsonDict) -> bool:
        """setWebhook (an empty url removes it)."""
        self.webhook_url = str(params.get("url") or "")
        if _flag(params, "drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        """getWebhookInfo."""
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        """getUpdates with offset confirmation, limit, allowed_updates and long polling."""
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = int(_number(params, "offset", 0))
        limit = min(max(int(_number(params, "limit", 100)), 1), 100)
        timeout = max(_number(params, "timeout", 0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(kind) for kind in allowed) or None
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = asyncio.get_running_loop().time() + timeout
        self._polls_waiting += 1
        self._signal.notify()
        try:
            return await self._long_poll(limit, generation, deadline)
        finally:
            self._polls_waiting -= 1
            self._signal.notify()

    async def _long_poll(self, limit: int, generation: int, deadline: float) -> list[JsonDict]:
        """Hold getUpdates until updates arrive, the deadline passes or a newer poll starts."""
        while not (batch := self._deliverable(limit)):
            remaining = deadline - asyncio.get_running_loop().time()
            if self._stopping or remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    await self._signal.wait()
            except TimeoutError:
                break
            if self._poll_generation != generation:
                raise ApiError(409, POLL_CONFLICT)
        return batch

    def _confirm(self, offset: int) -> None:
        """Forget updates confirmed by offset (negative: keep only the last -offset)."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _deliverable(self, limit: int) -> list[JsonDict]:
        """Pending updates of allowed types; disallowed ones are discarded as Telegram does."""
        self._updates = [u for u in self._updates if self._allowed(u)]
        return self._updates[:limit]

    def _allowed(self, update: JsonDict) -> bool:
        """Whether the update's type passes allowed_updates."""
        kinds = set(update) - {"update_id"}
        if self._allowed_updates is None:
            return not kinds <= DEFAULT_EXCLUDED_UPDATES
        return bool(kinds & self._allowed_updates)

    async def _send_message(self, params: JsonDict) -> JsonDict:
        """sendMessage."""
        chat_id = self._chat_id(params)
        raw = params.get("text")
        text = "" if raw is None else str(raw)
        parsed = self._parse_text(text, params, caption=False)
        markup = _validate_markup(params.get("reply_markup"))
        self._check_rate(chat_id, params)
        self._count_send(chat_id, params)
        message = self._new_bot_message(
            chat_id,
            {
                "text": parsed.text,
                "entities": _html_entities(parsed.entities),
                "reply_markup": _inline_markup(markup),
            },
        )
        self._record_sent("sendMessage", message, params, text, parsed.text)
        return message

    async def _send_document(self, params: JsonDict) -> JsonDict:
        """sendDocument."""
        return await self._send_file(params, "document")

    async def _send_photo(self, params: JsonDict) -> JsonDict:
        """sendPhoto."""
        return await self._send_file(params, "photo")

    async def _send_file(self, params: JsonDict, kind: str) -> JsonDict:
        """Shared body of sendDocument and sendPhoto."""
        chat_id = self._chat_id(params)
        caption = str(params.get("caption") or "")
        parsed = self._parse_text(caption, params, caption=True)
        markup = _validate_markup(params.get("reply_markup"))
        content, filename, file_id = self._upload(params, kind)
        self._check_rate(chat_id, params)
        self._count_send(chat_id, params)
        media = self._media_json(kind, file_id, content, filename)
        message = self._new_bot_message(
            chat_id,
            {
                kind: media,
                "caption": parsed.text,
                "caption_entities": _html_entities(parsed.entities),
                "reply_markup": _inline_markup(markup),
            },
        )
        method = "sendDocument" if kind == "document" else "sendPhoto"
        self._record_sent(
            method, message, params, caption or None, parsed.text, (content, filename)
        )
        return message

    def _media_json(
        self, kind: str, file_id: str, content: bytes | None, filename: str | None
    ) -> JsonDict | list[JsonDict]:
        """Document or PhotoSize list JSON for a sent file."""
        unique = hashlib.sha1(file_id.encode()).hexdigest()[:16]
        size = {"file_size": len(content)} if content is not None else {}
        if kind == "photo":
            return [
                {"file_id": file_id, "file_unique_id": unique, "width": 800, "height": 600, **size}
            ]
        document: JsonDict = {"file_id": file_id, "file_unique_id": unique, **size}
        if filename:
            document["file_name"] = filename
        return document

    async def _send_chat_action(self, params: JsonDict) -> bool:
        """sendChatAction."""
        self._chat_id(params)
        return True

    def _stored_message(self, params: JsonDict, missing: str) -> JsonDict:
        """The stored message an edit or delete targets."""
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the stand-in")
        chat_id = self._chat_id(params)
        message = self._messages.get((chat_id, self._message_id(params)))
        if message is None:
            raise ApiError(400, f"Bad Request: {missing}")
        return message

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        """editMessageText; omitting reply_markup removes the keyboard, as on Telegram."""
        message = self._stored_message(params, "message to edit not found")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = str(params.get("text") or "")
        parsed = self._parse_text(text, params, caption=False)
        markup = _inline_markup(_validate_markup(params.get("reply_markup")))
        entities = _html_entities(parsed.entities)
        unchanged = (
            message["text"] == parsed.text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        )
        if unchanged:
            raise ApiError(400, NOT_MODIFIED)
        self._update_message(message, text=parsed.text, entities=entities, reply_markup=markup)
        self._record_sent("editMessageText", message, params, text, parsed.text)
        return message

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        """editMessageReplyMarkup."""
        message = self._stored_message(params, "message to edit not found")
        markup = _inline_markup(_validate_markup(params.get("reply_markup")))
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        self._update_message(message, reply_markup=markup)
        text = message.get("text", message.get("caption"))
        self._record_sent("editMessageReplyMarkup", message, params, text, text)
        return message

    def _update_message(self, message: JsonDict, **changes: Any) -> None:
        """Apply an edit to a stored message."""
        for key, value in changes.items():
            if value in (None, []):
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())

    async def _delete_message(self, params: JsonDict) -> bool:
        """deleteMessage."""
        message = self._stored_message(params, "message to delete not found")
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        del self._messages[key]
        self.deleted.append(key)
        return True

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        query_id = str(params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id) is not False:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = params.get("text")
        if isinstance(text, str) and len(text) > CALLBACK_ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        url = params.get("url")
        self.callback_answers.append(
            CallbackAnswer(
                query_id,
                text if isinstance(text, str) else None,
                _flag(params, "show_alert"),
                url if isinstance(url, str) else None,
            )
        )
        return True

    @staticmethod
    def _command_key(scope: object, language_code: object) -> tuple[str, str]:
        """Storage key for a command list."""
        scope_dict = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope_dict, sort_keys=True), str(language_code or "")

    async def _set_my_commands(self, params: JsonDict) -> bool:
        """setMyCommands with Telegram's command name and description checks."""
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not BOT_COMMAND_NAME.match(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._command_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        """getMyCommands."""
        key = self._command_key(params.get("scope"), params.get("language_code"))
        return list(self._commands.get(key, []))

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        """deleteMyCommands."""
        self._commands.pop(
            self._command_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    async def _set_chat_menu_button(self, params: JsonDict) -> bool:
        """setChatMenuButton: a private chat's (or, without chat_id, the default) menu button."""
        button = params.get("menu_button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in {"commands", "web_app", "default"}:
            raise ApiError(400, "Bad Request: can't parse menu button")
        if kind == "web_app" and not (
            isinstance(button.get("text"), str)
            and button["text"]
            and _is_web_app(button.get("web_app"))
        ):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        chat_id = params.get("chat_id")
        if chat_id is not None and not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        self.menu_buttons[chat_id] = dict(button)
        return True

    async def _get_chat_menu_button(self, params: JsonDict) -> JsonDict:
        """getChatMenuButton: the chat's own button, else the default one."""
        chat_id = params.get("chat_id")
        key = chat_id if isinstance(chat_id, int) else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}

    async def _set_my_description(self, params: JsonDict) -> bool:
        """setMyDescription."""
        self.description = str(params.get("description") or "")
        return True

    async def _set_my_short_description(self, params: JsonDict) -> bool:
        """setMyShortDescription."""
        self.short_description = str(params.get("short_description") or "")
        return True

    async def _get_my_description(self, params: JsonDict) -> JsonDict:
        """getMyDescription."""
        return {"description": self.description}

    async def _get_my_short_description(self, params: JsonDict) -> JsonDict:
        """getMyShortDescription."""
        return {"short_description": self.short_description}

    async def _get_chat(self, params: JsonDict) -> JsonDict:
        """getChat (a ChatFullInfo)."""
        chat = self._chat(self._chat_id(params))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _status(self, chat_id: int, user_id: int) -> str:
        """Configured member status, "member" when the test said nothing."""
        return self.member_status.get(chat_id, {}).get(user_id, "member")

    async def _get_chat_member(self, params: JsonDict) -> JsonDict:
        """getChatMember from member_status."""
        chat_id = self._chat_id(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise ApiError(400, "Bad Request: invalid user_id specified")
        member = _member_json(self._user(user_id), self._status(chat_id, user_id))
        if member["status"] == "administrator" and self._chat(chat_id)["type"] == "channel":
            # Only channel administrators carry the posting rights.
            member.update(can_post_messages=True, can_edit_messages=True)
        return member

    async def _get_chat_administrators(self, params: JsonDict) -> list[JsonDict]:
        """getChatAdministrators from member_status."""
        chat_id = self._chat_id(params)
        if self._chat(chat_id)["type"] == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        statuses = self.member_status.get(chat_id, {})
        return [
            _member_json(self._user(user_id), status)
            for user_id, status in statuses.items()
            if status in ("creator", "administrator")
        ]

    async def _get_file(self, params: JsonDict) -> JsonDict:
        """getFile for files the bot uploaded."""
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        stored = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": hashlib.sha1(file_id.encode()).hexdigest()[:16],
            "file_size": len(stored.content),
            "file_path": stored.path,
        }

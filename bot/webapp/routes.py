"""The Mini App's routes: the page, and the JSON it reads and changes a chat with.

Every API request is refused (401) before its body or query is read unless its
`Authorization: tma <initData>` header carries Telegram's signature made within a day; it acts
only on the signed user's private chat or on a group or channel Telegram lists them as an
administrator of, asked again on every request (403 otherwise). The groups and channels offered
are those the user was seen administering (bot.chats.registry), each confirmed with Telegram.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web
from telegram import Bot, ChatMember
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError

from bot.chats.explain import Explainer
from bot.chats.preferences import requested_changes, settings_of
from bot.chats.registry import ChatRegistry
from bot.chats.subscriptions import Subscriptions, split_region
from bot.delivery.render import plain_text
from bot.i18n import catalogue, language_for, text
from bot.matching import TopicQuery, TopicSyntaxError, parse_topic
from bot.ops.serving import read_body
from bot.places.gazetteer import Gazetteer
from bot.topics.search import NewsSearch, SearchBusyError
from bot.webapp.initdata import InitDataError, WebAppUser, verify
from bot.webapp.preview import Preview, preview
from storage import Storage
from storage.models import Chat, Narrowing

log = logging.getLogger(__name__)

PREFIX = "/app"
MAX_BODY_BYTES = 64 * 1024
PREVIEWS_PER_SECOND = 5
ADMIN_STATUSES = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})
# Groups and channels offered to pick from, at most: each costs a getChatMember when listed.
MAX_CHAT_CHOICES = 20
# Only Warta's own origin and Telegram's script, and the page's own inline script (by its hash)
# and style: a script slipped into the page some other way does not run.
PAGE_POLICY = (
    "default-src 'none'; script-src '{script}' https://telegram.org; "
    "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class MiniAppParts:
    """What the Mini App's routes work with, opened at start."""

    storage: Storage
    subscriptions: Subscriptions
    chats: ChatRegistry
    gazetteer: Gazetteer
    search: NewsSearch
    explainer: Explainer
    clock: Callable[[], float]


class PreviewRate:
    """At most `per_second` previews a second per user (a sliding second, monotonic time)."""

    def __init__(self, per_second: int = PREVIEWS_PER_SECOND) -> None:
        self._per_second = per_second
        self._recent: dict[int, deque[float]] = {}

    def allow(self, user_id: int, now: float) -> bool:
        """Count one preview for the user if the last second has room for it."""
        if len(self._recent) > 4096:
            self._recent = {u: q for u, q in self._recent.items() if q and now - q[-1] < 1}
        recent = self._recent.setdefault(user_id, deque())
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self._per_second:
            return False
        recent.append(now)
        return True


class MiniApp:
    """The Mini App's page and API, added to the webhook's or the monitoring server."""

    def __init__(self, parts: MiniAppParts, bot: Bot, token: str, url: str) -> None:
        self._parts = parts
        self._bot = bot
        self._token = token
        self.url = url
        self._rate = PreviewRate()
        self._page = resources.files("bot.webapp").joinpath("index.html").read_bytes()
        self._policy = _page_policy(self._page)

    def add_routes(self, server: web.Application, body_seconds: float) -> None:
        """Serve the page and the API under /app/."""
        self._body_seconds = body_seconds
        server.router.add_get(f"{PREFIX}/", self._serve_page)
        api = f"{PREFIX}/api"
        routes: list[tuple[str, str, Callable[..., Awaitable[Any]]]] = [
            ("GET", "/state", self._state),
            ("GET", "/chats", self._chats),
            ("POST", "/topics", self._add_topic),
            ("PUT", "/topics/{id:[0-9]+}", self._edit_topic),
            ("DELETE", "/topics/{id:[0-9]+}", self._remove_topic),
            ("POST", "/places", self._follow),
            ("DELETE", "/places", self._unfollow),
            ("GET", "/provinces", self._provinces),
            ("GET", "/provinces/{code}", self._cities),
            ("POST", "/check", self._check),
            ("POST", "/preview", self._preview),
            ("PUT", "/settings", self._settings),
            ("DELETE", "/narrowings/{id:[0-9]+}", self._undo_narrowing),
        ]
        for method, path, handler in routes:
            server.router.add_route(method, api + path, self._signed(handler))

    async def _serve_page(self, request: web.Request) -> web.Response:
        """The static page (it carries no data: everything comes through the API)."""
        return web.Response(
            body=self._page,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Content-Security-Policy": self._policy,
                "Cache-Control": "no-cache",
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def _signed(self, handler: Callable[..., Awaitable[Any]]) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            scheme, _, init_data = request.headers.get("Authorization", "").partition(" ")
            try:
                if scheme.casefold() != "tma":
                    raise InitDataError("no tma authorization")
                user = verify(init_data.strip(), self._token, self._parts.clock())
            except InitDataError as error:
                log.info("mini app request refused: %s", error)
                return _json({"error": "unauthorized"}, 401)
            body = await self._body(request)
            answer = await handler(request, user, body)
            return answer if isinstance(answer, web.StreamResponse) else _json(answer)

        return checked

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.method in {"GET", "DELETE"} and not request.can_read_body:
            return dict(request.query)
        raw = await read_body(request, MAX_BODY_BYTES, self._body_seconds)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise web.HTTPBadRequest() from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest()
        return {**request.query, **body}

    async def _chat(self, user: WebAppUser, body: dict[str, Any]) -> Chat:
        """The chat a request acts on: the user's own, or one they administer (403 if not)."""
        try:
            chat_id = int(body.get("chat", user.id))
        except (TypeError, ValueError):
            raise _forbidden() from None
        if chat_id == user.id:
            return await self._parts.chats.enter(
                user.id, ChatType.PRIVATE, user.first_name, language_for(user.language_code)
            )
        stored = await self._parts.storage.get_chat(chat_id)
        if stored is None or not stored.active or stored.type == ChatType.PRIVATE:
            raise _forbidden()
        if not await self._administers(chat_id, user.id):
            raise _forbidden()
        return stored

    async def _administers(self, chat_id: int, user_id: int) -> bool:
        """Telegram's word, asked now, that the user administers the chat."""
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except (BadRequest, Forbidden):  # the chat is gone, or the bot is no longer in it
            return False
        return member.status in ADMIN_STATUSES

    async def _still_administered(self, chat: Chat, user_id: int) -> bool:
        """Whether to offer the chat: Telegram confirms it now; a chat it denies is forgotten,
        one it could not be asked about this time is left out but kept."""
        try:
            confirmed = await self._administers(chat.id, user_id)
        except NetworkError:
            return False
        if not confirmed:
            await self._parts.chats.no_longer_administering(chat.id, user_id)
        return confirmed

    async def _language(self, user: WebAppUser) -> str:
        own = await self._parts.storage.get_chat(user.id)
        return own.language if own is not None else language_for(user.language_code)

    async def _state(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """Everything the page shows for a chat, and the page's texts in the reader's language."""
        chat = await self._chat(user, body)
        language = await self._language(user)
        narrowings = await self._parts.explainer.narrowings(chat.id)
        return {
            "chat": {"id": chat.id, "title": chat.title, "type": chat.type},
            "language": language,
            "texts": _page_texts(language),
            "limit": self._parts.subscriptions.limit,
            "topics": await self._topics(chat, language, narrowings),
            "places": [
                {"key": key, "name": shown}
                for key, shown in await self._parts.subscriptions.followed(chat.id)
            ],
            "settings": settings_of(chat),
            # A muted feed narrows the whole chat, not one topic.
            "muted": await self._described([n for n in narrowings if n.topic_id is None], language),
        }

    async def _chats(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """The chats to pick from: the user's own, and the groups and channels Telegram lists
        them as administering now, among those they were seen administering."""
        seen = await self._parts.chats.administered_by(user.id, MAX_CHAT_CHOICES)
        confirmed = await asyncio.gather(*(self._still_administered(c, user.id) for c in seen))
        choices = [{"id": user.id, "title": user.first_name, "type": ChatType.PRIVATE}]
        choices += [
            {"id": chat.id, "title": chat.title, "type": chat.type}
            for chat, ok in zip(seen, confirmed, strict=True)
            if ok
        ]
        return choices

    async def _topics(
        self, chat: Chat, language: str, narrowings: list[Narrowing]
    ) -> list[dict[str, object]]:
        return [
            {
                "id": topic.id,
                "text": topic.label,
                "reading": _reading(query, language) if query is not None else [],
                "narrowings": await self._described(
                    [n for n in narrowings if n.topic_id == topic.id], language
                ),
            }
            for topic, query in await self._parts.subscriptions.topics(chat.id)
        ]

    async def _described(
        self, narrowings: list[Narrowing], language: str
    ) -> list[dict[str, object]]:
        """Narrowings as /list shows them, each with the id that undoes it."""
        explainer = self._parts.explainer
        return [
            {"id": n.id, "text": plain_text(await explainer.describe(n, language))}
            for n in narrowings
        ]

    async def _undo_narrowing(
        self, request: web.Request, user: WebAppUser, body: dict[str, Any]
    ) -> object:
        """Undo one of the chat's narrowings, as /list's undo button does."""
        chat = await self._chat(user, body)
        narrowing_id = int(request.match_info["id"])
        undone = await self._parts.explainer.undo(chat.id, narrowing_id)
        if undone is None:
            return _json({"error": "not found"}, 404)
        described = await self._parts.explainer.describe(undone, await self._language(user))
        return {"undone": plain_text(described)}

    async def _add_topic(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """Follow one topic (as /subscribe does): what was done, or why not."""
        chat = await self._chat(user, body)
        return await self._subscribe(chat, _topic_text(body), await self._language(user))

    async def _subscribe(self, chat: Chat, wanted: str, language: str) -> web.Response:
        outcome = await self._parts.subscriptions.subscribe(chat.id, wanted)
        if outcome.added:
            return _json({"added": outcome.added[0]})
        if outcome.existing:
            return _json({"error": text("webapp_topic_exists", language)}, 409)
        if outcome.over_limit:
            limit = self._parts.subscriptions.limit
            return _json({"error": text("webapp_topic_limit", language, limit=limit)}, 409)
        refusal = outcome.refused[0]
        message = plain_text(text(f"topic_error_{refusal.code}", language, detail=refusal.detail))
        return _json({"error": message}, 422)

    async def _edit_topic(
        self, request: web.Request, user: WebAppUser, body: dict[str, Any]
    ) -> object:
        """Replace a topic by a new wording; the old one is kept when the new one is refused."""
        chat = await self._chat(user, body)
        subscriptions = self._parts.subscriptions
        old = await subscriptions.unsubscribe_id(chat.id, int(request.match_info["id"]))
        if old is None:
            return _json({"error": "not found"}, 404)
        answer = await self._subscribe(chat, _topic_text(body), await self._language(user))
        if answer.status != 200:  # the old wording stays followed
            await subscriptions.subscribe(chat.id, old.label)
        return answer

    async def _remove_topic(
        self, request: web.Request, user: WebAppUser, body: dict[str, Any]
    ) -> object:
        """Stop following one topic."""
        chat = await self._chat(user, body)
        removed = await self._parts.subscriptions.unsubscribe_id(
            chat.id, int(request.match_info["id"])
        )
        return {"removed": removed.label} if removed else _json({"error": "not found"}, 404)

    async def _follow(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """Follow a place picked from the gazetteer's list (by its code)."""
        chat = await self._chat(user, body)
        code = str(body.get("code", ""))
        if self._parts.gazetteer.by_code(code) is None:
            return _json({"error": "unknown place"}, 422)
        follow = await self._parts.subscriptions.follow_region(chat.id, code)
        return {"key": follow.key, "name": follow.shown, "added": follow.added}

    async def _unfollow(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """Stop following a place or region, by the key the state gave."""
        chat = await self._chat(user, body)
        gone = await self._parts.subscriptions.unfollow_region(chat.id, str(body.get("key", "")))
        return {"removed": gone} if gone else _json({"error": "not found"}, 404)

    async def _provinces(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """The provinces to pick from."""
        return [{"code": p.code, "name": p.name} for p in self._parts.gazetteer.provinces()]

    async def _cities(self, request: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """A province's kabupaten and kota to pick from."""
        children = self._parts.gazetteer.children(request.match_info["code"])
        return [{"code": p.code, "name": p.official} for p in children]

    async def _check(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """Whether a topic is valid (with /subscribe's error and where it is), and how it reads."""
        language = await self._language(user)
        words, _region = split_region(_topic_text(body))
        try:
            query = parse_topic(words)
        except TopicSyntaxError as error:
            message = text(f"topic_error_{error.code}", language, detail=error.detail)
            return {"valid": False, "error": plain_text(message), "position": error.position}
        return {"valid": True, "reading": _reading(query, language)}

    async def _preview(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """The newest stories of the last week the topic would have matched (5 a second)."""
        if not self._rate.allow(user.id, time.monotonic()):
            return _json({"error": "too many previews"}, 429, {"Retry-After": "1"})
        chat = await self._chat(user, body)
        try:
            query = parse_topic(split_region(_topic_text(body))[0])
        except TopicSyntaxError:
            return _json({"error": "invalid topic"}, 422)
        try:
            found = await preview(
                self._parts.search, query, self._parts.clock(), chat.time_zone, user.id
            )
        except SearchBusyError:
            return _json({"error": "busy"}, 429, {"Retry-After": "1"})
        return _preview_json(found)

    async def _settings(self, _: web.Request, user: WebAppUser, body: dict[str, Any]) -> object:
        """Change some of the chat's settings (as the /settings menu does)."""
        chat = await self._chat(user, body)
        wanted = body.get("settings")
        if not isinstance(wanted, dict):
            return _json({"error": "no settings"}, 422)
        try:
            changes = requested_changes(chat, wanted)
        except ValueError as error:
            return _json({"error": f"bad value: {error}"}, 422)
        after = await self._parts.chats.change(chat, changes) if changes else chat
        self._parts.chats.send_what_waited(chat, after)
        return {"settings": settings_of(after)}


def _page_policy(page: bytes) -> str:
    """The page's Content-Security-Policy, allowing its inline script by the script's hash."""
    scripts = [
        base64.b64encode(hashlib.sha256(found).digest()).decode()
        for found in _INLINE_SCRIPT.findall(page)
    ]
    return PAGE_POLICY.format(script="' '".join(f"sha256-{digest}" for digest in scripts))


def _topic_text(body: dict[str, Any]) -> str:
    value = body.get("text", "")
    return value[:200] if isinstance(value, str) else ""


def _reading(query: TopicQuery, language: str) -> list[str]:
    """How a topic is read, as /list says it: the places it names, the other forms it covers."""
    lines = []
    for place in query.places():
        if all(unit.kind == "provinsi" for unit in place.units):
            lines.append(text("list_place_province", language, place=place.name))
        else:
            kinds = text("place_and", language).join(
                dict.fromkeys(text(f"place_kind_{unit.kind}", language) for unit in place.units)
            )
            lines.append(
                text("list_place", language, place=place.name, kinds=kinds, province=place.province)
            )
    covers = query.also_covers()
    if covers:
        lines.append(text("list_also_covers", language, forms=", ".join(covers)))
    return [plain_text(line) for line in lines]


def _page_texts(language: str) -> dict[str, str]:
    return {
        key.removeprefix("webapp_"): message.forms[0]
        for key, message in catalogue(language).items()
        if key.startswith("webapp_") and not message.counted
    }


def _preview_json(found: Preview) -> dict[str, object]:
    return {
        "stories": [
            {
                "title": story.item.title,
                "teaser": story.item.summary[:280],
                "link": story.item.link,
                "source": story.item.source_name,
                "at": story.item.published_at or story.item.fetched_at,
                "title_marks": story.title_marks,
                "teaser_marks": [m for m in story.teaser_marks if m[1] <= 280],
            }
            for story in found.stories
        ],
        "per_day": [{"day": day, "count": count} for day, count in found.per_day],
        "complete": found.complete,
    }


def _json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers)


def _forbidden() -> web.HTTPForbidden:
    return web.HTTPForbidden(
        text=json.dumps({"error": "forbidden"}), content_type="application/json"
    )

"""Plain records that travel between storage and the rest of the bot."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

# Each value is the string the database stores (and its CHECK constraint allows), so a member
# can be bound as a parameter and compared with a column as it is.


class DeliveryStatus(StrEnum):
    """Where an outbox row stands: waiting, or finished one of three ways."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it, or it ran out of attempts
    DROPPED = "dropped"  # never sent: the chat left, or its broadcast was cancelled


class DeliveryMode(StrEnum):
    """How a chat wants its alerts: each at once, or gathered into a digest."""

    INSTANT = "instant"
    HOURLY = "hourly"
    DAILY = "daily"


class TimeZone(StrEnum):
    """The clock a chat reads its digest hour and quiet hours on: Indonesia's three zones."""

    WIB = "WIB"  # UTC+7: Sumatra, Java, West and Central Kalimantan
    WITA = "WITA"  # UTC+8: Bali, Nusa Tenggara, South, East and North Kalimantan, Sulawesi
    WIT = "WIT"  # UTC+9: Maluku and Papua


class BroadcastStatus(StrEnum):
    """Where an operator's broadcast stands."""

    DRAFT = "draft"  # previewed, nothing queued
    SENDING = "sending"
    CANCELLED = "cancelled"
    DISCARDED = "discarded"  # a draft never sent


class FeedAddOutcome(StrEnum):
    """What adding a feed by URL found."""

    ADDED = "added"
    RESTORED = "restored"  # it had been removed
    EXISTS = "exists"


@dataclass(frozen=True, slots=True)
class Chat:
    """A Telegram chat that talks to the bot, and how it wants its alerts."""

    id: int
    type: str
    title: str
    active: bool
    language: str = "id"
    delivery: DeliveryMode = DeliveryMode.INSTANT
    digest_hour: int = 7  # hour of the daily digest, on the chat's clock
    quiet_start: int | None = None  # hour quiet hours begin; None: no quiet hours
    quiet_end: int | None = None
    time_zone: TimeZone = TimeZone.WIB  # the chat's clock, for the hours above and times shown
    link_previews: bool = False
    silent: bool = False
    paused: bool = False
    managed_by: int | None = None  # a channel: the private chat that manages it
    managing: int | None = None  # a private chat: the channel it manages now

    @property
    def is_group(self) -> bool:
        """Whether this is a group or supergroup."""
        return self.type in {"group", "supergroup"}


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic a chat follows, as the reader wrote it, perhaps limited to one region."""

    id: int
    chat_id: int
    text: str
    region: str | None = None

    @property
    def label(self) -> str:
        """How the topic is shown: "banjir @Banten" when limited to a region, "@Buru" for a
        place alone."""
        if not self.region:
            return self.text
        return f"{self.text} @{self.region}" if self.text else f"@{self.region}"


@dataclass(frozen=True, slots=True)
class Feed:
    """A news feed and its HTTP cache and error state."""

    id: int
    url: str
    name: str
    region: str
    etag: str | None
    last_modified: str | None
    last_success_at: float | None
    last_error: str | None
    consecutive_failures: int
    next_fetch_at: float | None
    initialised: bool
    poll_interval: float | None = None  # the interval chosen at its last fetch
    poll_reason: str | None = None  # why (bot.feeds.schedule.Reason)


@dataclass(frozen=True, slots=True)
class Item:
    """A cleaned news item as stored."""

    id: int
    feed_id: int
    title: str
    summary: str
    link: str
    published_at: float | None
    fetched_at: float
    source_name: str
    region: str


@dataclass(frozen=True, slots=True)
class NewItem:
    """A cleaned entry ready to store, with the alerts it should queue if it is new."""

    identity: str
    title: str
    summary: str
    body: str
    link: str
    published_at: float | None
    story_id: int | None = None
    alerts: tuple[tuple[int, tuple[str, ...]], ...] = ()
    places: tuple[str, ...] = ()  # Kemendagri codes of where the story happens
    # Its alerts wait for this article page (stored with the item as a pending article).
    awaits_page: str | None = None


class StoryBook(Protocol):
    """Recent titles by story, kept by a poller: storing items brings it up to date first, with
    every item stored since (by any process), then asks it which story each new item tells."""

    window: float  # seconds a title is remembered

    @property
    def newest_item_id(self) -> int:
        """The id of the newest stored item it has seen (0: none)."""
        ...

    def remember_stored(self, item_id: int, story_id: int, title: str, seen_at: float) -> None:
        """Add a stored item's title (called in the order the items were stored)."""
        ...

    def find_story(self, title: str, now: float) -> int | None:
        """The story id of a recent near-duplicate title, if there is one."""
        ...


@dataclass(frozen=True, slots=True)
class StoredItems:
    """What storing a batch of entries did."""

    new_items: int
    alerts_queued: int
    stories: tuple[tuple[str, int], ...] = ()  # (identity, story id) of each new item
    # Items stored without their search words, the database having refused them (/latest
    # cannot find them; they alert all the same), and items it refused whole: (identity, why).
    unsearchable: tuple[tuple[str, str], ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    pending: tuple[PendingArticle, ...] = ()  # new items whose alerts wait for their page
    # The cluster-wide turn of the store that wrote these items: how long it was held, from the
    # story lock had to the commit, and how long the lock was waited for.
    turn_seconds: float = 0.0
    turn_wait_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class PageWait:
    """Until when stored items wait for their article pages, and which poller fetches them."""

    due_at: float
    owner: int | None


@dataclass(frozen=True, slots=True)
class PendingArticle:
    """A stored item whose alerts wait for its article page until due_at."""

    item_id: int
    feed_id: int
    link: str
    due_at: float


@dataclass(frozen=True, slots=True)
class PendingMatch:
    """A pending article's item matched: its story, its new body (None: the teaser stays, no
    page was had), its title for the search words, the places found and the alerts to queue."""

    item_id: int
    story_id: int
    title: str
    body: str | None
    places: tuple[str, ...]
    alerts: tuple[tuple[int, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class PendingItem:
    """What matching a pending article's item needs: the item as stored, and its feed's region."""

    item_id: int
    feed_id: int
    feed_name: str
    region: str
    story_id: int
    title: str
    teaser: str
    link: str


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A pending message from the outbox: an alert for an item, or a broadcast."""

    id: int
    chat_id: int
    chat_type: str
    attempts: int
    item: Item | None
    topics: tuple[str, ...]
    broadcast_id: int | None
    broadcast_html: str | None
    language: str = "id"
    link_previews: bool = False
    silent: bool = False
    time_zone: TimeZone = TimeZone.WIB
    digest_id: int | None = None
    parts_sent: int = 0  # a digest: parts Telegram already accepted


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    """Outcome counts of a broadcast."""

    id: int
    admin_chat_id: int
    sent: int
    failed: int
    pending: int


class FullTextMode(StrEnum):
    """Whether a feed's items have their article page fetched for matching."""

    AUTO = "auto"  # when the feed sends teasers only
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class FeedSeed:
    """A feed as configured in a feeds file."""

    url: str
    name: str
    region: str
    full_text: FullTextMode = FullTextMode.AUTO


@dataclass(frozen=True, slots=True)
class ArticleSettings:
    """How a feed's article pages are fetched, and what it sent lately to decide by."""

    mode: FullTextMode
    text_lengths: tuple[int, ...]  # the feed's own text of its recent entries, oldest first


@dataclass(frozen=True, slots=True)
class ArticleHealth:
    """How fetching a feed's article pages went, for operators."""

    feed_id: int
    mode: FullTextMode
    failures: int
    last_error: str | None
    last_error_at: float | None


@dataclass(frozen=True, slots=True)
class BroadcastJob:
    """A broadcast and how far its sending got."""

    id: int
    admin_chat_id: int
    text_html: str
    status: BroadcastStatus
    progress_message_id: int | None
    started_at: float | None
    summarised: bool
    sent: int = 0
    failed: int = 0
    pending: int = 0
    recently_done: int = 0  # finished within the last RECENT_SECONDS, for the estimate
    failures: tuple[tuple[str, int], ...] = ()  # (last_error, count) of rows not delivered


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """A feed as operators see it: health and recent volume."""

    id: int
    url: str
    name: str
    region: str
    enabled: bool
    last_success_at: float | None
    last_error: str | None
    consecutive_failures: int
    items_24h: int
    poll_interval: float | None = None  # the interval chosen at its last fetch
    poll_reason: str | None = None  # why (bot.feeds.schedule.Reason)
    next_fetch_at: float | None = None  # None: due now


@dataclass(frozen=True, slots=True)
class FeedAdded:
    """What adding a feed by command did."""

    feed_id: int
    outcome: FeedAddOutcome


@dataclass(frozen=True, slots=True)
class BotStats:
    """The figures of /stats."""

    active_chats: int
    inactive_chats: int
    topics: int
    top_topics: tuple[tuple[str, int], ...]  # (topic as written, chats following it)
    feeds_healthy: int
    feeds_failing: int
    alerts_24h: tuple[int, int]  # (sent, failed)
    alerts_7d: tuple[int, int]
    alerts_per_day: tuple[tuple[str, int, int], ...]  # (YYYY-MM-DD in WIB, sent, failed)


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """A running Warta process, as its heartbeats tell."""

    id: int
    roles: tuple[str, ...]
    host: str
    pid: int
    started_at: float
    heartbeat_at: float


@dataclass(frozen=True, slots=True)
class WorkBacklog:
    """What waits to be done, for `warta status`: messages to send and feeds to fetch."""

    outbox: int  # messages waiting to be sent (as the outbox backlog counts them)
    oldest_pending_at: float | None  # when the oldest of them was queued
    feeds: int  # feeds enabled
    feeds_due: int  # their next fetch time has come
    feeds_overdue: int  # due for longer than one poll interval


class PushStatus(StrEnum):
    """Where a feed's WebSub subscription stands with its hub."""

    WANTED = "wanted"  # the feed names a hub; nobody has asked it yet
    REQUESTED = "requested"  # asked; the hub has not verified our intent yet
    ACTIVE = "active"  # verified: the hub pushes until lease_until
    DENIED = "denied"  # the hub refused (asked again a day later)
    LEAVING = "leaving"  # the feed was removed: unsubscribing


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """A feed's WebSub subscription: where to ask, what to sign with, and until when."""

    feed_id: int
    hub: str
    topic: str
    token: str
    secret: str
    status: PushStatus
    lease_until: float | None
    renew_at: float | None
    feed_enabled: bool

    def pushing(self, now: float) -> bool:
        """Whether the hub pushes the feed's new items now: verified, and its lease not ended."""
        return (
            self.status is PushStatus.ACTIVE
            and self.lease_until is not None
            and self.lease_until > now
        )


@dataclass(frozen=True, slots=True)
class PushDeparture:
    """A hub a feed no longer names, to be told we leave: with the callback token it knows."""

    feed_id: int
    hub: str
    topic: str
    token: str
    lease_until: float  # after this the hub has forgotten the subscription anyway
    renew_at: float | None


class NarrowingKind(StrEnum):
    """How a reader narrowed what reaches a chat ("less like this")."""

    EXCLUDE = "exclude"  # the topic no longer takes items naming a word
    TITLE = "title"  # the topic takes only items whose title carries it
    PLACE = "place"  # the topic takes only items from a place
    FEED = "feed"  # the chat no longer gets a feed's items (no topic)


@dataclass(frozen=True, slots=True)
class Narrowing:
    """One narrowing: of a topic (topic_id), or of the whole chat (a muted feed)."""

    id: int
    chat_id: int
    topic_id: int | None
    kind: NarrowingKind
    value: str  # the word, the place's name or the feed's id; "" for TITLE


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A delivered alert as kept: its item (with the text matched), chat and topics."""

    delivery_id: int
    chat_id: int
    item: Item
    body: str
    topics: tuple[str, ...]
    places: tuple[str, ...]  # codes of where the story happens

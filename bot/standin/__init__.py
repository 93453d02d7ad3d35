"""Test doubles: loopback stand-ins for the Telegram Bot API and for news sites.

They serve the test suite and `warta demo`; the bot never talks to them when it runs for real.
They import neither `handlers` nor `storage`: they know only the protocols they stand in for.
"""

from __future__ import annotations

from .feeds import FeedItem, FeedRequest, FeedServer, render_atom, render_rss
from .hub import HubStandIn, HubSubscription, Verification
from .telegram import (
    ApiError,
    CallbackAnswer,
    RecordedRequest,
    SentMessage,
    TelegramStandIn,
    Upload,
)
from .telegram_html import (
    HtmlEntity,
    ParsedHtml,
    TelegramHtmlError,
    parse_telegram_html,
    parse_telegram_html_entities,
    utf16_length,
)

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "FeedItem",
    "FeedRequest",
    "FeedServer",
    "HtmlEntity",
    "HubStandIn",
    "HubSubscription",
    "ParsedHtml",
    "RecordedRequest",
    "SentMessage",
    "TelegramHtmlError",
    "TelegramStandIn",
    "Upload",
    "Verification",
    "parse_telegram_html",
    "parse_telegram_html_entities",
    "render_atom",
    "render_rss",
    "utf16_length",
]

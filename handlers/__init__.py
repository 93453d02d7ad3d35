"""Chat commands, one module per feature, each with its `register(app)`.

Handlers may import `bot` (never `bot.app`, `bot.demo` or `bot.standin`) and `storage`;
nothing in `bot` but the composition root (`bot/app.py`) imports them.
"""

from __future__ import annotations

from bot.context import WartaApp
from bot.jobs import Periodic
from handlers import (
    broadcast,
    channels,
    errors,
    fallback,
    feeds_admin,
    latest,
    membership,
    readings,
    regions,
    settings,
    start,
    stats,
    topics,
    why,
)

# The scheduler's duties that live with a feature's handlers.
PERIODIC_DUTIES: tuple[Periodic, ...] = (broadcast.PROGRESS,)


def register_handlers(app: WartaApp) -> None:
    """Add every feature's handlers; the fallback goes last so it only sees leftovers."""
    features = (
        start,
        topics,
        regions,
        readings,
        settings,
        channels,
        latest,
        broadcast,
        feeds_admin,
        stats,
        why,
        membership,
        errors,
    )
    for feature in (*features, fallback):
        feature.register(app)

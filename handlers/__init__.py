"""Chat commands, one module per feature."""

from __future__ import annotations

from bot.context import WartaApp
from handlers import (
    admin,
    channels,
    errors,
    fallback,
    latest,
    membership,
    regions,
    settings,
    start,
    topics,
)


def register_handlers(app: WartaApp) -> None:
    """Add every feature's handlers; the fallback goes last so it only sees leftovers."""
    features = (start, topics, regions, settings, channels, latest, admin, membership, errors)
    for feature in (*features, fallback):
        feature.register(app)

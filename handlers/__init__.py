"""Chat commands, one module per feature."""

from __future__ import annotations

from bot.context import WartaApp
from handlers import admin, errors, fallback, latest, membership, start, topics


def register_handlers(app: WartaApp) -> None:
    """Add every feature's handlers; the fallback goes last so it only sees leftovers."""
    for feature in (start, topics, latest, admin, membership, errors, fallback):
        feature.register(app)

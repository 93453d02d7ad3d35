"""Linked channels: Telegram's word that a user still administers one, remembered a minute."""

from __future__ import annotations

ADMIN_CHECK_SECONDS = 60.0  # a demoted administrator keeps control at most this long
PRUNE_ABOVE = 1024  # remembered pairs before expired ones are dropped


class ChannelAdminCache:
    """When each (channel, user) was last confirmed an administrator, by the caller's clock."""

    def __init__(self, seconds: float = ADMIN_CHECK_SECONDS) -> None:
        self._seconds = seconds
        self._confirmed: dict[tuple[int, int], float] = {}

    def confirmed(self, channel_id: int, user_id: int, now: float) -> bool:
        """Whether Telegram confirmed this administrator less than a minute ago."""
        at = self._confirmed.get((channel_id, user_id))
        return at is not None and 0 <= now - at < self._seconds

    def remember(self, channel_id: int, user_id: int, now: float) -> None:
        """Note that Telegram has just confirmed this administrator."""
        if len(self._confirmed) >= PRUNE_ABOVE:
            self._confirmed = {
                pair: at for pair, at in self._confirmed.items() if now - at < self._seconds
            }
        self._confirmed[(channel_id, user_id)] = now

    def forget(self, channel_id: int, user_id: int) -> None:
        """Drop a confirmation (the user was found not to be an administrator)."""
        self._confirmed.pop((channel_id, user_id), None)

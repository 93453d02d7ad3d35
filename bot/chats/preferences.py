"""How a chat wants its alerts: the changes each settings-menu button makes."""

from __future__ import annotations

from bot.i18n import LANGUAGES
from storage.models import Chat, DeliveryMode, TimeZone

DELIVERY_MODES = tuple(DeliveryMode)
DEFAULT_QUIET_HOURS = (22, 6)
# A zone on a button, in the lower case that button data carries.
ZONE_CHOICES = {zone.value.casefold(): zone for zone in TimeZone}


def zone_button_action(zone: TimeZone) -> str:
    """The menu action that puts a chat on a zone's clock, as "zone:wita"."""
    return f"zone:{zone.value.casefold()}"


def setting_changes(chat: Chat, action: str) -> dict[str, object]:
    """The chat fields one menu action changes (empty for an action that changes nothing)."""
    name, _, value = action.partition(":")
    if name == "delivery" and value in DELIVERY_MODES:
        return {"delivery": DeliveryMode(value)}
    if name == "hour" and value in {"-1", "+1"}:
        return {"digest_hour": (chat.digest_hour + int(value)) % 24}
    if name == "quiet":
        if chat.quiet_start is None:
            return {"quiet_start": DEFAULT_QUIET_HOURS[0], "quiet_end": DEFAULT_QUIET_HOURS[1]}
        return {"quiet_start": None, "quiet_end": None}
    if name in {"quiet_start", "quiet_end"} and value in {"-1", "+1"}:
        current = getattr(chat, name)
        if current is None:
            return {}
        return {name: (current + int(value)) % 24}
    if name in {"link_previews", "silent", "paused"}:
        return {name: not getattr(chat, name)}
    if name == "zone" and value in ZONE_CHOICES:
        return {"time_zone": ZONE_CHOICES[value]}
    if name == "language" and value in LANGUAGES:
        return {"language": value}
    return {}

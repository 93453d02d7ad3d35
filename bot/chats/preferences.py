"""How a chat wants its alerts: the changes each settings-menu button makes."""

from __future__ import annotations

from collections.abc import Mapping

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


# The settings the Mini App shows and sets, each with the values it may take.
_FLAGS = ("link_previews", "silent", "paused")
_HOURS = ("digest_hour", "quiet_start", "quiet_end")


def settings_of(chat: Chat) -> dict[str, object]:
    """A chat's settings as plain values (the Mini App's form)."""
    return {
        "language": chat.language,
        "time_zone": chat.time_zone.value,
        "delivery": chat.delivery.value,
        "digest_hour": chat.digest_hour,
        "quiet_start": chat.quiet_start,
        "quiet_end": chat.quiet_end,
        **{flag: getattr(chat, flag) for flag in _FLAGS},
    }


def requested_changes(chat: Chat, wanted: Mapping[str, object]) -> dict[str, object]:
    """The chat fields a form's values change; ValueError naming the first value not allowed.

    Quiet hours are both set or both off (None), as the menu's switch leaves them.
    """
    changes: dict[str, object] = {}
    for name, value in wanted.items():
        changes[name] = _setting(name, value)
    quiet = (changes.get("quiet_start", chat.quiet_start), changes.get("quiet_end", chat.quiet_end))
    if (quiet[0] is None) != (quiet[1] is None):
        raise ValueError("quiet_start")
    current = settings_of(chat)
    return {
        name: value
        for name, value in changes.items()
        if current[name] != (value.value if isinstance(value, TimeZone | DeliveryMode) else value)
    }


def _setting(name: str, value: object) -> object:
    """One setting's value as stored; ValueError naming it when it is not allowed."""
    if name == "language" and value in LANGUAGES:
        return value
    if name == "time_zone" and isinstance(value, str) and value.casefold() in ZONE_CHOICES:
        return ZONE_CHOICES[value.casefold()]
    if name == "delivery" and value in DELIVERY_MODES:
        return DeliveryMode(str(value))
    if name in _FLAGS and isinstance(value, bool):
        return value
    if name in _HOURS and _is_hour(value, optional=name != "digest_hour"):
        return value
    raise ValueError(name)


def _is_hour(value: object, *, optional: bool) -> bool:
    if value is None:
        return optional
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24

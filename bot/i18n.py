"""The message catalogue: every user-facing text, in Indonesian and English (gettext .po files)."""

from __future__ import annotations

import functools
from importlib import resources
from types import MappingProxyType
from typing import Final

from babel.messages.pofile import read_po

LANGUAGES: Final = ("id", "en")
DEFAULT_LANGUAGE: Final = "id"


class MissingMessageError(KeyError):
    """The catalogue has no text for a key in a language."""


@functools.cache
def catalogue(language: str) -> MappingProxyType[str, str]:
    """Every message of one language, read once from its .po file."""
    if language not in LANGUAGES:
        raise MissingMessageError(f"no catalogue for language {language!r}")
    path = resources.files("bot").joinpath("locales", f"{language}.po")
    with path.open("rb") as po_file:
        messages = read_po(po_file, locale=language)
    return MappingProxyType(
        {str(message.id): str(message.string) for message in messages if message.id}
    )


def text(key: str, language: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The message for a key in a language, with its placeholders filled."""
    try:
        template = catalogue(language)[key]
    except KeyError:
        raise MissingMessageError(f"message {key!r} is missing in {language!r}") from None
    return template.format(**values)


def language_for(language_code: str | None) -> str:
    """The catalogue language for a Telegram user's language code: English or Indonesian."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE

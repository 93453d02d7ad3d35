"""The message catalogue: every user-facing text, in Indonesian and English (gettext .po files).

A message that depends on a number has a msgid_plural (its own key again) and one msgstr per
plural form of the language (English two, Indonesian one); the number is its {count}.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES: Final = ("id", "en")
DEFAULT_LANGUAGE: Final = "id"


class MissingMessageError(KeyError):
    """The catalogue has no text for a key in a language."""


@dataclass(frozen=True, slots=True)
class Message:
    """One catalogue entry: its forms (one, or one per plural form) and whether it counts."""

    forms: tuple[str, ...]
    counted: bool


@functools.cache
def _read(language: str) -> Catalog:
    if language not in LANGUAGES:
        raise MissingMessageError(f"no catalogue for language {language!r}")
    path = resources.files("bot").joinpath("locales", f"{language}.po")
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


@functools.cache
def catalogue(language: str) -> MappingProxyType[str, Message]:
    """Every message of one language, read once from its .po file."""
    messages = {}
    for entry in _read(language):
        if not entry.id:
            continue  # the header
        counted = isinstance(entry.id, (tuple, list))
        key = str(entry.id[0] if counted else entry.id)
        strings = entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,)
        messages[key] = Message(tuple(str(form or "") for form in strings), counted)
    return MappingProxyType(messages)


@functools.cache
def _translations(language: str) -> Translations:
    """The catalogue as gettext translations, for the language's plural rule."""
    compiled = io.BytesIO()
    write_mo(compiled, _read(language))
    compiled.seek(0)
    return Translations(compiled)


def text(key: str, language: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The message for a key in a language, in the plural form for its count, filled in."""
    message = catalogue(language).get(key)
    if message is None:
        raise MissingMessageError(f"message {key!r} is missing in {language!r}")
    template = message.forms[0]
    if message.counted:
        count = values.get("count")
        if not isinstance(count, int):
            raise TypeError(f"message {key!r} is counted: it needs an integer count")
        template = _translations(language).ngettext(key, key, count)
    return template.format(**values)


def language_for(language_code: str | None) -> str:
    """The catalogue language for a Telegram user's language code: English or Indonesian."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE

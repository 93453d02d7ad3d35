"""The message catalogue: every key in both languages, every message valid Telegram HTML."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, MissingMessageError, catalogue, language_for, text
from bot.standin.telegram_html import parse_telegram_html

ROOT = Path(__file__).resolve().parents[1]
KEY_IN_CODE = re.compile(r"""\btext\(\s*f?["']([a-z0-9_{}.]+)["']""")
KEY_IN_REPLY = re.compile(r"""\breply\([^)]*?,\s*["']([a-z0-9_]+)["']""")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def keys_used_in_code() -> set[str]:
    keys: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            keys.update(KEY_IN_CODE.findall(source))
            keys.update(KEY_IN_REPLY.findall(source))
    return keys


def test_both_languages_have_exactly_the_same_keys() -> None:
    indonesian, english = (set(catalogue(language)) for language in LANGUAGES)
    assert indonesian - english == set(), "missing in English"
    assert english - indonesian == set(), "missing in Indonesian"


def test_every_key_the_code_uses_exists_in_every_language() -> None:
    used = keys_used_in_code()
    assert "start" in used
    for language in LANGUAGES:
        known = set(catalogue(language))
        for key in used:
            if "{" in key:  # an f-string family such as topic_error_{code}
                prefix = key.split("{")[0]
                assert any(k.startswith(prefix) for k in known), (language, key)
            else:
                assert key in known, (language, key)


@pytest.mark.parametrize("key", sorted(catalogue("id")))
def test_translations_take_the_same_placeholders(key: str) -> None:
    forms = [*catalogue("id")[key].forms, *catalogue("en")[key].forms]
    assert len({frozenset(placeholders(form)) for form in forms}) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_html_telegram_accepts(language: str) -> None:
    for key, message in catalogue(language).items():
        for template in message.forms:
            filled = template.format(**{name: "<b>x</b>" for name in placeholders(template)})
            parse_telegram_html(filled)  # raises with Telegram's reason when it would be refused
            assert filled.strip(), key


@pytest.mark.parametrize("key", sorted(k for k, m in catalogue("en").items() if m.counted))
def test_counted_messages_have_every_plural_form_and_a_count(key: str) -> None:
    english, indonesian = catalogue("en")[key], catalogue("id")[key]
    assert indonesian.counted
    assert len(english.forms) == 2  # one, other
    assert len(indonesian.forms) == 1  # Indonesian nouns do not change with the number
    assert all("count" in placeholders(form) for form in english.forms + indonesian.forms)


def test_english_counts_agree_with_their_nouns() -> None:
    assert text("broadcast_button_send", "en", count=1) == "✅ Send to 1 chat"
    assert text("broadcast_button_send", "en", count=0) == "✅ Send to 0 chats"
    assert text("broadcast_button_send", "en", count=21) == "✅ Send to 21 chats"
    assert text("broadcast_button_send", "id", count=1) == "✅ Kirim ke 1 chat"
    assert text("broadcast_button_send", "id", count=2) == "✅ Kirim ke 2 chat"


def test_a_counted_message_without_a_count_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="digest_header"):
        text("digest_header", "en")


def test_a_missing_key_is_a_clear_error() -> None:
    with pytest.raises(MissingMessageError, match="no_such_key"):
        text("no_such_key", "en")


@pytest.mark.parametrize(
    ("code", "language"),
    [("en", "en"), ("en-GB", "en"), ("id", "id"), ("ms", "id"), (None, "id"), ("", "id")],
)
def test_telegram_language_codes_pick_a_catalogue(code: str | None, language: str) -> None:
    assert language_for(code) == language

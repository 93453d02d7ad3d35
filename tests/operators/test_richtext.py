"""Entities to Telegram HTML: what Telegram parses back is what the admin wrote."""

from __future__ import annotations

import pytest
from telegram import MessageEntity, User

from bot.delivery.richtext import entities_to_html, html_after_command
from bot.standin import parse_telegram_html_entities, utf16_length

TEXT = "Siaga 🌊 banjir: <Serang> & Lebak, lihat peta"


def entity(kind: str, part: str, text: str = TEXT, **extra: object) -> MessageEntity:
    start = utf16_length(text[: text.index(part)])
    return MessageEntity(kind, start, utf16_length(part), **extra)  # type: ignore[arg-type]


Shape = set[tuple[str, int, int, str | None]]


def parsed(entities: list[MessageEntity]) -> Shape:
    """What Telegram makes of the HTML: (type, offset, length, url) of every entity."""
    result = parse_telegram_html_entities(entities_to_html(TEXT, entities))
    assert result.text == TEXT
    return {(e.type, e.offset, e.length, e.url) for e in result.entities}


def wanted(entities: list[MessageEntity]) -> Shape:
    return {(str(e.type), e.offset, e.length, e.url) for e in entities}


@pytest.mark.parametrize(
    "entities",
    [
        [entity("bold", "Siaga 🌊 banjir"), entity("italic", "🌊 banjir")],
        [entity("text_link", "peta", url='https://peta.example/?a=1&b="2"')],
        [entity("code", "<Serang>"), entity("underline", "& Lebak")],
        [entity("strikethrough", "Lebak"), entity("spoiler", "lihat")],
        [entity("blockquote", TEXT), entity("bold", "banjir")],
    ],
    ids=["nested", "link", "code", "strike-spoiler", "quote"],
)
def test_entities_survive_the_trip_through_html(entities: list[MessageEntity]) -> None:
    assert parsed(entities) == wanted(entities)


def test_mentions_pre_and_custom_emoji_become_their_tags() -> None:
    user = User(42, "Budi", is_bot=False)
    html = entities_to_html(
        TEXT,
        [
            entity("text_mention", "Siaga", user=user),
            entity("pre", "lihat peta", language="python"),
            entity("custom_emoji", "🌊", custom_emoji_id="5368324170671202286"),
            entity("hashtag", "banjir"),
        ],
    )
    assert '<a href="tg://user?id=42">Siaga</a>' in html
    assert '<pre><code class="language-python">lihat peta</code></pre>' in html
    assert '<tg-emoji emoji-id="5368324170671202286">🌊</tg-emoji>' in html
    assert "&lt;Serang&gt; &amp; Lebak" in html


def test_overlapping_entities_are_split_into_nested_tags() -> None:
    html = entities_to_html("abcdef", [MessageEntity("bold", 0, 4), MessageEntity("italic", 2, 4)])
    assert html == "<b>ab<i>cd</i></b><i>ef</i>"


@pytest.mark.parametrize(
    "message",
    ["/broadcast Halo", "/broadcast@warta_test_bot Halo", "/broadcast\n\n  Halo"],
)
def test_the_command_and_the_space_after_it_are_cut(message: str) -> None:
    command = message.split()[0]
    entities = [MessageEntity("bot_command", 0, len(command))]
    body_start = utf16_length(message) - utf16_length("Halo")
    entities.append(MessageEntity("bold", body_start, 4))
    assert html_after_command(message, entities) == "<b>Halo</b>"


def test_formatting_that_starts_in_the_command_keeps_only_its_body_part() -> None:
    message = "/broadcast Halo semua"
    entities = [MessageEntity("bot_command", 0, 10), MessageEntity("italic", 0, 15)]
    assert html_after_command(message, entities) == "<i>Halo</i> semua"

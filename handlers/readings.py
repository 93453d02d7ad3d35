"""A topic that is a word and a place's name ("buru"): which of the two the reader means."""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import WartaApp, WartaContext
from bot.i18n import text
from bot.places.gazetteer import Gazetteer, Place
from handlers.replies import (
    BUTTON_CHAT,
    answer_outdated,
    configuring,
    for_chat,
    matched,
    message_of,
    plain_text,
    pressed,
    quote,
    show_on_pressed,
    toast_text,
)
from storage.models import Chat, Topic

READING_PREFIX = "read:"
# Questions asked per /subscribe; a reader who writes more such words is asked at the next.
MAX_ASKED = 3
# The topic asked about, and "w" for the word or the code of the place meant (and the chat).
READING_BUTTON = re.compile(
    rf"^read:(?P<topic>\d{{1,18}}):(?:w|(?P<code>\d{{2}}(?:\.\d{{2}})?)){BUTTON_CHAT}$"
)


def _place_label(gazetteer: Gazetteer, place: Place) -> str:
    """A place as the question offers it: "Kabupaten Buru, Maluku", "Maluku Utara"."""
    if place.kind == "province":
        return place.name
    return f"{place.official}, {gazetteer.places[place.province_code].name}"


def _question(
    gazetteer: Gazetteer, topic: Topic, places: Sequence[Place], target: Chat, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The question about one topic, with a button for the word and one for each place."""
    word = " ".join(topic.text.split())
    data = f"{READING_PREFIX}{topic.id}:"
    rows = [
        [
            InlineKeyboardButton(
                toast_text("reading_word_button", language, word=word),
                callback_data=for_chat(f"{data}w", target),
            )
        ],
        *(
            [
                InlineKeyboardButton(
                    _place_label(gazetteer, place),
                    callback_data=for_chat(f"{data}{place.code}", target),
                )
            ]
            for place in places
        ),
    ]
    return text("reading_ask", language, topic=quote(word)), InlineKeyboardMarkup(rows)


async def ask_readings(
    update: Update,
    context: WartaContext,
    chats: tuple[Chat, Chat],
    asked: Sequence[tuple[Topic, Sequence[Place]]],
) -> None:
    """Ask, for each new topic that is a word and a place's name, which one is meant."""
    chat, target = chats
    for topic, places in asked[:MAX_ASKED]:
        question, buttons = _question(
            context.services.gazetteer, topic, places, target, chat.language
        )
        await message_of(update).reply_text(question, reply_markup=buttons)


@configuring
async def reading_button(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Keep the word or the place the reader pressed, in place of the topic asked about."""
    query = pressed(update)
    button = matched(context)
    chosen = await context.services.subscriptions.choose_reading(
        target.id, int(button["topic"]), button["code"]
    )
    if chosen is None:
        await answer_outdated(query, chat.language)
        return
    old, outcome = chosen
    new = quote(", ".join(outcome.added + outcome.existing))
    done = text("reading_done", chat.language, old=quote(old.label), new=new)
    await show_on_pressed(query, chat.language, message_html=done, toast=plain_text(done))


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CallbackQueryHandler(reading_button, pattern=READING_BUTTON))

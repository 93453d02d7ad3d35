"""/subscribe, /unsubscribe and /list: a chat's topics and regions."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.chats.subscriptions import Refusal, SubscribeOutcome, region_id
from bot.context import WartaApp, WartaContext
from bot.delivery.render import shorten
from bot.i18n import text
from bot.matching import TopicQuery
from bot.matching.readings import Place
from bot.topics.search import and_instead
from handlers.readings import ask_readings
from handlers.regions import pressed_region
from handlers.replies import (
    BUTTON_CHAT,
    LISTED_UNITS,
    command_argument,
    configuring,
    current_chat,
    for_chat,
    listed,
    managed_target,
    matched,
    message_of,
    plain_text,
    pressed,
    quote,
    reply,
    reply_lines,
    show_on_pressed,
    shown,
    target_note,
    toast,
    toast_text,
    web_app_rows,
)
from handlers.why import narrowings_menu
from storage.models import Chat, Topic

UNSUBSCRIBE_PREFIX = "unsub:"
UNFOLLOW_PREFIX = "unfollow:"
AND_PREFIX = "and:"
# New phrases checked for an AND hint per /subscribe: each check is two searches.
MAX_AND_HINTS = 3
# Replace a topic by the AND of its words (and the menu's chat).
AND_BUTTON = re.compile(rf"^and:(?P<topic>\d{{1,18}}){BUTTON_CHAT}$")
# A topic's id or a region's id (and the menu's chat), or (on buttons sent before region ids)
# a region's name.
REMOVAL_BUTTON = re.compile(
    rf"^(?:(?:unsub:(?P<topic>\d{{1,18}})|unfollow:(?P<region>[0-9a-f]{{12}})){BUTTON_CHAT}"
    r"|unreg:(?P<name>.+))$"
)


# Refused topics explained one by one, at most; the rest are counted.
SHOWN_REFUSALS = 10


def describe_refusal(code: str, detail: str, language: str) -> str:
    """The catalogue's explanation of why a topic was refused."""
    return text(f"topic_error_{code}", language, detail=shown(detail))


def describe_outcome(outcome: SubscribeOutcome, limit: int, language: str) -> list[str]:
    """The lines of the reply covering every topic of a /subscribe.

    The added topics are all named (there are at most `limit`); what else the reader wrote, of
    any length, is named as far as a reply has room, and counted beyond.
    """
    lines = []
    if outcome.added:
        added = ", ".join(map(shown, outcome.added))
        lines.append(text("subscribe_added", language, topics=added))
    if outcome.existing:
        existing = listed(outcome.existing, language)
        lines.append(text("subscribe_existing", language, topics=existing))
    refusals = outcome.refused[:SHOWN_REFUSALS]
    lines.extend(_refusal_line(refusal, language) for refusal in refusals)
    if len(outcome.refused) > len(refusals):
        more = len(outcome.refused) - len(refusals)
        lines.append(text("subscribe_refused_more", language, count=more))
    if outcome.over_limit:
        over = listed(outcome.over_limit, language)
        lines.append(text("subscribe_limit", language, limit=limit, topics=over))
    if outcome.added:
        lines.append(text("subscribe_hint_list", language))
    return lines


def _refusal_line(refusal: Refusal, language: str) -> str:
    reason = describe_refusal(refusal.code, refusal.detail, language)
    return text("subscribe_refused", language, topic=shown(refusal.topic), reason=reason)


@configuring
async def subscribe(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Follow one or more comma-separated topics, each perhaps limited to a region."""
    argument = command_argument(update)
    if not argument:
        await reply(update, chat, "subscribe_usage")
        return
    subscriptions = context.services.subscriptions
    outcome = await subscriptions.subscribe(target.id, argument)
    lines = describe_outcome(outcome, subscriptions.limit, chat.language)
    await reply_lines(update, [target_note(chat, target) + lines[0], *lines[1:]])
    await ask_readings(update, context, (chat, target), outcome.asked)
    asked = {topic.id for topic, _ in outcome.asked}
    phrases = [
        (topic, query)
        for topic, query in outcome.new_topics
        if query.as_and() and topic.id not in asked
    ]
    if phrases:
        # Searching takes a moment: the hints follow without holding up other updates.
        hints = _offer_and(update, context, (chat, target), phrases[:MAX_AND_HINTS])
        context.application.create_task(hints, update=update)


async def _offer_and(
    update: Update,
    context: WartaContext,
    chats: tuple[Chat, Chat],
    phrases: list[tuple[Topic, TopicQuery]],
) -> None:
    """Offer the AND form of each new phrase that matched no stored item but whose AND does."""
    chat, target = chats
    language = chat.language
    # One phrase after the other: the reader's own searches wait for one check at most.
    for topic, query in phrases:
        alternative = await and_instead(context.services.search, query, chat.id)
        if alternative is None:
            continue
        button = InlineKeyboardButton(
            toast_text("subscribe_and_button", language, topic=alternative),
            callback_data=for_chat(f"{AND_PREFIX}{topic.id}", target),
        )
        hint = text(
            "subscribe_and_hint",
            language,
            phrase=quote(topic.text),
            alternative=quote(alternative),
        )
        await message_of(update).reply_text(hint, reply_markup=InlineKeyboardMarkup([[button]]))


@configuring
async def and_button(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Replace the pressed topic by the AND of its words."""
    query = pressed(update)
    topic_id = int(matched(context)["topic"])
    replaced = await context.services.subscriptions.join_words(target.id, topic_id)
    if replaced is None:
        await toast(query, chat.language, "unsubscribe_gone")
        return
    old, outcome = replaced
    new = quote(", ".join(outcome.added + outcome.existing))
    done = text("subscribe_and_done", chat.language, old=quote(old.label), new=new)
    await show_on_pressed(query, chat.language, message_html=done, toast=plain_text(done))


@configuring
async def unsubscribe(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Stop following a topic or region, or offer a button for each."""
    argument = command_argument(update)
    if not argument:
        prompt, buttons = await _removal_buttons(context, chat, target)
        await message_of(update).reply_text(prompt, reply_markup=buttons)
        return
    subscriptions = context.services.subscriptions
    removed = await subscriptions.unsubscribe(target.id, argument)
    shown = removed.label if removed else await subscriptions.unfollow_region(target.id, argument)
    key = "unsubscribe_done" if shown else "unsubscribe_missing"
    await reply(update, chat, key, topic=quote(shown or argument[:100]))


@configuring
async def removal_button(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Remove the topic or region whose button was pressed, then refresh the buttons."""
    query = pressed(update)
    button = matched(context)
    removed = await _remove_pressed(
        context, target, button["topic"], button["region"], button["name"]
    )
    if removed is None:
        await toast(query, chat.language, "unsubscribe_gone")
        return
    prompt, buttons = await _removal_buttons(context, chat, target, removed)
    done = toast_text("unsubscribe_toast", chat.language, topic=removed)
    await show_on_pressed(query, chat.language, message_html=prompt, markup=buttons, toast=done)


async def _remove_pressed(
    context: WartaContext,
    target: Chat,
    topic_id: str | None,
    by_id: str | None,
    by_name: str | None,
) -> str | None:
    """Remove the pressed topic (by id) or region; its label, or None if it was gone."""
    subscriptions = context.services.subscriptions
    if topic_id is not None:
        topic = await subscriptions.unsubscribe_id(target.id, int(topic_id))
        return topic.label if topic else None
    name = await pressed_region(context, target, by_id, by_name)
    return await subscriptions.unfollow_region(target.id, name) if name else None


async def _removal_buttons(
    context: WartaContext, chat: Chat, target: Chat, removed: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The removal prompt and one button per remaining topic and region."""
    topics = await context.services.storage.list_topics(target.id)
    regions = await context.services.subscriptions.followed(target.id)
    language = chat.language
    prefix = text("unsubscribe_done", language, topic=quote(removed)) + "\n\n" if removed else ""
    prefix += target_note(chat, target)
    if not topics and not regions:
        return prefix + text("no_topics", language), None
    rows = [
        [
            InlineKeyboardButton(
                f"❌ {topic.label}",
                callback_data=for_chat(f"{UNSUBSCRIBE_PREFIX}{topic.id}", target),
            )
        ]
        for topic in topics
    ]
    rows += [
        [
            InlineKeyboardButton(
                f"❌ 📍 {shown}",
                callback_data=for_chat(f"{UNFOLLOW_PREFIX}{region_id(key)}", target),
            )
        ]
        for key, shown in regions
    ]
    return prefix + text("unsubscribe_choose", language), InlineKeyboardMarkup(rows)


# The other forms /list shows a topic at most, and the room they take on its line.
SHOWN_FORMS = 6
FORMS_UNITS = 60


async def list_topics(update: Update, context: WartaContext) -> None:
    """Show the chat's regions and topics, and the other forms each topic covers."""
    chat = await current_chat(update, context)
    target = await managed_target(update, context, chat)
    if target is None:
        return
    subscriptions = context.services.subscriptions
    described = await subscriptions.topics(target.id)
    regions = [shown for _, shown in await subscriptions.followed(target.id)]
    if not described and not regions:
        await reply(update, chat, "no_topics")
        return
    lines = [target_note(chat, target).rstrip("\n")] if target.id != chat.id else []
    if regions:
        names = html.escape(shorten(", ".join(regions), LISTED_UNITS))
        lines.append(text("list_regions", chat.language, regions=names))
    lines.append(
        text("list_header", chat.language, count=len(described), limit=subscriptions.limit)
    )
    for topic, query in described:
        lines.append(f"• {html.escape(topic.label)}")
        lines.extend(_chosen_reading(subscriptions.chosen_reading(topic), chat.language))
        if query is not None:
            lines.extend(_reading(query, chat.language))
    await reply_lines(update, lines, reply_markup=web_app_rows(context, chat))
    narrowed, undo = await narrowings_menu(context, target, chat.language)
    if undo is not None:
        await message_of(update).reply_text(narrowed, reply_markup=undo)


def _reading(query: TopicQuery, language: str) -> list[str]:
    """How a topic is read: the places it names, and the other forms it also covers."""
    lines = [_place_line(place, language) for place in query.places()]
    covers = query.also_covers()
    if covers:
        lines.append(_covers_line(query, covers, language))
    return lines


def _chosen_reading(chosen: tuple[bool, list[str]], language: str) -> list[str]:
    """Which reading a topic of a word that is also a place's name says it means."""
    is_place, wheres = chosen
    if not wheres:
        return []
    places = html.escape(" / ".join(wheres))
    key = "list_reading_place" if is_place else "list_reading_word"
    return [text(key, language, places=places)]


def _covers_line(query: TopicQuery, covers: list[str], language: str) -> str:
    """A few of the other forms a topic covers, the count of the rest and how to ask for none.

    Short enough that twenty topics with all their forms still fit one message.
    """
    shown = covers[:SHOWN_FORMS]
    while len(shown) > 1 and len(", ".join(shown)) > FORMS_UNITS:
        shown.pop()
    forms = html.escape(shorten(", ".join(shown), FORMS_UNITS))
    rest = len(covers) - len(shown)
    if not rest:
        return text("list_also_covers", language, forms=forms)
    exact = html.escape(shorten(query.exact_form(), FORMS_UNITS))
    return text("list_also_covers_more", language, forms=forms, more=rest, exact=exact)


def _place_line(place: Place, language: str) -> str:
    """The place a topic names ("Batu — kota di Jawa Timur") and how such a word is read."""
    kinds = text("place_and", language).join(
        dict.fromkeys(text(f"place_kind_{unit.kind}", language) for unit in place.units)
    )
    name, province = html.escape(place.name), html.escape(place.province)
    if all(unit.kind == "provinsi" for unit in place.units):
        line = text("list_place_province", language, place=name)
    else:
        line = text("list_place", language, place=name, kinds=kinds, province=province)
    if place.ambiguous:
        line += "\n" + text("list_place_word", language, place=name)
    return line


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["subscribe", "langganan"], subscribe))
    app.add_handler(CommandHandler(["unsubscribe", "berhenti"], unsubscribe))
    app.add_handler(CommandHandler(["list", "topik"], list_topics))
    app.add_handler(CallbackQueryHandler(removal_button, pattern=REMOVAL_BUTTON))
    app.add_handler(CallbackQueryHandler(and_button, pattern=AND_BUTTON))

"""Why an alert came, and "less like this": the alert's button, a 👎 on it, and undoing."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReactionTypeEmoji, Update
from telegram.ext import CallbackQueryHandler, MessageReactionHandler

from bot.chats.explain import Explainer, Explanation, Offer
from bot.context import WartaApp, WartaContext
from bot.i18n import text
from handlers.replies import current_chat, matched, pressed, show_on_pressed, toast_text
from storage.models import Chat, Narrowing, NarrowingKind

WHY_BUTTON = re.compile(r"^why:(?P<alert>\d{1,18})$")
WHY_DIGEST_BUTTON = re.compile(r"^whyd:(?P<digest>\d{1,18})$")
LESS_BUTTON = re.compile(r"^less:(?P<alert>\d{1,18})$")
NARROW_BUTTON = re.compile(r"^nar:(?P<alert>\d{1,18}):(?P<choice>\d{1,2})$")
UNDO_BUTTON = re.compile(r"^unnar:(?P<narrowing>\d{1,18})$")
THUMBS_DOWN = "👎"
# A digest's items listed as buttons, at most (Telegram allows 100 buttons a message).
MAX_DIGEST_BUTTONS = 30
BUTTON_TITLE_CHARS = 60


def explainer(context: WartaContext) -> Explainer:
    """The chat's "why" and narrowings, over the bot's storage and topic index."""
    services = context.services
    return Explainer(services.storage, services.topics, services.clock, services.gazetteer)


async def why_button(update: Update, context: WartaContext) -> None:
    """Answer "why" for the alert whose button was pressed, with a "less like this" button."""
    chat = await current_chat(update, context)
    query = pressed(update)
    alert_id = int(matched(context)["alert"])
    explanation = await explainer(context).explain(chat.id, alert_id)
    await query.answer()
    if explanation is None:
        await context.bot.send_message(chat.id, text("why_gone", chat.language))
        return
    await explainer(context).record_why(explanation)
    less = InlineKeyboardButton(
        toast_text("why_less_button", chat.language), callback_data=f"less:{alert_id}"
    )
    await context.bot.send_message(
        chat.id, why_text(explanation, chat.language), reply_markup=InlineKeyboardMarkup([[less]])
    )


async def why_digest_button(update: Update, context: WartaContext) -> None:
    """List a digest's items, each a button that answers "why" for it."""
    chat = await current_chat(update, context)
    query = pressed(update)
    items = await explainer(context).digest(chat.id, int(matched(context)["digest"]))
    await query.answer()
    if not items:
        await context.bot.send_message(chat.id, text("why_gone", chat.language))
        return
    rows = [
        [InlineKeyboardButton(title[:BUTTON_TITLE_CHARS] or "…", callback_data=f"why:{alert_id}")]
        for alert_id, title in items[:MAX_DIGEST_BUTTONS]
    ]
    await context.bot.send_message(
        chat.id, text("why_digest_choose", chat.language), reply_markup=InlineKeyboardMarkup(rows)
    )


async def less_button(update: Update, context: WartaContext) -> None:
    """Offer the narrowings that would have kept the alert's item out."""
    chat = await current_chat(update, context)
    alert_id = int(matched(context)["alert"])
    explanation = await explainer(context).explain(chat.id, alert_id)
    if explanation is None:
        await show_on_pressed(
            pressed(update), chat.language, message_html=text("why_gone", chat.language)
        )
        return
    prompt, markup = offer_menu(explanation, chat.language)
    await show_on_pressed(pressed(update), chat.language, message_html=prompt, markup=markup)


async def thumbs_down(update: Update, context: WartaContext) -> None:
    """A 👎 on an alert in a private chat opens the same offer as "less like this"."""
    reaction = update.message_reaction
    if reaction is None or reaction.chat.type != "private":
        return
    if not any(
        isinstance(kind, ReactionTypeEmoji) and kind.emoji == THUMBS_DOWN
        for kind in reaction.new_reaction
    ):
        return
    chat = await current_chat(update, context)
    explanation = await explainer(context).explain_message(chat.id, reaction.message_id)
    if explanation is None:
        return  # not an alert, or one no longer kept: a reaction asks nothing of the bot
    prompt, markup = offer_menu(explanation, chat.language)
    await context.bot.send_message(chat.id, prompt, reply_markup=markup)


async def narrow_button(update: Update, context: WartaContext) -> None:
    """Apply the narrowing chosen from the offer."""
    chat = await current_chat(update, context)
    query = pressed(update)
    button = matched(context)
    chosen = explainer(context)
    explanation = await chosen.explain(chat.id, int(button["alert"]))
    offers = Explainer.offers(explanation) if explanation else []
    choice = int(button["choice"])
    if explanation is None or choice >= len(offers):
        await show_on_pressed(query, chat.language, message_html=text("why_gone", chat.language))
        return
    offer = offers[choice]
    added = await chosen.apply(chat.id, offer, explanation)
    described = describe_offer(offer, explanation, chat.language)
    done = text("less_done" if added else "less_already", chat.language, narrowing=described)
    await show_on_pressed(query, chat.language, message_html=done)


async def undo_button(update: Update, context: WartaContext) -> None:
    """Undo a narrowing listed by /list."""
    chat = await current_chat(update, context)
    query = pressed(update)
    undone = await explainer(context).undo(chat.id, int(matched(context)["narrowing"]))
    if undone is None:
        await query.answer(toast_text("undo_gone", chat.language))
        return
    prompt, markup = await narrowings_menu(context, chat, chat.language)
    done = text(
        "undo_done",
        chat.language,
        narrowing=await describe_narrowing(context, undone, chat.language),
    )
    await show_on_pressed(query, chat.language, message_html=f"{done}\n\n{prompt}", markup=markup)


def why_text(explanation: Explanation, language: str) -> str:
    """The answer to "why", as Telegram HTML."""
    item = explanation.alert.item
    lines = [
        text(
            "why_header",
            language,
            title=html.escape(item.title),
            feed=html.escape(item.source_name),
        )
    ]
    for reason in explanation.reasons:
        if reason.topic is None and reason.label.startswith("📍"):
            place = reason.label.removeprefix("📍").strip()
            lines.append(text("why_place", language, place=html.escape(place)))
            continue
        found = "; ".join(
            text(
                "why_word",
                language,
                word=html.escape(word),
                fields=", ".join(text(f"why_field_{name}", language) for name in fields),
            )
            for word, fields in reason.found
        )
        lines.append(
            text("why_topic", language, topic=html.escape(reason.label), found=found or "—")
        )
    return "\n".join(lines)


def offer_menu(explanation: Explanation, language: str) -> tuple[str, InlineKeyboardMarkup]:
    """The "less like this" prompt and a button per narrowing offered."""
    alert_id = explanation.alert.delivery_id
    rows = [
        [
            InlineKeyboardButton(
                describe_offer(offer, explanation, language, plain=True),
                callback_data=f"nar:{alert_id}:{number}",
            )
        ]
        for number, offer in enumerate(Explainer.offers(explanation))
    ]
    return text("less_choose", language), InlineKeyboardMarkup(rows)


def describe_offer(
    offer: Offer, explanation: Explanation, language: str, *, plain: bool = False
) -> str:
    """A narrowing offered, in words (plain for a button, else Telegram HTML)."""
    escape = (lambda value: value) if plain else html.escape
    topic = escape(offer.topic.label) if offer.topic else ""
    if offer.kind == NarrowingKind.FEED:
        key, values = "narrowing_feed", {"feed": escape(explanation.alert.item.source_name)}
    else:
        key, values = f"narrowing_{offer.kind}", {"topic": topic, "value": escape(offer.value)}
    described = text(key, language, **values)
    return html.unescape(described) if plain else described


async def describe_narrowing(context: WartaContext, narrowing: Narrowing, language: str) -> str:
    """A stored narrowing, in words (Telegram HTML)."""
    return await explainer(context).describe(narrowing, language)


async def narrowings_menu(
    context: WartaContext, target: Chat, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The chat's narrowings, for /list, each with an undo button ("" when there are none)."""
    narrowings = await explainer(context).narrowings(target.id)
    if not narrowings:
        return "", None
    rows = []
    for narrowing in narrowings:
        described = html.unescape(await describe_narrowing(context, narrowing, language))
        label = toast_text("undo_button", language, narrowing=described)
        rows.append([InlineKeyboardButton(label, callback_data=f"unnar:{narrowing.id}")])
    return text("list_narrowings", language), InlineKeyboardMarkup(rows)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CallbackQueryHandler(why_button, pattern=WHY_BUTTON))
    app.add_handler(CallbackQueryHandler(why_digest_button, pattern=WHY_DIGEST_BUTTON))
    app.add_handler(CallbackQueryHandler(less_button, pattern=LESS_BUTTON))
    app.add_handler(CallbackQueryHandler(narrow_button, pattern=NARROW_BUTTON))
    app.add_handler(CallbackQueryHandler(undo_button, pattern=UNDO_BUTTON))
    app.add_handler(MessageReactionHandler(thumbs_down))

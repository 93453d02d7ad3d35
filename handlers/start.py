"""/start (with two-tap onboarding) and /help."""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.chats.subscriptions import region_id
from bot.context import WartaApp, WartaContext
from bot.i18n import text
from handlers.regions import REGION_PREFIX
from handlers.replies import (
    answer_outdated,
    configuring,
    current_chat,
    is_admin,
    matched,
    message_of,
    pressed,
    reply,
    toast,
    web_app_rows,
)
from storage.models import Chat

POPULAR_TOPICS = ("Korea Utara", "Ukraina", "Gempa", "Banjir", "Harga beras", "Pilkada")
ONBOARDING_REGIONS = 6
TOPIC_PREFIX = "pick:"  # then the topic's place in POPULAR_TOPICS
# Group 1: the topic's place in POPULAR_TOPICS; group 2: the topic itself, on buttons sent before.
QUICK_PICK = re.compile(r"^(?:pick:(\d{1,2})|sub:(.{1,60}))$")


async def start(update: Update, context: WartaContext) -> None:
    """Register the chat, explain how to subscribe, and offer popular topics and regions."""
    chat = await current_chat(update, context)
    if chat.type != ChatType.PRIVATE:
        await reply(update, chat, "start")
        return
    regions = (await context.services.storage.known_regions())[:ONBOARDING_REGIONS]
    topic_buttons = [
        InlineKeyboardButton(f"✚ {topic}", callback_data=f"{TOPIC_PREFIX}{number}")
        for number, topic in enumerate(POPULAR_TOPICS)
    ]
    region_buttons = [
        InlineKeyboardButton(f"📍 {region}", callback_data=f"{REGION_PREFIX}{region_id(region)}")
        for region in regions
    ]
    rows = [topic_buttons[i : i + 3] for i in range(0, len(topic_buttons), 3)]
    rows += [region_buttons[i : i + 3] for i in range(0, len(region_buttons), 3)]
    greeting = text("start", chat.language) + "\n\n" + text("start_quick_pick", chat.language)
    webapp = context.services.webapp
    if webapp is None and is_admin(update, context):
        greeting += "\n\n" + text("webapp_start_off", chat.language)
    await message_of(update).reply_text(
        greeting, reply_markup=web_app_rows(context, chat, InlineKeyboardMarkup(rows))
    )
    if webapp is not None:
        await _offer_menu_button(context, chat, webapp.url)


async def _offer_menu_button(context: WartaContext, chat: Chat, url: str) -> None:
    """The chat's menu button opens the Mini App, labelled in the chat's language."""
    button = MenuButtonWebApp(text("webapp_menu", chat.language), WebAppInfo(url))
    await context.bot.set_chat_menu_button(chat_id=chat.id, menu_button=button)


@configuring
async def quick_subscribe(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Follow a popular topic with one tap."""
    query = pressed(update)
    topic = _pressed_topic(*matched(context).groups())
    if topic is None:
        await answer_outdated(query, chat.language)
        return
    outcome = await context.services.subscriptions.subscribe(target.id, topic)
    key = "quick_added" if outcome.added else "quick_existing"
    if outcome.over_limit or outcome.refused:
        key = "quick_refused"
    await toast(query, chat.language, key, topic=topic)


def _pressed_topic(number: str | None, named: str | None) -> str | None:
    """The popular topic a button stands for, if it is still one of them."""
    if named is not None:
        return named if named in POPULAR_TOPICS else None
    place = int(number or 0)
    return POPULAR_TOPICS[place] if place < len(POPULAR_TOPICS) else None


async def show_help(update: Update, context: WartaContext) -> None:
    """List the commands (and the admin ones to admins)."""
    chat = await current_chat(update, context)
    extra = text("help_admin", chat.language) if is_admin(update, context) else ""
    await message_of(update).reply_text(text("help", chat.language) + extra)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "bantuan"], show_help))
    app.add_handler(CallbackQueryHandler(quick_subscribe, pattern=QUICK_PICK))

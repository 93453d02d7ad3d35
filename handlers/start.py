"""/start (with two-tap onboarding) and /help."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import WartaApp, WartaContext
from bot.i18n import text
from handlers.regions import REGION_PREFIX
from handlers.replies import configuring_press, current_chat, is_admin, message_of, reply

POPULAR_TOPICS = ("Korea Utara", "Ukraina", "Gempa", "Banjir", "Harga beras", "Pilkada")
ONBOARDING_REGIONS = 6
TOPIC_PREFIX = "sub:"


async def start(update: Update, context: WartaContext) -> None:
    """Register the chat, explain how to subscribe, and offer popular topics and regions."""
    chat = await current_chat(update, context)
    if chat.type != ChatType.PRIVATE:
        await reply(update, chat, "start")
        return
    regions = (await context.services.storage.known_regions())[:ONBOARDING_REGIONS]
    topic_buttons = [
        InlineKeyboardButton(f"✚ {topic}", callback_data=f"{TOPIC_PREFIX}{topic}")
        for topic in POPULAR_TOPICS
    ]
    region_buttons = [
        InlineKeyboardButton(f"📍 {region}", callback_data=f"{REGION_PREFIX}{region}")
        for region in regions
    ]
    rows = [topic_buttons[i : i + 3] for i in range(0, len(topic_buttons), 3)]
    rows += [region_buttons[i : i + 3] for i in range(0, len(region_buttons), 3)]
    await message_of(update).reply_html(
        text("start", chat.language) + "\n\n" + text("start_quick_pick", chat.language),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def quick_subscribe(update: Update, context: WartaContext) -> None:
    """Follow a popular topic with one tap."""
    press = await configuring_press(update, context)
    if press is None:
        return
    query, chat, target = press.query, press.chat, press.target
    topic = press.data.removeprefix(TOPIC_PREFIX)
    outcome = await context.services.subscriptions.subscribe(target.id, topic)
    key = "quick_added" if outcome.added else "quick_existing"
    if outcome.over_limit or outcome.refused:
        key = "quick_refused"
    await query.answer(text(key, chat.language, topic=topic))


async def show_help(update: Update, context: WartaContext) -> None:
    """List the commands (and the admin ones to admins)."""
    chat = await current_chat(update, context)
    extra = text("help_admin", chat.language) if is_admin(update, context) else ""
    await message_of(update).reply_html(text("help", chat.language) + extra)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "bantuan"], show_help))
    app.add_handler(CallbackQueryHandler(quick_subscribe, pattern=r"^sub:.{1,60}$"))

"""/region: follow every new item from a province's feeds."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.chats.preferences import zone_button_action
from bot.chats.subscriptions import region_id
from bot.chats.timezones import zone_to_offer
from bot.context import WartaApp, WartaContext
from bot.delivery.render import shorten
from bot.i18n import text
from bot.wib import utc_offset_hours
from handlers.replies import (
    BUTTON_CHAT,
    LISTED_UNITS,
    answer_outdated,
    command_argument,
    configuring,
    for_chat,
    matched,
    message_of,
    pressed,
    quote,
    reply,
    show_on_pressed,
    shown,
    target_note,
)
from handlers.settings import SETTINGS_PREFIX
from storage.models import Chat

REGION_PREFIX = "region:"
BUTTONS_PER_ROW = 2
# The region's id (and the menu's chat), or the name that buttons sent before ids carry.
REGION_BUTTON = re.compile(
    rf"^(?:region:(?P<id>[0-9a-f]{{12}}){BUTTON_CHAT}|reg:(?P<name>.{{1,60}}))$"
)


async def region_keyboard(context: WartaContext, target: Chat) -> InlineKeyboardMarkup:
    """A button per known region; followed ones are ticked and pressing toggles them."""
    storage = context.services.storage
    followed = set(await storage.chat_regions(target.id))
    buttons = [
        InlineKeyboardButton(
            f"✅ {region}" if region in followed else region,
            callback_data=for_chat(f"{REGION_PREFIX}{region_id(region)}", target),
        )
        for region in await storage.known_regions()
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


@configuring
async def region(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Follow a region by name, or pick regions from buttons."""
    wanted = command_argument(update)
    if not wanted:
        await message_of(update).reply_text(
            target_note(chat, target) + text("region_choose", chat.language),
            reply_markup=await region_keyboard(context, target),
        )
        return
    name, added = await context.services.subscriptions.follow_region(target.id, wanted[:100])
    if name is None:
        known = await context.services.storage.known_regions()
        await reply(
            update,
            chat,
            "region_unknown",
            region=shown(wanted),
            regions=html.escape(shorten(", ".join(known), LISTED_UNITS)),
        )
        return
    await reply(update, chat, "region_added" if added else "region_existing", region=quote(name))
    if added:
        await offer_clock(update, context, chat, target, name)


async def offer_clock(
    update: Update, context: WartaContext, chat: Chat, target: Chat, region: str
) -> None:
    """Offer the clock of the first place a chat follows, with a button, if not the chat's."""
    followed = await context.services.storage.chat_regions(target.id)
    zone = zone_to_offer(target.time_zone, region, followed)
    if zone is None:
        return
    action = for_chat(f"{SETTINGS_PREFIX}{zone_button_action(zone)}", target)
    button = InlineKeyboardButton(
        text("region_zone_button", chat.language, zone=zone.value), callback_data=action
    )
    await message_of(update).reply_text(
        text(
            "region_zone_offer",
            chat.language,
            region=quote(region),
            zone=zone.value,
            offset=utc_offset_hours(zone),
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def pressed_region(
    context: WartaContext, target: Chat, by_id: str | None, by_name: str | None
) -> str | None:
    """The region a button stands for (by id, or by name on older buttons), if still there."""
    subscriptions = context.services.subscriptions
    if by_name is not None:
        return await subscriptions.region_named(target.id, by_name)
    return await subscriptions.region_with_id(target.id, by_id or "")


@configuring
async def toggle_region(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Follow or stop following the pressed region, then tick the buttons again."""
    query = pressed(update)
    button = matched(context)
    wanted = await pressed_region(context, target, button["id"], button["name"])
    if wanted is None:
        await answer_outdated(query, chat.language)
        return
    subscriptions = context.services.subscriptions
    removed = await subscriptions.unfollow_region(target.id, wanted)
    if removed is None:
        name, _ = await subscriptions.follow_region(target.id, wanted)
        if name is None:
            await answer_outdated(query, chat.language)
            return
    key = "region_toast_removed" if removed else "region_toast_added"
    await show_on_pressed(
        query,
        chat.language,
        markup=await region_keyboard(context, target),
        toast=text(key, chat.language, region=removed or wanted),
    )
    if removed is None:
        await offer_clock(update, context, chat, target, wanted)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["region", "wilayah"], region))
    app.add_handler(CallbackQueryHandler(toggle_region, pattern=REGION_BUTTON))

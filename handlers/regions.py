"""/region: follow a province, a kabupaten/kota, or every item of a feed region's media."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.chats.preferences import zone_button_action
from bot.chats.subscriptions import Follow, region_id
from bot.chats.timezones import zone_to_offer
from bot.context import WartaApp, WartaContext
from bot.delivery.render import shorten
from bot.i18n import text
from bot.places.follow import region_place, shown_name, where
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
PLACE_PREFIX = "place:"
PROVINCE_PREFIX = "prov:"
BUTTONS_PER_ROW = 2
PLACES_PER_PAGE = 12
# The region's id (and the menu's chat), or the name that buttons sent before ids carry.
REGION_BUTTON = re.compile(
    rf"^(?:region:(?P<id>[0-9a-f]{{12}}){BUTTON_CHAT}|reg:(?P<name>.{{1,60}}))$"
)
# A place's code, and the page of its province's list the button sits on (none: a choice).
PLACE_BUTTON = re.compile(rf"^place:(?P<code>[0-9.]{{2,8}})(?::(?P<page>\d{{1,2}}))?{BUTTON_CHAT}$")
# A province's page of kabupaten/kota; no code: the provinces.
PROVINCE_BUTTON = re.compile(rf"^prov:(?P<code>[0-9]{{2}})?:(?P<page>\d{{1,2}}){BUTTON_CHAT}$")


def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def _ticked(label: str, followed: bool) -> str:
    return f"✅ {label}" if followed else label


async def region_keyboard(context: WartaContext, target: Chat) -> InlineKeyboardMarkup:
    """The feed regions that name no place (toggled), then the 38 provinces (opened)."""
    services = context.services
    followed = set(await services.storage.chat_regions(target.id))
    gazetteer = services.gazetteer
    buttons = [
        InlineKeyboardButton(
            _ticked(region, region in followed),
            callback_data=for_chat(f"{REGION_PREFIX}{region_id(region)}", target),
        )
        for region in await services.storage.known_regions()
        if region_place(gazetteer, region) is None or region in followed
    ]
    buttons += [
        InlineKeyboardButton(
            _ticked(province.name, province.code in followed),
            callback_data=for_chat(f"{PROVINCE_PREFIX}{province.code}:0", target),
        )
        for province in gazetteer.provinces()
    ]
    return InlineKeyboardMarkup(_rows(buttons))


async def province_keyboard(
    context: WartaContext, target: Chat, code: str, page: int, language: str
) -> InlineKeyboardMarkup:
    """A province (to follow all of it) and one page of its kabupaten/kota."""
    gazetteer = context.services.gazetteer
    followed = set(await context.services.storage.chat_regions(target.id))
    province = gazetteer.places[code]
    children = gazetteer.children(code)
    pages = max(1, -(-len(children) // PLACES_PER_PAGE))
    page = min(page, pages - 1)
    shown = children[page * PLACES_PER_PAGE : (page + 1) * PLACES_PER_PAGE]
    whole = text("region_whole", language, province=province.name)
    rows = [
        [
            InlineKeyboardButton(
                _ticked(whole, code in followed),
                callback_data=for_chat(f"{PLACE_PREFIX}{code}:{page}", target),
            )
        ]
    ]
    rows += _rows(
        [
            InlineKeyboardButton(
                _ticked(shown_name(gazetteer, place), place.code in followed),
                callback_data=for_chat(f"{PLACE_PREFIX}{place.code}:{page}", target),
            )
            for place in shown
        ]
    )
    turns = [
        InlineKeyboardButton(label, callback_data=for_chat(f"{PROVINCE_PREFIX}{code}:{to}", target))
        for label, to in (("◀", page - 1), ("▶", page + 1))
        if 0 <= to < pages
    ]
    back = InlineKeyboardButton(
        text("region_back", language), callback_data=for_chat(f"{PROVINCE_PREFIX}:0", target)
    )
    rows.append([*turns[:1], back, *turns[1:]])
    return InlineKeyboardMarkup(rows)


def choice_keyboard(follow: Follow, context: WartaContext, target: Chat) -> InlineKeyboardMarkup:
    """One button per place a name fits."""
    gazetteer = context.services.gazetteer
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    where(gazetteer, place),
                    callback_data=for_chat(f"{PLACE_PREFIX}{place.code}", target),
                )
            ]
            for place in follow.choices
        ]
    )


@configuring
async def region(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Follow a place or region by name, or pick from buttons."""
    wanted = command_argument(update)
    if not wanted:
        await message_of(update).reply_text(
            target_note(chat, target) + text("region_choose", chat.language),
            reply_markup=await region_keyboard(context, target),
        )
        return
    follow = await context.services.subscriptions.follow_region(target.id, wanted[:100])
    if follow.choices:
        await message_of(update).reply_text(
            text("region_which", chat.language, region=quote(wanted[:100])),
            reply_markup=choice_keyboard(follow, context, target),
        )
        return
    if follow.key is None:
        known = await context.services.storage.known_regions()
        await reply(
            update,
            chat,
            "region_unknown",
            region=shown(wanted),
            regions=html.escape(shorten(", ".join(known), LISTED_UNITS)),
        )
        return
    await reply(update, chat, _followed_key(context, follow), region=quote(follow.shown))
    if follow.added:
        await offer_clock(update, context, chat, target, follow.key, follow.shown)


async def offer_clock(
    update: Update, context: WartaContext, chat: Chat, target: Chat, key: str, name: str
) -> None:
    """Offer the clock of the first place a chat follows, with a button, if not the chat's."""
    followed = await context.services.storage.chat_regions(target.id)
    zone = zone_to_offer(target.time_zone, key, followed)
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
            region=quote(name),
            zone=zone.value,
            offset=utc_offset_hours(zone),
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


def _followed_key(context: WartaContext, follow: Follow) -> str:
    """The message for a follow: of a place, of a feed region, or of one followed already."""
    if not follow.added:
        return "region_existing"
    is_place = context.services.gazetteer.by_code(follow.key or "") is not None
    return "region_place_added" if is_place else "region_added"


async def pressed_region(
    context: WartaContext, target: Chat, by_id: str | None, by_name: str | None
) -> str | None:
    """The region a button stands for (by id, or by name on older buttons), if still there."""
    subscriptions = context.services.subscriptions
    if by_name is not None:
        return await subscriptions.region_named(target.id, by_name)
    return await subscriptions.region_with_id(target.id, by_id or "")


async def _toggle(
    context: WartaContext, target: Chat, wanted: str, language: str
) -> tuple[str, Follow | None] | None:
    """Follow or stop following; the toast saying which and the follow made (None when one
    was stopped), or None if the region is gone."""
    subscriptions = context.services.subscriptions
    removed = await subscriptions.unfollow_region(target.id, wanted)
    if removed is not None:
        return text("region_toast_removed", language, region=removed), None
    follow = await subscriptions.follow_region(target.id, wanted)
    if follow.key is None:
        return None
    return text("region_toast_added", language, region=follow.shown), follow


@configuring
async def toggle_region(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Follow or stop following the pressed region, then tick the buttons again."""
    query = pressed(update)
    button = matched(context)
    wanted = await pressed_region(context, target, button["id"], button["name"])
    toggled = await _toggle(context, target, wanted, chat.language) if wanted else None
    if toggled is None:
        await answer_outdated(query, chat.language)
        return
    toast, follow = toggled
    await show_on_pressed(
        query, chat.language, markup=await region_keyboard(context, target), toast=toast
    )
    if follow is not None and follow.key is not None:
        await offer_clock(update, context, chat, target, follow.key, follow.shown)


@configuring
async def toggle_place(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Follow or stop following the pressed place, then tick its province's page again."""
    query = pressed(update)
    button = matched(context)
    place = context.services.gazetteer.by_code(button["code"])
    toggled = await _toggle(context, target, place.code, chat.language) if place else None
    if place is None or toggled is None:
        await answer_outdated(query, chat.language)
        return
    toast, follow = toggled
    if button["page"] is None:  # a choice between places of one name: say which was taken
        await show_on_pressed(query, chat.language, message_html=html.escape(toast), toast=toast)
    else:
        markup = await province_keyboard(
            context, target, place.province_code, int(button["page"]), chat.language
        )
        await show_on_pressed(query, chat.language, markup=markup, toast=toast)
    if follow is not None and follow.key is not None:
        await offer_clock(update, context, chat, target, follow.key, follow.shown)


@configuring
async def open_province(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Show a province's page of kabupaten/kota, or the provinces again."""
    query = pressed(update)
    button = matched(context)
    code = button["code"]
    if code is None:
        markup = await region_keyboard(context, target)
    elif context.services.gazetteer.by_code(code) is None:
        await answer_outdated(query, chat.language)
        return
    else:
        markup = await province_keyboard(context, target, code, int(button["page"]), chat.language)
    await show_on_pressed(query, chat.language, markup=markup)


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["region", "wilayah"], region))
    app.add_handler(CallbackQueryHandler(toggle_region, pattern=REGION_BUTTON))
    app.add_handler(CallbackQueryHandler(toggle_place, pattern=PLACE_BUTTON))
    app.add_handler(CallbackQueryHandler(open_province, pattern=PROVINCE_BUTTON))

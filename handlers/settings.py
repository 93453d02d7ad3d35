"""/settings, /pause, /resume and /language: how and when a chat gets its alerts."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.chats.preferences import DELIVERY_MODES, setting_changes, zone_button_action
from bot.context import WartaApp, WartaContext
from bot.i18n import LANGUAGES, text
from bot.wib import utc_offset_hours
from handlers.replies import (
    BUTTON_CHAT,
    command_argument,
    configuring,
    for_chat,
    matched,
    message_of,
    pressed,
    quote,
    reply,
    show_on_pressed,
    web_app_rows,
)
from storage.models import Chat, DeliveryMode, TimeZone

SETTINGS_PREFIX = "set:"
# /language's buttons change the chat they are pressed in, as the command does; the settings
# menu's language buttons change the chat the menu configures (a linked channel).
LANGUAGE_BUTTON = re.compile(rf"^lang:(?P<code>{'|'.join(LANGUAGES)})$")
SETTINGS_BUTTON = re.compile(rf"^set:([a-z_]{{1,20}}(?::[-+a-z0-9]{{1,8}})?){BUTTON_CHAT}$")


def _button(label: str, action: str, target: Chat | None = None) -> InlineKeyboardButton:
    """A settings button; with a target, it changes that chat or nothing (see `configuring`)."""
    data = f"{SETTINGS_PREFIX}{action}"
    return InlineKeyboardButton(label, callback_data=for_chat(data, target) if target else data)


def _hour(hour: int) -> str:
    return f"{hour:02d}:00"


def describe_zone(zone: TimeZone, language: str) -> str:
    """A zone with its distance from UTC, as "WITA (UTC+8)"."""
    return text("settings_zone", language, zone=zone.value, offset=utc_offset_hours(zone))


def describe_settings(target: Chat, language: str) -> str:
    """The settings of a chat, one per line."""
    zone = target.time_zone.value
    delivery = text(
        f"settings_delivery_{target.delivery}",
        language,
        hour=_hour(target.digest_hour),
        zone=zone,
    )
    if target.quiet_start is None or target.quiet_end is None:
        quiet = text("settings_quiet_off", language)
    else:
        start, end = _hour(target.quiet_start), _hour(target.quiet_end)
        quiet = text("settings_quiet_on", language, start=start, end=end, zone=zone)
    on, off = text("settings_on", language), text("settings_off", language)
    return text(
        "settings_summary",
        language,
        title=quote(target.title),
        delivery=delivery,
        quiet=quiet,
        zone=describe_zone(target.time_zone, language),
        previews=on if target.link_previews else off,
        silent=on if target.silent else off,
        state=text("settings_paused" if target.paused else "settings_running", language),
        language=text(f"language_name_{target.language}", language),
    )


def settings_keyboard(target: Chat, language: str) -> InlineKeyboardMarkup:
    """Buttons that change each setting; the menu edits itself after every press."""

    def mark(active: bool, label: str) -> str:
        return f"• {label}" if active else label

    def button(label: str, action: str) -> InlineKeyboardButton:
        return _button(label, action, target)

    rows = [
        [
            button(
                mark(target.delivery == mode, text(f"settings_mode_{mode}", language)),
                f"delivery:{mode}",
            )
            for mode in DELIVERY_MODES
        ]
    ]
    if target.delivery == DeliveryMode.DAILY:
        rows.append(
            [
                button("◀", "hour:-1"),
                button(f"{_hour(target.digest_hour)} {target.time_zone.value}", "noop"),
                button("▶", "hour:+1"),
            ]
        )
    rows.append([button(text("settings_button_quiet", language), "quiet")])
    if target.quiet_start is not None and target.quiet_end is not None:
        for field, hour in (("quiet_start", target.quiet_start), ("quiet_end", target.quiet_end)):
            rows.append(
                [
                    button("◀", f"{field}:-1"),
                    button(text(f"settings_{field}", language, hour=_hour(hour)), "noop"),
                    button("▶", f"{field}:+1"),
                ]
            )
    rows.append(
        [
            button(mark(target.time_zone == zone, zone.value), zone_button_action(zone))
            for zone in TimeZone
        ]
    )
    rows.append(
        [
            button(text("settings_button_previews", language), "link_previews"),
            button(text("settings_button_silent", language), "silent"),
        ]
    )
    pause_key = "settings_button_resume" if target.paused else "settings_button_pause"
    rows.append([button(text(pause_key, language), "paused")])
    rows.append(
        [
            button(text(f"language_name_{code}", code), f"language:{code}")
            for code in LANGUAGES
            if code != target.language
        ]
    )
    return InlineKeyboardMarkup(rows)


@configuring
async def show_settings(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Open the settings menu."""
    await message_of(update).reply_text(
        describe_settings(target, chat.language),
        reply_markup=web_app_rows(context, chat, settings_keyboard(target, chat.language)),
    )


@configuring
async def change_setting(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Apply one menu button and redraw the menu in place."""
    query = pressed(update)
    changes = setting_changes(target, matched(context).group(1))
    if not changes:
        await query.answer()
        return
    updated = await context.services.chats.change(target, changes)
    language = updated.language if target.id == chat.id else chat.language
    await show_on_pressed(
        query,
        language,
        message_html=describe_settings(updated, language),
        markup=web_app_rows(context, chat, settings_keyboard(updated, language)),
    )
    context.services.chats.send_what_waited(target, updated)


@configuring
async def pause(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Stop sending alerts, keeping every topic."""
    await context.services.chats.change(target, {"paused": True})
    await reply(update, chat, "paused_done")


@configuring
async def resume(update: Update, context: WartaContext, chat: Chat, target: Chat) -> None:
    """Send alerts again."""
    resumed = await context.services.chats.change(target, {"paused": False})
    await reply(update, chat, "resumed_done")
    context.services.chats.send_what_waited(target, resumed)


@configuring
async def choose_language(update: Update, context: WartaContext, chat: Chat, _: Chat) -> None:
    """Switch the bot's language for this chat: /language en, /bahasa id, or buttons."""
    wanted = command_argument(update).casefold()[:2]
    if wanted not in LANGUAGES:
        buttons = [
            [
                InlineKeyboardButton(
                    text(f"language_name_{code}", code), callback_data=f"lang:{code}"
                )
                for code in LANGUAGES
            ]
        ]
        await message_of(update).reply_text(
            text("language_choose", chat.language), reply_markup=InlineKeyboardMarkup(buttons)
        )
        return
    await context.services.chats.change(chat, {"language": wanted})
    await message_of(update).reply_text(text("language_done", wanted))


@configuring
async def language_button(update: Update, context: WartaContext, chat: Chat, _: Chat) -> None:
    """Switch this chat's language from /language's buttons (the chat itself, like the command)."""
    wanted = matched(context)["code"]
    await context.services.chats.change(chat, {"language": wanted})
    await show_on_pressed(pressed(update), wanted, message_html=text("language_done", wanted))


def register(app: WartaApp) -> None:
    """Add this module's handlers."""
    app.add_handler(CommandHandler(["settings", "atur"], show_settings))
    app.add_handler(CommandHandler(["pause", "jeda"], pause))
    app.add_handler(CommandHandler(["resume", "lanjut"], resume))
    app.add_handler(CommandHandler(["language", "bahasa"], choose_language))
    app.add_handler(CallbackQueryHandler(change_setting, pattern=SETTINGS_BUTTON))
    app.add_handler(CallbackQueryHandler(language_button, pattern=LANGUAGE_BUTTON))

"""The demo reader's side of the chat, printed as the reader would see it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from bot.demo.render import telegram_html_to_text
from bot.standin import SentMessage, TelegramStandIn
from bot.wib import wib

BOT_NAME = "Warta"
PANEL_WIDTH = 76


class Conversation:
    """Types as the reader, through the Bot API stand-in, and prints each message once."""

    def __init__(
        self,
        console: Console,
        telegram: TelegramStandIn,
        chat_id: int,
        reader: str,
        timeout: float,
    ) -> None:
        self._console = console
        self._telegram = telegram
        self._chat_id = chat_id
        self._reader = reader
        self._timeout = timeout
        self._shown = 0

    def narrate(self, line: str) -> None:
        """A line about what happens around the chat."""
        self._console.print()
        self._console.rule(Text(line, style="italic"), style="dim")

    async def say(self, text: str) -> None:
        """Send a message as the reader and show it with the bot's reply."""
        self._show_new()
        self._console.print()
        self._console.print(
            Text.assemble((f"{self._clock()}  ", "dim"), (self._reader, "bold green"), " ▸ ", text)
        )
        self._telegram.user_says(self._chat_id, text, first_name=self._reader)
        await self._next_message()
        self._show_new()

    async def wait_for_alerts(self, titles: Sequence[str]) -> None:
        """Show messages as they arrive until an alert for every title has come."""
        while True:
            self._show_new()
            received = [m.plain_text or "" for m in self._messages()]
            if all(any(title in text for text in received) for title in titles):
                return
            await self._next_message()

    async def _next_message(self) -> None:
        """Wait for a message not shown yet."""
        shown = self._shown
        await self._telegram.wait_for(lambda tg: self._count(tg) > shown, self._timeout)

    def _messages(self) -> list[SentMessage]:
        return self._telegram.messages_to(self._chat_id)

    def _count(self, telegram: TelegramStandIn) -> int:
        return len(telegram.messages_to(self._chat_id))

    def _show_new(self) -> None:
        messages = self._messages()
        for message in messages[self._shown :]:
            self._show(message)
        self._shown = len(messages)

    def _show(self, message: SentMessage) -> None:
        body = telegram_html_to_text(message.text or "")
        buttons = [f"[ {button.get('text', '')} ]" for button in message.buttons]
        content = Group(body, Text("  ".join(buttons), style="cyan")) if buttons else body
        self._console.print(
            Panel(
                content,
                title=f"[bold blue]{BOT_NAME}[/]",
                title_align="left",
                subtitle=f"[dim]{self._clock()} WIB[/]",
                subtitle_align="right",
                border_style="blue",
                width=min(PANEL_WIDTH, self._console.width),
            )
        )

    @staticmethod
    def _clock() -> str:
        return datetime.now(wib()).strftime("%H:%M:%S")

"""What every loopback stand-in shares: `async with` starts it and stops it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Served:
    """A server used as `async with`: started on entry, stopped on exit."""

    async def start(self) -> None:
        """Listen on a random loopback port."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop listening."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

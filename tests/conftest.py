"""Suite-wide settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _telegram_retry_after_as_timedelta() -> Iterator[None]:
    # python-telegram-bot warns when RetryAfter carries seconds as an int; with warnings as
    # errors that warning would replace the RetryAfter the sender must see. Opt in to timedelta.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PTB_TIMEDELTA", "true")
        yield

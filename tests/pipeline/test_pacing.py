"""The sender's pacing: Telegram's rate is used in full, and never exceeded in any second."""

from __future__ import annotations

import bisect

from bot.delivery.pacing import Pacer

OVERSLEEP = 0.004  # what a busy event loop adds to every sleep


class SlowClock:
    """A clock whose sleeps always last a little longer than asked, as real ones do."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + OVERSLEEP


async def turns(pacer: Pacer, clock: SlowClock, count: int) -> list[float]:
    moments = []
    for _ in range(count):
        await pacer.wait()
        moments.append(clock.now)
    return moments


def most_in_one_second(moments: list[float]) -> int:
    return max(bisect.bisect_right(moments, start + 1.0) - i for i, start in enumerate(moments))


async def test_oversleeping_does_not_slow_the_rate_down() -> None:
    clock = SlowClock()
    moments = await turns(Pacer(29.0, clock=clock, sleep=clock.sleep), clock, 291)
    rate = (len(moments) - 1) / (moments[-1] - moments[0])
    # A bucket that restarts from each late wake-up would manage 1 / (1/29 + 0.004) = 26/s.
    assert rate > 28.9


async def test_no_second_ever_holds_more_than_the_rate_allows() -> None:
    clock = SlowClock()
    moments = await turns(Pacer(29.0, clock=clock, sleep=clock.sleep), clock, 300)
    assert most_in_one_second(moments) <= 30


async def test_after_an_idle_spell_there_is_no_burst_to_catch_up() -> None:
    clock = SlowClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    await turns(pacer, clock, 5)
    clock.now += 60.0
    moments = await turns(pacer, clock, 3)
    assert moments[1] - moments[0] >= 0.1
    assert moments[2] - moments[1] >= 0.1 - OVERSLEEP

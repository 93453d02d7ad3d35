"""Scheduled duties, one named JobQueue job each."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from bot.config import Role
from bot.context import WartaApp, WartaContext
from bot.feeds.placing import locate_backlog
from bot.feeds.poller import LOOK_SECONDS

log = logging.getLogger(__name__)

DAY = 24 * 3600
DIGEST_CHECK_SECONDS = 60


Duty = Callable[[WartaContext], Coroutine[Any, Any, None]]
SINGLE: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


@dataclass(frozen=True, slots=True)
class Periodic:
    """A scheduler duty: run every `interval` seconds, first after `first`, by the leader only."""

    duty: Duty
    interval: float
    first: float
    name: str


async def poll_feeds(context: WartaContext) -> None:
    """Look for due feeds and poll them in the background (each feed has its own next poll)."""
    poller = context.services.poller
    if poller is not None:
        poller.look()


async def locate_stored_items(context: WartaContext) -> None:
    """Locate the items stored before places were read (once, at start; a no-op after)."""
    services = context.services
    await locate_backlog(services.storage, services.gazetteer)


async def send_due_digests(context: WartaContext) -> None:
    """Queue the digests that are due."""
    await context.services.digests.run()


async def prune_old_items(context: WartaContext) -> None:
    """Delete items older than the retention period."""
    services = context.services
    cutoff = services.clock() - services.config.retention_days * DAY
    removed = await services.storage.prune_items(cutoff)
    log.info("pruned items removed=%d retention_days=%d", removed, services.config.retention_days)


async def ask_hubs(context: WartaContext) -> None:
    """Start the WebSub requests that are due (new subscriptions, renewals, unsubscriptions)."""
    websub = context.services.websub
    if websub is not None:
        await websub.run_due()


def leader_only(duty: Duty) -> Duty:
    """The duty, done only while this process holds the scheduler lease."""

    async def run(context: WartaContext) -> None:
        if context.services.leads_schedule():
            await duty(context)

    return run


SCHEDULED = (
    Periodic(send_due_digests, DIGEST_CHECK_SECONDS, 5, "digests"),
    Periodic(prune_old_items, DAY, 60, "prune-items"),
)


def schedule_jobs(
    app: WartaApp, roles: Iterable[Role], poll_seconds: float, periodic: Iterable[Periodic] = ()
) -> None:
    """Register what the roles do: the poll (first look right away, then every few seconds,
    at most every poll_seconds), the scheduler's duties."""
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    roles = frozenset(roles)
    if Role.POLLER in roles:
        queue.run_repeating(
            poll_feeds,
            interval=min(poll_seconds, LOOK_SECONDS),
            first=0.1,
            name="poll-feeds",
            job_kwargs=SINGLE,
        )
        queue.run_once(locate_stored_items, when=1, name="locate-stored-items")
    if Role.SCHEDULER in roles:
        # Every scheduler process keeps the jobs; only the lease's holder does the work, so a
        # standby takes over without being restarted.
        for job in (*SCHEDULED, *periodic):
            queue.run_repeating(
                leader_only(job.duty),
                interval=job.interval,
                first=job.first,
                name=job.name,
                job_kwargs=SINGLE,
            )

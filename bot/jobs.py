"""Scheduled duties, one named JobQueue job each."""

from __future__ import annotations

import logging

from bot.context import WartaApp, WartaContext

log = logging.getLogger(__name__)

DAY = 24 * 3600
DIGEST_CHECK_SECONDS = 60


async def poll_feeds(context: WartaContext) -> None:
    """Poll every due feed once."""
    await context.services.poller.poll_once()


async def send_due_digests(context: WartaContext) -> None:
    """Queue the digests that are due."""
    await context.services.digests.run()


async def prune_old_items(context: WartaContext) -> None:
    """Delete items older than the retention period."""
    services = context.services
    cutoff = services.clock() - services.config.retention_days * DAY
    removed = await services.storage.prune_items(cutoff)
    log.info("pruned items removed=%d retention_days=%d", removed, services.config.retention_days)


def schedule_jobs(app: WartaApp, poll_seconds: float) -> None:
    """Register the poll (first run right away) and the daily clean-up."""
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    single = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    queue.run_repeating(
        poll_feeds, interval=poll_seconds, first=0.1, name="poll-feeds", job_kwargs=single
    )
    queue.run_repeating(
        send_due_digests,
        interval=DIGEST_CHECK_SECONDS,
        first=5,
        name="digests",
        job_kwargs=single,
    )
    queue.run_repeating(
        prune_old_items, interval=DAY, first=60, name="prune-items", job_kwargs=single
    )

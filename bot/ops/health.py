"""GET /healthz and /metrics for operators, on WARTA_METRICS_PORT; off when it is not set.

Both name the process's roles and id; health checks only what those roles do (a sender is not
unhealthy because it polls nothing). A process that has the readers' Mini App answers it here
too, under /app/: with long polling this is its only HTTP server.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.config import Config, Role
from bot.ops.heartbeat import Heartbeat
from bot.ops.metrics import Metrics
from bot.ops.serving import ServerLimits
from storage import DATABASE_ERRORS, Storage, StorageClosedError

if TYPE_CHECKING:
    from bot.webapp.routes import MiniApp

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 3.0
# A poll may fail now and then; three poll intervals without one success means trouble.
STALE_POLLS = 3
# What a health check counts as "the database does not answer".
_UNREACHABLE: tuple[type[Exception], ...] = (
    *DATABASE_ERRORS,
    StorageClosedError,
    ValueError,
    TimeoutError,
)


class MonitoringServer:
    """Health and metrics over HTTP, started with the bot and stopped with it."""

    def __init__(self, metrics: Metrics, config: Config) -> None:
        self.metrics = metrics
        self._config = config
        self._storage: Storage | None = None
        self._heartbeat: Heartbeat | None = None
        self._runner: web.AppRunner | None = None

    async def start(
        self, storage: Storage, heartbeat: Heartbeat, webapp: MiniApp | None = None
    ) -> None:
        """Listen on WARTA_LISTEN_ADDRESS:WARTA_METRICS_PORT, if a port is set (with the Mini
        App's page and API under /app/ when given)."""
        port = self._config.metrics_port
        if port is None:
            return
        self._storage = storage
        self._heartbeat = heartbeat
        self.metrics.process_started(heartbeat.roles, heartbeat.host, heartbeat.process_id)
        app = web.Application()
        app.router.add_get("/healthz", self._health)
        app.router.add_get("/metrics", self._exposition)
        limits = ServerLimits()
        if webapp is not None:
            webapp.add_routes(app, limits.body_seconds)
        runner = limits.runner(app)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._config.listen_address, port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("monitoring listening address=%s port=%d", self._config.listen_address, port)

    async def stop(self) -> None:
        """Stop answering; safe to call when it never started."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        backlog = await self._backlog()
        age = self.metrics.seconds_since_poll_success()
        # A quiet feed may be asked only every longest interval: no poll before then is normal.
        limit = STALE_POLLS * self._config.longest_poll
        problems = []
        if backlog is None:
            problems.append("database unreachable")
        if Role.POLLER in self._config.roles and age > limit:
            problems.append(f"no successful poll for {age:.0f}s (limit {limit:g}s)")
        last_success = self.metrics.last_poll_success
        heartbeat = self._heartbeat
        body: dict[str, Any] = {
            "status": "unhealthy" if problems else "ok",
            "roles": sorted(self._config.roles),
            "process_id": heartbeat.process_id if heartbeat else None,
            "host": heartbeat.host if heartbeat else None,
            "database": backlog is not None,
            "last_poll_age_seconds": None if last_success is None else round(age, 1),
            "outbox_backlog": backlog,
            "problems": problems,
        }
        return web.json_response(body, status=503 if problems else 200)

    async def _exposition(self, request: web.Request) -> web.Response:
        body = self.metrics.exposition(await self._backlog())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _backlog(self) -> int | None:
        """The outbox backlog, or None when the database does not answer."""
        if self._storage is None:
            return None
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                return await self._storage.outbox_backlog()
        except _UNREACHABLE as error:
            log.warning("health check: database unreachable error=%s", error)
            return None

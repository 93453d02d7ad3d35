"""The public HTTP server of `warta run --webhook`: Telegram's updates, WebSub callbacks and
the readers' Mini App (bot.webapp, under /app/).

One port behind one reverse proxy: Telegram POSTs updates to WARTA_WEBHOOK_URL's path, hubs call
/websub/<feed id>/<token> on the same host. An update goes onto the application's update queue,
as python-telegram-bot's own webhook server would put it ("custom webhook" in its docs).
"""

from __future__ import annotations

import hmac
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from telegram import Update

from bot.config import Config, WebhookConfig
from bot.context import WartaApp
from bot.ops.serving import ServerLimits, read_body

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


class WebhookServer:
    """Serves the webhook routes while the bot runs; register() tells Telegram the address."""

    def __init__(
        self,
        config: Config,
        webhook: WebhookConfig,
        allowed_updates: Sequence[str] = (),
        limits: ServerLimits | None = None,
    ) -> None:
        self._config = config
        self._limits = limits or ServerLimits()
        self._webhook = webhook
        self._allowed_updates = list(allowed_updates)
        self._runner: web.AppRunner | None = None

    async def start(
        self, app: WartaApp, *, register: bool = True, tls: ssl.SSLContext | None = None
    ) -> None:
        """Listen on WARTA_LISTEN_ADDRESS:WARTA_WEBHOOK_PORT, then give Telegram the address.

        `tls` serves HTTPS itself (the tests'; in production the reverse proxy holds TLS).
        """
        server = web.Application(client_max_size=max(MAX_UPDATE_BYTES, self._max_push_bytes(app)))
        server.router.add_post(self._webhook.path, self._updates_handler(app))
        services = app.bot_data.services
        if services is not None and services.push_receiver is not None:
            services.push_receiver.add_routes(server, self._limits.body_seconds)
        if services is not None and services.webapp is not None:
            services.webapp.add_routes(server, self._limits.body_seconds)
        self._runner = self._limits.runner(server)
        await self._runner.setup()
        await web.TCPSite(
            self._runner, self._config.listen_address, self._webhook.port, ssl_context=tls
        ).start()
        log.info("webhook listening port=%d path=%s", self._webhook.port, self._webhook.path)
        if register:
            await app.bot.set_webhook(
                url=self._webhook.url,
                allowed_updates=self._allowed_updates or None,
                secret_token=self._webhook.secret,
            )

    async def stop(self) -> None:
        """Stop listening (requests in progress get a moment to finish)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def _max_push_bytes(app: WartaApp) -> int:
        services = app.bot_data.services
        if services is None or services.push_receiver is None:
            return 0
        return services.push_receiver.max_bytes

    def _updates_handler(self, app: WartaApp) -> Callable[[web.Request], Awaitable[web.Response]]:
        secret = self._webhook.secret.encode()
        body_seconds = self._limits.body_seconds

        async def receive(request: web.Request) -> web.Response:
            """Queue an update that carries the secret; 403 before reading one that does not."""
            # aiohttp hands header bytes that are not UTF-8 over as surrogates: compare the bytes.
            given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, secret):
                return web.Response(status=403)
            body = await read_body(request, MAX_UPDATE_BYTES, body_seconds)
            try:
                data = json.loads(body)
                update = Update.de_json(data, app.bot) if isinstance(data, dict) else None
            except (ValueError, TypeError, KeyError, AttributeError):
                update = None
            if update is None:
                return web.Response(status=400)
            app.bot.insert_callback_data(update)
            await app.update_queue.put(update)
            return web.Response(status=200)

        return receive

"""The readers' Mini App: one static page and the JSON it reads, on the bot's own server.

Every request carries Telegram's signed initData (initdata.py), checked before anything else is
read; the routes (routes.py) change a chat only through the same domain code as the commands.
The webhook's server answers it (bot.ops.webhook); with long polling, the monitoring server on
WARTA_METRICS_PORT does (bot.ops.health).
May import bot.chats, bot.matching, bot.places and storage models; never handlers.
"""

"""The readers' Mini App: one static page and the JSON it reads, on the webhook's server.

Every request carries Telegram's signed initData (initdata.py), checked before anything else is
read; the routes (routes.py) change a chat only through the same domain code as the commands.
May import bot.chats, bot.matching, bot.places and storage models; never handlers.
"""

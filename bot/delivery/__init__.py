"""Delivery: the outbox drained to Telegram (sender, pacing), messages rendered, digests built.

May import `bot.ops`, the shared vocabulary (`bot.i18n`, `bot.wib`) and `storage`; never
`handlers` or `bot.feeds`.
"""

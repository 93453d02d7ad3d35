"""Feeds: fetch (guarded, bounded) → parse → clean → store, matching and queueing on the way.

May import `bot.matching`, `bot.ops`, the shared vocabulary (`bot.i18n`, `bot.wib`, `bot.config`)
and `storage`; never `handlers` or `bot.delivery`'s sender.
"""

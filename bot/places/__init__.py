"""Where a story happens: the gazetteer of Indonesia and the locator that reads places in items.

A pure library: it may import only the standard library and pyahocorasick; never `storage`,
`handlers`, `bot.feeds` or the bot's delivery. Callers load a `Gazetteer` once and keep it.
"""

from __future__ import annotations

"""Warta: Indonesian regional news alerts on Telegram.

The item's path is the layout: `feeds/` (fetch → parse → clean → store), `matching/` (topics
and search), `delivery/` (queue → send); `chats/` holds what readers set, `ops/` what operators
run, `app.py` wires it all (the only module here that imports `handlers`). Everything in `bot`
may import `storage`, never the other way round.
"""

__version__ = "0.1.0"

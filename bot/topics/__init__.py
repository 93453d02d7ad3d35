"""Topics over storage: the registry of every chat's topics and the search over stored items.

The topic language itself (`bot.matching`) knows no database; this package is where it meets
`storage`. May import `bot.matching`, the shared vocabulary (`bot.i18n`) and `storage`; never
`handlers`, `bot.feeds`, `bot.delivery` or `bot.chats`.
"""

"""Running the bot: logs, metrics, health checks, charts and durations for operators.

May import the shared vocabulary (`bot.i18n`, `bot.config`) and `storage`; never `handlers`.
"""

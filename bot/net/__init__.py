"""Network policy shared by configuration and the feed fetcher: which addresses may be fetched.

Imports nothing of the project, so that `bot.config` may use it without reaching into
`bot.feeds`.
"""

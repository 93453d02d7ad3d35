"""Chats: what readers choose (topics, regions, preferences) and the channels they manage.

May import `bot.matching`, the shared vocabulary and `storage`; never `handlers`.
"""

"""Chats: which chats are served, what readers choose (topics, regions, preferences), channels.

May import `bot.matching`, the shared vocabulary and `storage`; never `handlers`.
"""

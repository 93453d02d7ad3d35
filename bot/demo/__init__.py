"""`warta demo`: the real bot against the loopback stand-ins, shown as a reader's conversation.

May import anything in `bot` (it builds the whole application) but not `handlers` directly.
"""

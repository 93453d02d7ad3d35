"""SQLite storage: schema, migrations and every query the bot makes."""

from storage.db import Storage, StorageClosedError

__all__ = ["Storage", "StorageClosedError"]

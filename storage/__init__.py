"""SQLite storage: schema, migrations and every query the bot makes."""

from storage.db import DatabaseOpenError, Storage, StorageClosedError

__all__ = ["DatabaseOpenError", "Storage", "StorageClosedError"]

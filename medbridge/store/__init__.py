"""Persistence behind one interface; ``open_store(settings)`` picks the backend."""

from __future__ import annotations

from medbridge.errors import ConfigError
from medbridge.settings import MedbridgeSettings
from medbridge.store.base import Change, IngestedFile, Job, Store, StoreStats


def open_store(settings: MedbridgeSettings) -> Store:
    if settings.store.backend == "sqlite":
        from medbridge.store.sqlite import SQLiteStore

        settings.ensure_dirs()
        return SQLiteStore(settings.sqlite_path)
    if settings.store.backend == "postgresql":
        from medbridge.store.postgresql import PostgreSQLStore

        if not settings.store.dsn:
            raise ConfigError('store.backend = "postgresql" needs store.dsn (postgresql://user@host:5432/dbname)')
        settings.ensure_dirs()
        return PostgreSQLStore(settings.store.dsn, pool_size=settings.store.pool_size)
    raise ConfigError(f"unknown store backend {settings.store.backend!r}")


__all__ = ["Store", "StoreStats", "IngestedFile", "Change", "Job", "open_store"]

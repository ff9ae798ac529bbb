"""The service database, under the name the lobby's callers have always imported.

The definitions live in ``smartcounter.database`` (shared by lobby and accounts).
"""

from smartcounter.database import (
    IDLE_PING_SECONDS,
    LOBBY_DB_FILE,
    NAMING_CONVENTION,
    Base,
    Database,
    alembic_config,
    create_db_engine,
    database_url,
    is_sqlite,
    migrate,
    open_database,
    table_of,
)

__all__ = [
    "IDLE_PING_SECONDS",
    "LOBBY_DB_FILE",
    "NAMING_CONVENTION",
    "Base",
    "Database",
    "alembic_config",
    "create_db_engine",
    "database_url",
    "is_sqlite",
    "migrate",
    "open_database",
    "table_of",
]

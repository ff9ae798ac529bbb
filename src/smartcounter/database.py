"""The service database: declarative base, engines for SQLite and PostgreSQL, units of work.

Shared by the lobby, the accounts, the programme and the scorecards; it imports none of
them, so that none of them has to import another for its tables. SQLite is the default (a file in the store folder); a ``postgresql://`` URL in the settings
selects PostgreSQL. Services never commit: whoever opens a unit of work commits it once.
"""

from __future__ import annotations

import enum
import itertools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from smartcounter.settings import Settings

LOBBY_DB_FILE = "lobby.sqlite3"
# Length of ids that come from the bank (branch, staff, customer hash).
ID_LENGTH = 64
IDLE_PING_SECONDS = 10.0

# Every constraint gets a predictable name, so that migrations can drop and alter them
# on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table of the service database (lobby, accounts, programme)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    # StrEnums are stored as their values in plain VARCHAR columns: portable and readable.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        enum.StrEnum: sa.Enum(
            enum.StrEnum,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
    }


def table_of(model: type[Base]) -> sa.Table:
    """The Core table of a mapped class, for statements that skip the ORM's unit of work."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL of the lobby database for these settings."""
    url = settings.database_url
    if not url:
        return f"sqlite:///{Path(settings.store) / LOBBY_DB_FILE}"
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite ``url`` (None: another database, or one in memory)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def database_exists(settings: Settings) -> bool:
    """Whether the lobby database of ``settings`` is there to read: a server is assumed to
    be (connecting tells); a SQLite file must exist (opening it would create it)."""
    file = sqlite_file(database_url(settings))
    return file is None or file.exists()


def create_db_engine(
    url: str,
    *,
    schema: str | None = None,
    pool_size: int = 10,
    idle_ping_seconds: float = IDLE_PING_SECONDS,
) -> Engine:
    """An engine for ``url``; ``schema`` puts a PostgreSQL session's tables in that schema."""
    if url.startswith("sqlite"):
        file = sqlite_file(url)
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            owner_only(file)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    engine = sa.create_engine(
        url, connect_args=connect_args, pool_size=pool_size, max_overflow=pool_size
    )
    _ping_when_idle(engine, idle_ping_seconds)
    return engine


def owner_only(path: Path) -> None:
    """Make the SQLite file (and its WAL files) readable and writable by its owner only.

    It holds customer data: created 0600 before SQLite opens it (SQLite gives its WAL
    and shared-memory files the same mode); an existing one is tightened if we own it.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if existing.stat().st_mode & 0o077:
                existing.chmod(0o600)
        except OSError:  # gone meanwhile, or not ours to change: SQLite says so if it matters
            continue


def _ping_when_idle(engine: Engine, seconds: float) -> None:
    """Test a pooled connection before use when it sat unused for a while.

    After a database restart the pool holds dead connections. ``pool_pre_ping`` would
    test every checkout: a round trip per request. A connection in steady use is alive.
    """

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since > seconds:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except engine.dialect.loaded_dbapi.Error as error:
                # The pool replaces the connection and tries again.
                raise sa.exc.DisconnectionError() from error


def _tune_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event choose the BEGIN flavour (the driver's own
        # implicit BEGIN is always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process; only a power cut can lose the
        # last commits, and FULL would halve ticket throughput.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with
        # SQLITE_BUSY when another writer got in between; IMMEDIATE waits instead.
        flavour = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {flavour}")


def is_sqlite(engine: Engine | Connection) -> bool:
    """True for the SQLite backend."""
    return engine.dialect.name == "sqlite"


@dataclass
class Database:
    """An engine with its session factories: one for changes, one for reading."""

    engine: Engine

    def __post_init__(self) -> None:
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(sqlite_begin="DEFERRED")
        self._read = sessionmaker(reader, expire_on_commit=False)

    def new_session(self, *, write: bool = True) -> Session:
        """A new session; the caller commits or rolls back."""
        return self._write() if write else self._read()

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """A session committed once at the end of the block, rolled back on error."""
        session = self.new_session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def on_commit_changing(
        self, models: tuple[type[Any], ...], callback: Callable[[], None]
    ) -> None:
        """Call ``callback`` after each commit that added, changed or deleted ``models`` objects.

        For caches of what those rows say (the web app's verified logins and devices).
        """
        changed = object()  # this registration's mark in a session's ``info``

        def flushed(session: Session, _context: Any) -> None:
            # Still the state before the flush: what it is about to write.
            if any(
                isinstance(entity, models)
                for entity in itertools.chain(session.new, session.dirty, session.deleted)
            ):
                session.info[changed] = True

        def committed(session: Session) -> None:
            if session.info.pop(changed, False):
                callback()

        def rolled_back(session: Session) -> None:
            session.info.pop(changed, None)

        for factory in (self._write, self._read):
            sa.event.listen(factory, "after_flush", flushed)
            sa.event.listen(factory, "after_commit", committed)
            sa.event.listen(factory, "after_rollback", rolled_back)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_database(settings: Settings, *, migrate_now: bool = True) -> Database:
    """The lobby database of ``settings``, migrated to the newest schema unless told not to.

    A worker keeps a connection for each request it lets read or write at once (twice
    ``database_slots``), and opens as many again for a moment when more are busy (live
    pages polling): a smaller pool would open and close a connection for every busy
    request, each one a new server process for PostgreSQL.
    """
    engine = create_db_engine(database_url(settings), pool_size=2 * settings.lobby.database_slots)
    if migrate_now:
        migrate(engine, customer_key=settings.lobby.customer_key)
    return Database(engine)


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", "smartcounter.lobby:migrations")
    return config


def migrate(engine: Engine, revision: str = "head", *, customer_key: str | None = None) -> None:
    """Bring the database to ``revision`` (the newest by default).

    ``customer_key`` hashes customer numbers stored in clear by older versions (0004);
    without it the migration reads the settings.
    """
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["customer_key"] = customer_key
        command.upgrade(config, revision)

"""The service's database of a store: opened migrated, with the JSON files of old versions in.

The lobby service, the saved pairs and the directors' scores share one database: SQLite
``lobby.sqlite3`` in the store folder by default, PostgreSQL when the settings name one
(``SMARTCOUNTER_DATABASE_URL``). Versions before it kept pairs and scores in JSON files in
the store folder; the first open of the database imports each file whose table is still
empty, in one transaction, and renames it ``*.json.migrated`` once that commits, so that
it is never imported twice.

Code that has only the store (the figures behind the scorecards and the bulletin) reads
through ``reading``, which finds the database the way the command line does: from the
store's settings.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

from smartcounter.lobby.database import (
    Database,
    alembic_config,
    create_db_engine,
    database_url,
    migrate,
    open_database,
)
from smartcounter.settings import Settings, load_settings
from smartcounter.store.layout import Store

MIGRATED_SUFFIX = ".migrated"
# The old JSON files, relative to the store folder (their modules name them too).
LEGACY_FILES = ("programme/pairs.json", "scorecard/director_scores.json")
READER_POOL = 2
READERS_KEPT = 4


def migrated_name(path: Path) -> Path:
    """Where an imported JSON file goes: ``pairs.json`` → ``pairs.json.migrated``."""
    return path.with_name(path.name + MIGRATED_SUFFIX)


def retire_on_commit(session: Session, path: Path) -> None:
    """Rename ``path`` to ``*.migrated`` when ``session`` commits; keep it if it rolls back.

    After the commit, not before: a crash in between leaves the file and its rows both,
    and a file whose table is not empty is never imported again. Renamed before, a failed
    commit would lose the file's content from the service's sight.
    """

    def committed(_session: Session) -> None:
        sa.event.remove(session, "after_soft_rollback", rolled_back)
        if path.exists():
            path.replace(migrated_name(path))

    def rolled_back(_session: Session, previous: SessionTransaction) -> None:
        if previous.nested:
            return  # a savepoint's rollback: the import is still in the transaction
        sa.event.remove(session, "after_commit", committed)
        sa.event.remove(session, "after_soft_rollback", rolled_back)

    sa.event.listen(session, "after_commit", committed, once=True)
    sa.event.listen(session, "after_soft_rollback", rolled_back)


def import_legacy_state(session: Session, store: Store) -> None:
    """Import the store's old JSON files into their tables if those are empty (no commit)."""
    # Imported here: those modules read through this one.
    from smartcounter.programme.repository import import_legacy_pairs
    from smartcounter.scorecard.director_scores import import_legacy_scores

    importers: tuple[Callable[[Session, Store], Path | None], ...] = (
        import_legacy_pairs,
        import_legacy_scores,
    )
    for importer in importers:
        imported = importer(session, store)
        if imported is not None:
            retire_on_commit(session, imported)


def has_legacy_state(store: Store) -> bool:
    """True when an old JSON file is still waiting in the store folder."""
    return any((store.root / name).exists() for name in LEGACY_FILES)


def open_store_database(settings: Settings, store: Store) -> Database:
    """The database of ``settings`` migrated to the newest schema, the store's old files in."""
    database = open_database(settings)
    try:
        if has_legacy_state(store):
            with database.unit_of_work() as session:
                import_legacy_state(session, store)
    except BaseException:
        database.dispose()
        raise
    return database


@contextmanager
def store_unit_of_work(settings: Settings, store: Store) -> Iterator[Session]:
    """A session on the store's database, committed once if the block succeeds.

    For a command or a script that changes pairs or scores: the change and its audit
    entry are committed together, or neither.
    """
    database = open_store_database(settings, store)
    try:
        with database.unit_of_work() as session:
            yield session
    finally:
        database.dispose()


# -- reading with only the store ---------------------------------------------------------


class _Readers:
    """One engine per database for this process's readers, as SQLAlchemy intends.

    A reader opened per call would pay a new connection (a server process on PostgreSQL)
    and a schema check on every read of the pairs or scores. A few are kept, the oldest
    closed, so that a process going through many stores (the tests) does not hoard them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict[str, Database] = OrderedDict()

    def get(self, url: str) -> Database:
        with self._lock:
            database = self._open.get(url)
            if database is not None:
                self._open.move_to_end(url)
                return database
            database = Database(create_db_engine(url, pool_size=READER_POOL))
            try:
                if not at_head(database.engine):
                    migrate(database.engine)
            except BaseException:
                database.dispose()
                raise
            self._open[url] = database
            while len(self._open) > READERS_KEPT:
                _url, oldest = self._open.popitem(last=False)
                oldest.dispose()
            return database


_readers = _Readers()


def at_head(engine: Engine) -> bool:
    """True when the database's schema is the newest (checked without taking a write lock)."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.execution_options(sqlite_begin="DEFERRED").connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def store_database_url(store: Store) -> str:
    """The URL of the store's database, found the way the command line finds it."""
    return database_url(load_settings(store=store.root))


@contextmanager
def reading(store: Store) -> Iterator[Session | None]:
    """A read-only session on the store's database; None while the store has none yet.

    An SQLite store that never had a database gets none from being read: nothing was
    saved, and reading leaves the store folder as it was.
    """
    url = store_database_url(store)
    waiting = has_legacy_state(store)
    if url.startswith("sqlite") and not waiting and not _sqlite_file(url).exists():
        yield None
        return
    database = _readers.get(url)
    if waiting:
        with database.unit_of_work() as session:
            import_legacy_state(session, store)
    with database.unit_of_work(write=False) as session:
        yield session


def _sqlite_file(url: str) -> Path:
    return Path(sa.make_url(url).database or "")

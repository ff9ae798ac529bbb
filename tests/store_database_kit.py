"""The store's database on each backend, for the tests of state kept in it (pairs, scores).

SQLite is the store folder's own ``lobby.sqlite3``; PostgreSQL is a fresh schema of the
test database (the lobby tests' ``PostgresSchema``), named in ``SMARTCOUNTER_DATABASE_URL``
so that the command line and the readers that have only the store find it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from smartcounter.accounts.roles import system_actor
from smartcounter.lobby.database import Database
from smartcounter.programme.repository import SavedPair
from smartcounter.programme.service import PairingReport, save_pairs
from smartcounter.scorecard.director_scores import ScoresImport, import_scores
from smartcounter.settings import load_settings
from smartcounter.store.layout import Store
from smartcounter.store_database import open_store_database, store_unit_of_work
from tests.lobby.testkit import PostgresSchema, need_postgres

TESTER = system_actor("tester")
NOW = datetime(2018, 4, 2, 2, 0, 0)  # naive UTC, as the database keeps time
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The backend's name; for PostgreSQL, its schema is in the environment until the end."""
    monkeypatch.delenv("SMARTCOUNTER_DATABASE_URL", raising=False)
    monkeypatch.delenv("SMARTCOUNTER_CONFIG", raising=False)
    if request.param == "sqlite":
        yield "sqlite"
        return
    schema = PostgresSchema(need_postgres())
    # The schema as the first of the search path of every connection of the URL.
    monkeypatch.setenv(
        "SMARTCOUNTER_DATABASE_URL", f"{schema.url}?options=-csearch_path%3D{schema.name}"
    )
    try:
        yield "postgres"
    finally:
        schema.drop()


def open_database_of(store: Store) -> Database:
    """The store's database as the command line opens it: migrated, old JSON files in."""
    return open_store_database(load_settings(store=store.root), store)


def import_scores_file(store: Store, path: Path, quarter: str | None = None) -> ScoresImport:
    """Import a CSV of director scores as the command does: committed, audited."""
    with store_unit_of_work(load_settings(store=store.root), store) as session:
        return import_scores(
            session=session, store=store, path=path, quarter=quarter, actor=TESTER, now=NOW
        )


def save_pairs_of(store: Store, report: PairingReport) -> list[SavedPair]:
    """Save a pairing report's proposed pairs as ``pairs --save`` does: committed, audited."""
    with store_unit_of_work(load_settings(store=store.root), store) as session:
        return save_pairs(session=session, store=store, report=report, actor=TESTER, now=NOW)

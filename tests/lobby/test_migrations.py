"""The Alembic migrations: 0002 (pairs, director scores) upgrades from 0001 and back down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from testkit import BACKENDS, PostgresSchema, need_postgres

# Every model module, for their tables on Base.metadata.
import smartcounter.accounts.models
import smartcounter.lobby.models
import smartcounter.programme.models
import smartcounter.scorecard.models  # noqa: F401
from smartcounter.lobby.database import Base, alembic_config, create_db_engine, migrate

NEW_TABLES = {"programme_pairs", "director_scores"}


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database on each backend (not migrated)."""
    if request.param == "sqlite":
        created = create_db_engine(f"sqlite:///{tmp_path / 'lobby.sqlite3'}")
        yield created
        created.dispose()
        return
    schema = PostgresSchema(need_postgres())
    created = schema.engine()
    try:
        yield created
    finally:
        created.dispose()
        schema.drop()


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class TestPairsAndDirectorScores:
    def test_upgrades_a_0001_database_with_data_and_downgrades(self, engine: Engine) -> None:
        migrate(engine, "0001")
        assert not NEW_TABLES & tables(engine)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO audit_log (ts, actor, action) VALUES (:ts, 'system:old', 'x')"
                ),
                {"ts": datetime(2018, 3, 1)},
            )
        migrate(engine, "0002")
        assert revision(engine) == "0002"
        assert tables(engine) >= NEW_TABLES
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT actor FROM audit_log")).scalar() == (
                "system:old"
            )
        downgrade(engine, "0001")
        assert revision(engine) == "0001"
        assert not NEW_TABLES & tables(engine)
        assert "audit_log" in tables(engine)
        migrate(engine)  # and up again
        assert tables(engine) >= NEW_TABLES

    def test_the_newest_schema_is_what_the_models_declare(self, engine: Engine) -> None:
        migrate(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []

    def test_a_lagging_branch_has_one_open_pair_in_the_database_too(self, engine: Engine) -> None:
        migrate(engine)
        insert = sa.text(
            "INSERT INTO programme_pairs (pair_id, branch_id, partner_branch_id, start_week,"
            " end_week, similarity, why, created_at)"
            " VALUES (:id, 'L1', 'A1', :start, :end, 0.5, '[]', :at)"
        )
        at = datetime(2018, 3, 1)
        with engine.begin() as connection:
            connection.execute(insert, {"id": 1, "start": "2018-W10", "end": "2018-W11", "at": at})
            connection.execute(insert, {"id": 2, "start": "2018-W12", "end": None, "at": at})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"id": 3, "start": "2018-W13", "end": None, "at": at})


class TestIdempotentAnswersKeyed:
    def test_0006_deletes_the_answers_kept_with_plain_hashes(self, engine: Engine) -> None:
        migrate(engine, "0005")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO idempotent_answers (key, request_hash, status_code, body,"
                    " created_at) VALUES ('tablet-key-0001', :h, 201, '{}', :at)"
                ),
                {"h": "0" * 64, "at": datetime(2018, 3, 1)},
            )
        migrate(engine, "0006")
        with engine.connect() as connection:
            left = connection.execute(sa.text("SELECT count(*) FROM idempotent_answers"))
            assert left.scalar() == 0
        downgrade(engine, "0005")
        assert revision(engine) == "0005"

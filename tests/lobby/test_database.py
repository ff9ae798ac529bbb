"""The lobby database's engines: pooled PostgreSQL connections survive a server restart."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from testkit import PostgresSchema, need_postgres

from smartcounter.lobby.database import create_db_engine


@pytest.mark.postgres
class TestPool:
    def test_a_connection_killed_while_idle_is_replaced_not_handed_out(self) -> None:
        schema = PostgresSchema(need_postgres())
        engine = create_db_engine(schema.url, schema=schema.name, idle_ping_seconds=0.0)
        try:
            with engine.connect() as connection:
                pid = connection.exec_driver_sql("select pg_backend_pid()").scalar_one()
            with schema.admin.connect() as admin:
                admin.execute(sa.text("select pg_terminate_backend(:pid)"), {"pid": pid})
            with engine.connect() as connection:
                again = connection.exec_driver_sql("select pg_backend_pid()").scalar_one()
            assert again != pid
        finally:
            engine.dispose()
            schema.drop()

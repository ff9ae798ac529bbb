"""Migration 0003: failed-login counts, and one account per member of staff."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from smartcounter.lobby.database import create_db_engine, migrate


class TestOneAccountPerStaffMember:
    def test_accounts_sharing_a_staff_id_keep_it_on_the_oldest(self, tmp_path: Path) -> None:
        engine = create_db_engine(f"sqlite:///{tmp_path / 'lobby.sqlite3'}")
        try:
            migrate(engine, "0002")
            insert = sa.text(
                "INSERT INTO users (id, username, password_hash, role, branch_id, staff_id,"
                " active, created_at) VALUES (:id, :name, 'x', 'teller', NULL, :staff, 1, :at)"
            )
            at = datetime(2026, 12, 1)
            with engine.begin() as connection:
                for user_id, name, staff in ((1, "a", "S1"), (2, "b", "S1"), (3, "c", None)):
                    connection.execute(
                        insert, {"id": user_id, "name": name, "staff": staff, "at": at}
                    )
            migrate(engine)
            with engine.connect() as connection:
                links = connection.execute(
                    sa.text("SELECT username, staff_id FROM users ORDER BY id")
                ).all()
                unlinked = (
                    connection.execute(
                        sa.text("SELECT target FROM audit_log WHERE action = 'user.staff_unlinked'")
                    )
                    .scalars()
                    .all()
                )
                tables = sa.inspect(connection).get_table_names()
            assert links == [("a", "S1"), ("b", None), ("c", None)]
            assert unlinked == ["b"]
            assert "login_throttle" in tables
        finally:
            engine.dispose()

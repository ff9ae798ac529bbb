"""Alembic environment of the service database (lobby, accounts, pairs, director scores).

Run through ``smartcounter.database.migrate``, which hands over a connection; the
``alembic`` command works too with ``-x url=...``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

# Imported for their side effect: they register the tables on Base.metadata.
import smartcounter.accounts.models
import smartcounter.lobby.models
import smartcounter.programme.models
import smartcounter.publish.models
import smartcounter.scorecard.models  # noqa: F401
from smartcounter.database import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Write the SQL instead of running it."""
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite://")
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the connection given by ``migrate``, or a URL given with ``-x url=``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True)["url"]
    engine = sa.create_engine(url)
    with engine.begin() as own:
        context.configure(connection=own, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Alembic environment: the URL comes from the caller (api.cli) or DATABASE_URL."""

import os

from alembic import context

from api.db.models import Base
from api.db.session import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # batch mode rebuilds tables (copy, drop, rename): with foreign keys on, dropping
            # the old firms table would cascade-delete every recommendation and feedback row
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end the implicit transaction so Alembic's own one commits
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()

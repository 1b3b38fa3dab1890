"""The database a test module runs on: SQLite in a temp folder, or a fresh
database on the PostgreSQL server at TEST_DATABASE_URL (CI sets it)."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text


def fresh_database_url(tmp_path_factory, prefix: str = "t") -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path_factory.mktemp(prefix + 'db') / 'test.db'}"
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"  # one throwaway database per module on the server
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"

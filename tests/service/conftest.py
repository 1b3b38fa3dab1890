"""API fixtures: a fresh migrated database per test module (SQLite by default,
PostgreSQL when TEST_DATABASE_URL is set), two tenants with keys."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from api import create_app
from api.cli import alembic_config
from api.keys import create_key
from alembic import command


def _database_url(tmp_path_factory) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    # one throwaway schema-free database per module on the PostgreSQL server
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "API_RATE_LIMIT": "1000 per minute",
                      "AUTH_FAILURE_RATE_LIMIT": "100000 per minute"})
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture(scope="module")
def keys(app):
    out = {}
    with app.extensions["db_sessions"]() as s:
        for name, tenant, scope in (("a", "CCIAA Prato", "write"), ("b", "CCIAA Modena", "write"),
                                    ("a_read", "CCIAA Prato", "read")):
            out[name] = {"X-API-Key": create_key(s, tenant, scope)[0]}
    return out


@pytest.fixture()
def client(app):
    return app.test_client()



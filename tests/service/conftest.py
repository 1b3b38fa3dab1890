"""API fixtures: a fresh migrated database per test module (SQLite by default,
PostgreSQL when TEST_DATABASE_URL is set), two tenants with keys."""

import pytest
from databases import fresh_database_url

from api import create_app
from api.cli import alembic_config
from api.keys import create_key
from alembic import command


def _database_url(tmp_path_factory) -> str:
    return fresh_database_url(tmp_path_factory, "t")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "API_RATE_LIMIT": "1000 per minute",
                      "AUTH_FAILURE_RATE_LIMIT": "100000 per minute",
                      "JOBS_DIR": str(tmp_path_factory.mktemp("jobs"))})  # uploads never land in instance/
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



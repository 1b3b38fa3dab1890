"""Web app fixtures: a fresh migrated database per module (SQLite, or
PostgreSQL when TEST_DATABASE_URL is set), two
Chambers with one user each, and a signed-in test client."""

import pytest
from alembic import command
from webclient import PASSWORDS, Browser, database_url

from api import create_app
from api.auth.users import create_user
from api.cli import alembic_config


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    url = database_url(tmp_path_factory)
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "API_RATE_LIMIT": "1000 per minute",
                      "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.extensions["db_sessions"]() as s:
        for email, (tenant, pw) in PASSWORDS.items():
            create_user(s, tenant, email, password=pw)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture()
def prato(app):
    return Browser(app.test_client()).login("a@prato.example")


@pytest.fixture()
def modena(app):
    return Browser(app.test_client()).login("b@modena.example")

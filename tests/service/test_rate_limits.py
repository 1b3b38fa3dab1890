"""Rate limits: per verified tenant key, failed attempts per client address,
batch cost by rows, and a store shared by workers (Redis)."""

import os
import uuid

import pytest
from alembic import command

from api import create_app
from api.cli import alembic_config
from api.keys import create_key

PROFILE = {"ateco": "23.31", "province": "MO", "maturity_level": 2}
V1 = "/api/v1"


def _app(tmp_path, **config):
    url = f"sqlite:///{tmp_path / 'rl.db'}"
    command.upgrade(alembic_config(url), "head")
    return create_app({"TESTING": True, "DATABASE_URL": url, **config})


def test_wrong_secret_with_a_tenants_prefix_does_not_lock_the_tenant_out(tmp_path):
    app = _app(tmp_path, API_RATE_LIMIT="5 per minute", AUTH_FAILURE_RATE_LIMIT="5 per minute")
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "read")[0]
    prefix = key.split(".", 1)[0]
    attacker = app.test_client()
    codes = [attacker.get(f"{V1}/feedback", headers={"X-API-Key": f"{prefix}.wrong-secret"},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(12)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}  # the attacker's address is limited
    owner = app.test_client()
    r = owner.get(f"{V1}/feedback", headers={"X-API-Key": key}, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert r.status_code == 200  # the real key is untouched
    # the same address with a valid key is counted on the tenant, not on the failures
    r = attacker.get(f"{V1}/feedback", headers={"X-API-Key": key}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert r.status_code == 200


def test_batch_costs_its_rows(tmp_path):
    app = _app(tmp_path, API_RATE_LIMIT="100 per minute", BATCH_ROWS_PER_HIT=1)
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "T", "read")[0]
    c = app.test_client()
    r = c.post(f"{V1}/recommendations/batch?k=1", json={"firms": [PROFILE] * 60}, headers={"X-API-Key": key})
    assert r.status_code == 200
    assert int(r.headers["X-RateLimit-Remaining"]) == 40
    r = c.post(f"{V1}/recommendations/batch?k=1", json={"firms": [PROFILE] * 60}, headers={"X-API-Key": key})
    assert r.status_code == 429 and r.content_type == "application/problem+json"


def _redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide TEST_REDIS_URL (.ci/run starts redis-server)")
        pytest.skip("TEST_REDIS_URL not set")
    import redis
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {url}: {exc}")
    return url


def test_redis_store_is_shared_by_workers(tmp_path):
    """Two apps stand for two gunicorn workers: with redis:// they count together."""
    url = _redis_url()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    command.upgrade(alembic_config(db), "head")
    config = {"TESTING": True, "DATABASE_URL": db, "API_RATE_LIMIT": "4 per minute",
              "RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix}
    w1, w2 = create_app(config), create_app(config)
    with w1.extensions["db_sessions"]() as s:
        key = create_key(s, "T", "read")[0]
    clients = [w1.test_client(), w2.test_client()]
    codes = [clients[i % 2].get(f"{V1}/feedback", headers={"X-API-Key": key}).status_code for i in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]


def test_revoked_key_stops_working_within_the_cache_bound(tmp_path):
    """Verified keys are remembered for API_KEY_CACHE_SECONDS; after that a
    revoked key is refused (0 = refused at once)."""
    import time
    from datetime import datetime, timezone

    from sqlalchemy import select

    from api.db.models import ApiKey

    for ttl in (0, 0.5):
        (tmp_path / str(ttl)).mkdir()
        app = _app(tmp_path / str(ttl), API_KEY_CACHE_SECONDS=ttl)
        with app.extensions["db_sessions"]() as s:
            key = create_key(s, "T", "read")[0]
        c = app.test_client()
        assert c.get(f"{V1}/feedback", headers={"X-API-Key": key}).status_code == 200
        with app.extensions["db_sessions"]() as s:
            s.scalar(select(ApiKey).where(ApiKey.prefix == key.split(".")[0])).revoked_at = datetime.now(timezone.utc)
            s.commit()
        if ttl:
            time.sleep(ttl + 0.1)
        assert c.get(f"{V1}/feedback", headers={"X-API-Key": key}).status_code == 401


def test_web_login_limit_shares_the_api_limiter_and_its_store(tmp_path):
    """The web app's sign-in limit (failed sign-ins per account and address) runs on the same limiter as the
    API, so with redis:// two workers count the attempts together too; the limited answer is the web app's
    page, and API keys are not involved."""
    import re

    url = _redis_url()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    db = f"sqlite:///{tmp_path / 'login.db'}"
    command.upgrade(alembic_config(db), "head")
    config = {"TESTING": True, "DATABASE_URL": db, "SECRET_KEY": "k", "LOGIN_RATE_LIMIT": "3 per minute",
              "RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix}
    w1, w2 = create_app(config), create_app(config)
    clients = [w1.test_client(), w2.test_client()]

    def sign_in(client, **kw):
        # a sign-in with the page's CSRF token and a wrong password: a failed sign-in, which the limit counts
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login", **kw).text).group(1)
        return client.post("/login", data={"csrf_token": token, "email": "x@y.z", "password": "p"}, **kw)

    codes = [sign_in(clients[i % 2]).status_code for i in range(5)]
    assert codes[:3] == [401] * 3 and codes[3:] == [429, 429]
    r = sign_in(clients[0])
    assert r.status_code == 429 and r.mimetype == "text/html"
    # another address is not affected
    r = sign_in(clients[1], environ_base={"REMOTE_ADDR": "10.2.2.2"})
    assert r.status_code == 401
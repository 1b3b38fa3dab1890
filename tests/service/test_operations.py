"""Rate limits, model hot swap, migrations, and the spec fuzzed by schemathesis."""

import shutil
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from alembic import command
from sqlalchemy import create_engine, inspect

from api import create_app
from api.cli import alembic_config
from api.keys import create_key
from recommender.model import artifact

PROFILE = {"ateco": "23.31", "province": "MO", "maturity_level": 2}


def test_rate_limit_per_key_with_retry_after(tmp_path):
    url = f"sqlite:///{tmp_path / 'rl.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "API_RATE_LIMIT": "3 per minute"})
    with app.extensions["db_sessions"]() as s:
        k1, k2 = create_key(s, "T1", "read")[0], create_key(s, "T2", "read")[0]
    c = app.test_client()
    codes = [c.get("/api/v1/feedback", headers={"X-API-Key": k1}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.get("/api/v1/feedback", headers={"X-API-Key": k1})
    assert r.content_type == "application/problem+json" and int(r.headers["Retry-After"]) > 0
    assert c.get("/api/v1/feedback", headers={"X-API-Key": k2}).status_code == 200  # counted per key
    assert c.get("/api/v1/healthz").status_code == 200  # health is not limited


def test_model_hot_swap_and_tampered_version_refused(tmp_path):
    src = artifact._models_dir(None) / artifact.current_version()
    models = tmp_path / "models"
    models.mkdir()
    shutil.copytree(src, models / "v1")
    shutil.copytree(src, models / "v2")
    shutil.copytree(src, models / "v3")
    artifact.promote("v1", models)
    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "MODELS_DIR": str(models), "MODEL_CHECK_SECONDS": 0})
    c = app.test_client()
    assert c.get("/api/v1/readyz").get_json()["model_version"] == "v1"

    artifact.promote("v2", models)  # a retrain switched CURRENT: served without restart (loaded in the background)
    assert _eventually(lambda: c.get("/api/v1/readyz").get_json()["model_version"] == "v2")

    with open(models / "v3" / "model.txt", "a") as fh:  # tampered after promotion
        fh.write("\n")
    (models / "CURRENT").write_text("v3\n")
    c.get("/api/v1/readyz")
    assert _eventually(lambda: "checksum" in (app.extensions["model_holder"].last_error or ""))
    r = c.get("/api/v1/readyz")
    assert r.status_code == 200 and r.get_json()["model_version"] == "v2"  # old one keeps serving


def _eventually(check, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _migrate_up_down(url):
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    assert {"tenants", "api_keys", "firms", "recommendations", "feedback"} <= set(inspect(engine).get_table_names())
    command.downgrade(cfg, "base")
    assert "firms" not in inspect(engine).get_table_names()
    command.upgrade(cfg, "head")
    assert "firms" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrations_up_and_down_sqlite(tmp_path):
    _migrate_up_down(f"sqlite:///{tmp_path / 'mig.db'}")


@pytest.mark.postgres
def test_migrations_up_and_down_postgres(app):
    url = app.config["DATABASE_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL not set")
    _migrate_up_down(url)


def test_no_server_errors_and_responses_match_spec(app, keys):
    """schemathesis generates requests for every operation of the spec; none
    may yield a 5xx, and every response must match its documented schema."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    key = keys["a"]["X-API-Key"]
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.headers = {**(case.headers or {}), "X-API-Key": key}
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            case.validate_response(response, checks=[schemathesis.checks.not_a_server_error,
                                                     schemathesis.checks.response_schema_conformance])

        run()
        checked += 1
    assert checked >= 15


def test_no_model_means_not_ready_and_503(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "MODELS_DIR": str(tmp_path / "empty")})
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "T", "read")[0]
    c = app.test_client()
    assert c.get("/api/v1/healthz").status_code == 200
    r = c.get("/api/v1/readyz")
    assert r.status_code == 503 and "no model has been promoted" in r.get_json()["detail"]
    r = c.post("/api/v1/recommendations", json=PROFILE, headers={"X-API-Key": key})
    assert r.status_code == 503 and r.content_type == "application/problem+json"

"""Rate limits, model hot swap, migrations, and the spec fuzzed by schemathesis."""

import shutil

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from hypothesis import HealthCheck, given, settings
from alembic import command
from sqlalchemy import create_engine, inspect

from api import create_app
from api.cli import alembic_config
from api.keys import create_key
from recommender.model import artifact
from polling import eventually

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
    assert eventually(lambda: c.get("/api/v1/readyz").get_json()["model_version"] == "v2")

    with open(models / "v3" / "model.txt", "a") as fh:  # tampered after promotion
        fh.write("\n")
    (models / "CURRENT").write_text("v3\n")
    c.get("/api/v1/readyz")
    assert eventually(lambda: "checksum" in (app.extensions["model_holder"].last_error or ""))
    r = c.get("/api/v1/readyz")  # not ready: CURRENT names v3, refused (issue #21)
    assert r.status_code == 503 and "CURRENT names v3, which failed verification" in r.get_json()["detail"]
    assert c.get("/api/v1/model").get_json()["version"] == "v2"  # the old one keeps serving



def _migrate_up_down(url):
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    assert {"tenants", "api_keys", "firms", "recommendations", "feedback", "impressions"} <= set(
        inspect(engine).get_table_names())
    command.downgrade(cfg, "base")
    assert "firms" not in inspect(engine).get_table_names()
    command.upgrade(cfg, "head")
    assert "firms" in inspect(engine).get_table_names()
    engine.dispose()


def _migrate_with_web_data(url):
    """0003 (hardening) on a database the web app (0002) already filled: every
    row kept, foreign keys still cascading, ids of deleted rows never reused."""
    from datetime import date, datetime, timezone

    from sqlalchemy import delete, func, select

    from api.db.models import Feedback, Firm, MaturityAssessment, StoredRecommendation, Tenant, User
    from api.db.session import make_engine, make_session_factory

    cfg = alembic_config(url)
    command.upgrade(cfg, "0002")
    engine = make_engine(url)
    tables = (Firm, MaturityAssessment, StoredRecommendation, Feedback, User)
    with make_session_factory(engine)() as s:
        tenant = Tenant(name="CCIAA Prato")
        s.add(tenant)
        s.flush()
        # the 0002 columns only (the model has grown since: users.session_version, 0006)
        s.execute(User.__table__.insert().values(tenant_id=tenant.id, email="a@prato.example", password_hash="x",
                                                 role="borsista", active=True,
                                                 created_at=datetime.now(timezone.utc)))
        user_id = s.scalar(select(User.id))
        firms = [Firm(tenant_id=tenant.id, name=f"F{i}", profile={"ateco": "14.13"}) for i in range(2)]
        s.add_all(firms)
        s.flush()
        for f in firms:
            s.add_all([MaturityAssessment(tenant_id=tenant.id, firm_id=f.id, user_id=user_id, answers={}, score=0,
                                          level=1),
                       StoredRecommendation(tenant_id=tenant.id, firm_id=f.id, model_version="v", result={})])
            # the 0002 columns only (the model has grown since: feedback.impression_id, 0005)
            s.execute(Feedback.__table__.insert().values(tenant_id=tenant.id, firm_id=f.id, market="DEU",
                                                         status="planned", date=date(2026, 11, 1),
                                                         created_at=datetime.now(timezone.utc)))
        s.commit()
        ids = {t: s.scalars(select(t.id).order_by(t.id)).all() for t in tables}
    command.upgrade(cfg, "head")
    with make_session_factory(engine)() as s:
        assert {t: s.scalars(select(t.id).order_by(t.id)).all() for t in tables} == ids  # nothing lost
        s.execute(delete(Firm).where(Firm.id == ids[Firm][0]))  # children still cascade
        s.execute(delete(User).where(User.id == ids[User][0]))  # SET NULL still applies
        s.commit()
        for child in (MaturityAssessment, StoredRecommendation, Feedback):
            assert s.scalars(select(child.firm_id)).all() == [ids[Firm][1]]
        assert s.scalars(select(MaturityAssessment.user_id)).all() == [None]
        last = Firm(tenant_id=s.scalar(select(Tenant.id)), name="last", profile={})
        s.add(last)
        s.commit()
        last_id = last.id
        s.execute(delete(Firm).where(Firm.id == last_id))
        s.commit()
        again = Firm(tenant_id=s.scalar(select(Tenant.id)), name="again", profile={})
        s.add(again)
        s.commit()
        assert again.id > last_id  # AUTOINCREMENT on SQLite, a sequence on PostgreSQL
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            sql = dict(c.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
        for t in tables:
            assert "AUTOINCREMENT" in sql[t.__tablename__], t.__tablename__
    command.downgrade(cfg, "0002")
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(MaturityAssessment)) == 1
    command.upgrade(cfg, "head")
    engine.dispose()


def test_hardening_migration_on_web_data_sqlite(tmp_path):
    _migrate_with_web_data(f"sqlite:///{tmp_path / 'webdata.db'}")


@pytest.mark.postgres
def test_hardening_migration_on_web_data_postgres():
    import os
    import uuid

    from sqlalchemy import text
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    name = f"m_{uuid.uuid4().hex[:10]}"  # a fresh database on that server
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    _migrate_with_web_data(base.rsplit("/", 1)[0] + f"/{name}")


def _migrate_impressions(url):
    """0005_impressions on a database with feedback already in it (at 0003): rows
    kept with no impression; the new foreign keys cascade or SET NULL; SQLite
    keeps AUTOINCREMENT; down to 0003 drops the table and the column, keeps the rows."""
    from sqlalchemy import text

    from api.db.session import make_engine

    cfg = alembic_config(url)
    command.upgrade(cfg, "0003")
    engine = make_engine(url)
    now = "2026-11-01 10:00:00"
    with engine.begin() as c:
        c.execute(text("INSERT INTO tenants (id, name, created_at) VALUES (1, 'CCIAA Prato', :t)"), {"t": now})
        c.execute(text("INSERT INTO firms (id, tenant_id, name, profile, created_at, updated_at) "
                       "VALUES (1, 1, 'F', '{}', :t, :t)"), {"t": now})
        c.execute(text("INSERT INTO recommendations (id, tenant_id, firm_id, model_version, result, created_at) "
                       "VALUES (1, 1, 1, 'v', '{}', :t)"), {"t": now})
        c.execute(text("INSERT INTO feedback (id, tenant_id, firm_id, market, status, date, created_at) "
                       "VALUES (1, 1, 1, 'DEU', 'planned', '2026-11-01', :t)"), {"t": now})
    command.upgrade(cfg, "0005_impressions")
    with engine.begin() as c:
        assert c.execute(text("SELECT id, market, impression_id FROM feedback")).all() == [(1, "DEU", None)]
        c.execute(text(
            "INSERT INTO impressions (id, tenant_id, firm_id, recommendation_id, surface, model_version, sector, "
            "division, maturity_level, size_class, customer_type, markets, created_at) VALUES "
            "(1, 1, 1, 1, 'api', 'v', 'C23', '23', 2, 'unknown', 'b2b', "
            "'[{\"iso3\": \"DEU\", \"rank\": 1}]', :t)"), {"t": now})
        c.execute(text("UPDATE feedback SET impression_id = 1"))
        c.execute(text("DELETE FROM recommendations"))  # trimmed history: the impression stays
        assert c.execute(text("SELECT id, recommendation_id FROM impressions")).all() == [(1, None)]
        c.execute(text("DELETE FROM impressions"))  # the outcome stays, unlinked
        assert c.execute(text("SELECT id, impression_id FROM feedback")).all() == [(1, None)]
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            sql = dict(c.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
        assert "AUTOINCREMENT" in sql["impressions"] and "AUTOINCREMENT" in sql["feedback"]
    command.downgrade(cfg, "0003")
    assert "impressions" not in inspect(engine).get_table_names()
    assert "impression_id" not in {col["name"] for col in inspect(engine).get_columns("feedback")}
    with engine.begin() as c:
        assert c.execute(text("SELECT id, market FROM feedback")).all() == [(1, "DEU")]
        c.execute(text("DELETE FROM firms"))  # the foreign keys of the rebuilt feedback table still cascade
        assert c.execute(text("SELECT count(*) FROM feedback")).scalar() == 0
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            assert "AUTOINCREMENT" in c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'feedback'").scalar()
    command.upgrade(cfg, "head")
    engine.dispose()


def test_impressions_migration_up_and_down_sqlite(tmp_path):
    _migrate_impressions(f"sqlite:///{tmp_path / 'imp.db'}")


@pytest.mark.postgres
def test_impressions_migration_up_and_down_postgres(tmp_path_factory):
    import os
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set")
    from databases import fresh_database_url
    _migrate_impressions(fresh_database_url(tmp_path_factory, "mi"))


def test_migrations_up_and_down_sqlite(tmp_path):
    _migrate_up_down(f"sqlite:///{tmp_path / 'mig.db'}")


@pytest.mark.postgres
def test_migrations_up_and_down_postgres(app):
    url = app.config["DATABASE_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL not set")
    _migrate_up_down(url)


# ATECO codes, provinces and markets are checked against reference tables the
# schema cannot enumerate, so a schema-valid profile may still be a documented 422.
SCHEMATHESIS = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "413", "422", "429"]}}})


def test_every_operation_passes_all_schemathesis_checks(app, keys):
    """schemathesis generates requests for every operation and runs all its
    checks (no 5xx, responses, status codes, content types and headers as
    documented, auth enforced, invalid data rejected); none may fail."""
    app.config["API_RATE_LIMIT"] = "1000000 per minute"
    key = keys["a"]["X-API-Key"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=SCHEMATHESIS)
    failures, checked = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            try:
                case.call_and_validate(headers={"X-API-Key": key})
            except BaseException as exc:  # noqa: BLE001  (schemathesis raises a FailureGroup)
                failures.append(f"{operation.label}: {str(exc)[:400]}")

        run()
        checked += 1
    print(f"schemathesis: {checked} operations, {len(failures)} failures")
    assert checked >= 20
    assert failures == []


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

"""The API's hardening where the web app shares it (api/registry.py): text no
database can store is a field error, a firm deleted while a page writes is
a 404 page, the history is capped; and where it must stay out of the way:
pages never look at API keys, and outages answer with a page, not problem+json."""

import re

import pytest
from alembic import command
from sqlalchemy import event, func, select
from webclient import Browser

from api import create_app, registry
from api.auth.users import create_user
from api.cli import alembic_config
from api.db.models import Feedback, Firm, MaturityAssessment, StoredRecommendation
from recommender.errors import InvalidInput
from recommender.maturity import QUESTION_IDS

FIRM = {"name": "Lanificio Sassolese", "ateco": "1413", "province": "Sassuolo", "maturity_level": "2"}


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def new_firm(b, **changes) -> int:
    r = b.post("/firms/new", {**FIRM, **changes})
    assert r.status_code == 302, text_of(r.text)[:2000]
    return int(re.search(r"/firms/(\d+)/", r.location).group(1))


def firm_count(app) -> int:
    with app.extensions["db_sessions"]() as s:
        return s.scalar(select(func.count()).select_from(Firm))


def test_nul_characters_are_field_errors_on_pages_too(app, prato):
    before = firm_count(app)
    r = prato.post("/firms/new", {**FIRM, "name": "Lanificio\x00Sassolese"})
    assert r.status_code == 422 and r.mimetype == "text/html"
    assert "contiene un carattere che non si può salvare" in text_of(r.text)
    assert firm_count(app) == before
    firm_id = new_firm(prato)
    r = prato.post(f"/firms/{firm_id}/outcomes", {"market": "DEU", "status": "started", "date": "2026-11-20",
                                                  "note": "primo\x00contatto"})
    assert r.status_code == 422 and "contiene un carattere che non si può salvare" in text_of(r.text)
    with app.extensions["db_sessions"]() as s:
        assert s.scalar(select(func.count()).select_from(Feedback).where(Feedback.firm_id == firm_id)) == 0


def test_registry_refuses_unstorable_text_for_every_caller():
    with pytest.raises(InvalidInput) as exc:
        registry.validated({"name": "a\x00b", "ateco": "14.13", "province": "PO", "maturity_level": 2,
                            "current_markets": ["DE", "F\ud800R"]})
    assert {(e.field, e.reason) for e in exc.value.errors} == {
        ("name", registry.NUL_REASON), ("current_markets[1]", registry.SURROGATE_REASON)}


def _delete_during_flush(app, firm_id):
    """Another user (another connection) deletes the firm right when this request writes."""
    sessions = app.extensions["db_sessions"]
    fired = []

    def delete_now(_session, _context, _instances):
        if not fired:
            fired.append(True)
            with sessions() as other:
                other.delete(other.get(Firm, firm_id))
                other.commit()

    event.listen(sessions, "before_flush", delete_now)
    return lambda: event.remove(sessions, "before_flush", delete_now)


@pytest.mark.parametrize("write", ["outcome", "questionnaire", "edit", "recommendation"])
def test_firm_deleted_while_a_page_writes_is_a_404_page(app, prato, write):
    firm_id = new_firm(prato, name=f"Doomed {write}")
    undo = _delete_during_flush(app, firm_id)
    try:
        if write == "outcome":
            r = prato.post(f"/firms/{firm_id}/outcomes", {"market": "DEU", "status": "started", "date": "2026-11-20"})
        elif write == "questionnaire":
            r = prato.post(f"/firms/{firm_id}/questionnaire", {q: "yes" for q in QUESTION_IDS})
        elif write == "edit":
            r = prato.post(f"/firms/{firm_id}/edit", {**FIRM, "name": "Renamed"})
        else:
            r = prato.get(f"/firms/{firm_id}/recommendation")
    finally:
        undo()
    assert r.status_code == 404 and r.mimetype == "text/html", text_of(r.text)[:500]
    assert "Pagina non trovata" in r.text
    with app.extensions["db_sessions"]() as s:
        assert s.get(Firm, firm_id) is None
        assert s.scalar(select(func.count()).select_from(MaturityAssessment)
                        .where(MaturityAssessment.firm_id == firm_id)) == 0


def test_stored_history_is_capped_for_the_web_app_too(app):
    with app.extensions["db_sessions"]() as s:
        firm = registry.create_firm(s, 1, {"name": "Cap", "ateco": "14.13", "province": "PO", "maturity_level": 2})
        ids = [registry.store_recommendation(s, firm, "v", {"n": i}, keep=2, surface=None).id for i in range(4)]
        kept = s.scalars(select(StoredRecommendation.id).where(StoredRecommendation.firm_id == firm.id)
                         .order_by(StoredRecommendation.id.desc())).all()
    assert kept == ids[::-1][:2]


def test_pages_never_look_at_api_keys(app, prato):
    """A (wrong) X-API-Key on pages is ignored: no key check, no failure counted
    against the address (AUTH_FAILURE_RATE_LIMIT), no rate-limit headers."""
    anon = app.test_client()
    bogus = {"X-API-Key": "deadbeef.not-a-key"}
    for _ in range(40):  # more than AUTH_FAILURE_RATE_LIMIT (30 per minute)
        r = anon.get("/login", headers=bogus)
        assert r.status_code == 200 and "X-RateLimit-Limit" not in r.headers
    r = prato.client.get("/firms", headers=bogus)
    assert r.status_code == 200 and r.mimetype == "text/html"
    # the API still refuses the same key
    r = anon.get("/api/v1/firms", headers=bogus)
    assert r.status_code == 401 and r.content_type == "application/problem+json"


def test_outages_are_pages_for_pages_and_problems_for_the_api(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://u:p@127.0.0.1:9/none", "SECRET_KEY": "k"})
    c = app.test_client()
    with c.session_transaction() as sess:  # a signed-in session: the page has to load the user
        sess["_user_id"], sess["_fresh"] = "1", True
    r = c.get("/firms")
    assert r.status_code == 503 and r.mimetype == "text/html" and r.headers["Retry-After"]
    assert "127.0.0.1" not in r.text
    r = c.get("/api/v1/firms", headers={"X-API-Key": "abc.def"})
    assert r.status_code == 503 and r.content_type == "application/problem+json"
    b = Browser(app.test_client())  # signing in needs the database too
    r = b.post("/login", {"email": "a@prato.example", "password": "pw-prato-123"})
    assert r.status_code == 503 and r.mimetype == "text/html" and "Qualcosa non ha funzionato" in r.text

    url = f"sqlite:///{tmp_path / 'nomodel.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "k", "MODELS_DIR": str(tmp_path / "none")})
    with app.extensions["db_sessions"]() as s:
        create_user(s, "CCIAA Prato", "a@prato.example", password="pw-prato-123")
    b = Browser(app.test_client()).login("a@prato.example")
    firm_id = new_firm(b)
    r = b.get(f"/firms/{firm_id}/recommendation")
    assert r.status_code == 503 and r.mimetype == "text/html" and "Qualcosa non ha funzionato" in r.text
    assert str(tmp_path) not in r.text
    app.extensions["db_engine"].dispose()

"""The web app logs what a firm was shown (issue 11): the recommendation page
stores an impression once per distinct result, the what-if re-rank logs
nothing, and outcomes recorded on the firm page link to the impression."""

import re

from sqlalchemy import select

from api.db.models import Feedback, Firm, Impression, StoredRecommendation

FIRM = {"name": "Impressioni Web", "ateco": "1413", "province": "Carpi", "maturity_level": "2"}


def new_firm(b, **changes) -> int:
    r = b.post("/firms/new", {**FIRM, **changes})
    assert r.status_code == 302, r.text[:2000]
    return int(re.search(r"/firms/(\d+)/", r.location).group(1))


def logged(app, firm_id) -> list[Impression]:
    with app.extensions["db_sessions"]() as s:
        return list(s.scalars(select(Impression).where(Impression.firm_id == firm_id).order_by(Impression.id)))


def test_page_view_logs_one_impression_and_viewing_again_adds_none(app, prato, engine_calls):
    firm_id = new_firm(prato)
    assert prato.get(f"/firms/{firm_id}/recommendation").status_code == 200
    assert prato.get(f"/firms/{firm_id}/recommendation").status_code == 200
    [imp] = logged(app, firm_id)
    with app.extensions["db_sessions"]() as s:
        [stored] = s.scalars(select(StoredRecommendation).where(StoredRecommendation.firm_id == firm_id)).all()
        tenant = s.get(Firm, firm_id).tenant_id
    assert (imp.surface, imp.recommendation_id, imp.tenant_id) == ("web", stored.id, tenant)
    assert [(m["iso3"], m["rank"]) for m in imp.markets] == [(m["iso3"], m["rank"]) for m in stored.result["markets"]]
    assert len(imp.markets) == 10 and (imp.province, imp.locality, imp.maturity_level) == ("MO", "prov:MO", 2)
    # the Chamber's own outcome adjustments; no exploration on the web page by default
    assert {(c["tenant"], c["explore"]) for c in engine_calls} == {(tenant, 0.0)}
    # a what-if re-rank is shown but neither stored nor logged
    assert prato.get(f"/firms/{firm_id}/recommendation?customer_type=b2c").status_code == 200
    assert len(logged(app, firm_id)) == 1
    # a changed firm gives a different result: a new impression
    r = prato.post(f"/firms/{firm_id}/edit", {**FIRM, "maturity_level": "3"})
    assert r.status_code == 302
    prato.get(f"/firms/{firm_id}/recommendation")
    assert [i.maturity_level for i in logged(app, firm_id)] == [2, 3]


def test_web_exploration_share_is_configurable(app, prato, engine_calls):
    firm_id = new_firm(prato, name="Esplora")
    app.config["EXPLORATION_SHARE_WEB"] = 0.2
    try:
        prato.get(f"/firms/{firm_id}/recommendation")
        prato.get(f"/firms/{firm_id}/recommendation?customer_type=b2c")  # the what-if never explores
    finally:
        app.config["EXPLORATION_SHARE_WEB"] = 0.0
    assert [c["explore"] for c in engine_calls] == [0.2, 0.0]


def test_outcome_form_links_to_the_impression(app, prato):
    firm_id = new_firm(prato, name="Esito Web")
    prato.get(f"/firms/{firm_id}/recommendation")
    [imp] = logged(app, firm_id)
    second = imp.markets[1]["iso3"]
    r = prato.post(f"/firms/{firm_id}/outcomes", {"market": second, "status": "started", "date": "2026-11-20"})
    assert r.status_code == 302
    with app.extensions["db_sessions"]() as s:
        [fb] = s.scalars(select(Feedback).where(Feedback.firm_id == firm_id)).all()
        assert (fb.impression_id, fb.position) == (imp.id, 2)


def test_another_chambers_page_logs_nothing(app, prato, modena):
    firm_id = new_firm(prato, name="Solo Prato")
    assert modena.get(f"/firms/{firm_id}/recommendation").status_code == 404
    assert logged(app, firm_id) == []

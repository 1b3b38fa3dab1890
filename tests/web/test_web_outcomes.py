"""Issue #20, outcome form: nothing preselected (leaving a choice out is a field
error), the channels are those recommended for the chosen market, the table
shows names not ids, and outcomes can be edited and deleted with the earlier
versions kept."""

import html
import re

from sqlalchemy import select

from api import registry
from api.db.models import Feedback, FeedbackHistory, Firm
from api.keys import create_key

FIRM = {"name": "Occhialeria Cadorina", "ateco": "32.50", "province": "BL", "maturity_level": "3",
        "customer_type": "b2c"}


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def select_html(page: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)


def selected_value(page: str, name: str) -> str | None:
    m = re.search(r'<option[^>]*\bselected\b[^>]*>', select_html(page, name))
    return re.search(r'value="([^"]*)"', m.group(0)).group(1) if m else None


def advised_firm(app, b, **changes) -> tuple[int, dict]:
    r = b.post("/firms/new", {**FIRM, **changes})
    firm_id = int(re.search(r"/firms/(\d+)/", r.location).group(1))
    assert b.get(f"/firms/{firm_id}/recommendation").status_code == 200  # the recommendation the firm was shown
    with app.extensions["db_sessions"]() as s:
        firm = s.get(Firm, firm_id)
        result = registry.latest_recommendation(s, firm).result
    return firm_id, result


def test_outcome_form_starts_empty_and_requires_each_choice(app, prato):
    firm_id, _result = advised_firm(app, prato)
    page = prato.get(f"/firms/{firm_id}").text
    assert selected_value(page, "market") in (None, "")
    assert re.search(r'<option value=""', select_html(page, "market"))  # the empty choice comes first
    assert selected_value(page, "status") in (None, "")
    assert re.search(r'<option value=""', select_html(page, "status"))
    assert not re.search(r'<input[^>]*name="date"[^>]*value="\d', page)
    r = prato.post(f"/firms/{firm_id}/outcomes", {"note": "niente"})
    assert r.status_code == 422
    for field in ("market", "status", "date"):
        assert re.search(rf'id="{field}-error"', r.text), field
    with app.extensions["db_sessions"]() as s:
        assert s.scalars(select(Feedback).where(Feedback.firm_id == firm_id)).all() == []


def test_channels_follow_the_chosen_market_and_show_names(app, prato):
    firm_id, result = advised_firm(app, prato)
    with_channels = [m for m in result["markets"] if m.get("channels")]
    assert len(with_channels) >= 2
    first, second = with_channels[0], with_channels[1]
    own = [c["channel_id"] for c in first["channels"]]
    foreign = next(c["channel_id"] for m in with_channels[1:] for c in m["channels"] if c["channel_id"] not in own)
    # htmx asks for the market's channels
    options = prato.get(f"/firms/{firm_id}/outcomes/channels?market={first['iso3']}").text
    assert re.findall(r'value="([^"]+)"', options) == own
    assert prato.get(f"/firms/{firm_id}/outcomes/channels?market=XXX").text.count("<option") == 1  # "no channel"
    # a channel recommended for another market is refused, naming it
    r = prato.post(f"/firms/{firm_id}/outcomes", {"market": first["iso3"], "channel_id": foreign,
                                                  "status": "started", "date": "2026-11-20"})
    assert r.status_code == 422
    assert f"«{foreign}»" in text_of(re.search(r'id="channel_id-error">(.*?)</div>', r.text, re.S).group(1))
    # after the refused submit, the list is the market's own channels
    assert re.findall(r'value="([^"]+)"', select_html(r.text, "channel_id")) == own
    r = prato.post(f"/firms/{firm_id}/outcomes", {"market": first["iso3"], "channel_id": own[0],
                                                  "status": "first_sale", "date": "2026-11-20"})
    assert r.status_code == 302
    page = prato.get(f"/firms/{firm_id}").text
    table = re.search(r'<table class="table">(.*?)</table>', re.search(r'id="outcomes"(.*)', page, re.S).group(1),
                      re.S).group(1)
    from recommender.channels import load_catalogue
    channel = next(c for c in load_catalogue() if c.channel_id == own[0])
    assert channel.name_it in text_of(table) and f">{own[0]}<" not in table
    assert second  # (two markets with channels, so the narrowing is real)


def test_edit_and_delete_keep_the_history(app, prato):
    firm_id, result = advised_firm(app, prato, name="Occhiali Storici")
    market = result["markets"][0]["iso3"]
    r = prato.post(f"/firms/{firm_id}/outcomes", {"market": market, "status": "started", "date": "2026-10-01",
                                                  "note": "primo contatto"})
    assert r.status_code == 302
    with app.extensions["db_sessions"]() as s:
        fb = s.scalar(select(Feedback).where(Feedback.firm_id == firm_id))
        outcome_id, impression_id = fb.id, fb.impression_id
    assert impression_id is not None  # linked to what was shown, like the API's rows
    page = prato.get(f"/firms/{firm_id}/outcomes/{outcome_id}/edit").text
    assert selected_value(page, "market") == market and selected_value(page, "status") == "started"
    assert 'value="2026-10-01"' in page
    r = prato.post(f"/firms/{firm_id}/outcomes/{outcome_id}/edit", {"market": market, "status": "first_sale",
                                                                    "date": "2026-11-15", "note": "ordine"})
    assert r.status_code == 302
    r = prato.post(f"/firms/{firm_id}/outcomes/{outcome_id}/edit", {"market": "", "status": "", "date": ""})
    assert r.status_code == 422 and 'id="market-error"' in r.text
    with app.extensions["db_sessions"]() as s:
        fb = s.get(Feedback, outcome_id)
        assert (fb.status, str(fb.date), fb.note, fb.impression_id) == ("first_sale", "2026-11-15", "ordine",
                                                                         impression_id)
        hist = s.scalars(select(FeedbackHistory).where(FeedbackHistory.feedback_id == outcome_id)).all()
        assert [(h.action, h.status, str(h.date), h.note) for h in hist] == [
            ("edited", "started", "2026-10-01", "primo contatto")]
    # the API lists the current outcome
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "read")[0]
    items = app.test_client().get("/api/v1/feedback", headers={"X-API-Key": key}).get_json()["items"]
    assert [i["status"] for i in items if i["firm_id"] == firm_id] == ["first_sale"]

    r = prato.post(f"/firms/{firm_id}/outcomes/{outcome_id}/delete")
    assert r.status_code == 302
    with app.extensions["db_sessions"]() as s:
        assert s.get(Feedback, outcome_id) is None
        hist = s.scalars(select(FeedbackHistory).where(FeedbackHistory.feedback_id == outcome_id)
                         .order_by(FeedbackHistory.id)).all()
        assert [(h.action, h.status) for h in hist] == [("edited", "started"), ("deleted", "first_sale")]
    page = text_of(prato.get(f"/firms/{firm_id}").text)
    assert "Versioni precedenti degli esiti (2 modificati o eliminati)" in page
    items = app.test_client().get("/api/v1/feedback", headers={"X-API-Key": key}).get_json()["items"]
    assert [i for i in items if i["firm_id"] == firm_id] == []


def test_another_chambers_outcome_cannot_be_edited_or_deleted(app, prato, modena):
    firm_id, result = advised_firm(app, prato, name="Occhiali Riservati")
    prato.post(f"/firms/{firm_id}/outcomes", {"market": result["markets"][0]["iso3"], "status": "planned",
                                              "date": "2026-10-01"})
    with app.extensions["db_sessions"]() as s:
        outcome_id = s.scalar(select(Feedback.id).where(Feedback.firm_id == firm_id))
    assert modena.get(f"/firms/{firm_id}/outcomes/{outcome_id}/edit").status_code == 404
    assert modena.post(f"/firms/{firm_id}/outcomes/{outcome_id}/delete").status_code == 404
    other_id, _r = advised_firm(app, prato, name="Altra")
    assert prato.post(f"/firms/{other_id}/outcomes/{outcome_id}/delete").status_code == 404  # not this firm's
    with app.extensions["db_sessions"]() as s:
        assert s.get(Feedback, outcome_id) is not None

"""Learning from outcomes, service side (issue 11): impressions logged where
recommendations are served for stored firms, outcomes linked to the
impression they follow, GET /impressions, the Chamber and the exploration
share passed to the engine, and the outcome model on /model."""

import json

import pytest
from sqlalchemy import func, select

from api import create_app
from api.config import ConfigError
from api.db.models import Firm, Impression
from recommender.lookups import all_countries

V1 = "/api/v1"
FIRM = {"name": "Ceramiche Outcome", "ateco": "23.31", "province": "MO", "district": "piastrelle-di-sassuolo",
        "maturity_level": 2, "customer_type": "b2b", "employees": 35}


def is_problem(r, status):
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    return r.get_json()


def new_firm(client, key, **changes) -> int:
    r = client.post(f"{V1}/firms", json={**FIRM, **changes}, headers=key)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


def recommend(client, key, firm_id, query="k=5&explore=0") -> dict:
    r = client.post(f"{V1}/firms/{firm_id}/recommendations?{query}", headers=key)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def impressions(client, key, firm_id) -> list[dict]:
    r = client.get(f"{V1}/impressions?firm_id={firm_id}", headers=key)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["items"]


def feedback(client, key, firm_id, market, **extra):
    return client.post(f"{V1}/feedback", json={"firm_id": firm_id, "market": market, "status": "started",
                                               "date": "2026-11-20", **extra}, headers=key)


def test_stored_recommendation_logs_its_impression_with_positions_and_context(client, keys):
    fid = new_firm(client, keys["a"])
    stored = recommend(client, keys["a"], fid, "k=6&explore=0")
    [imp] = impressions(client, keys["a"], fid)
    shown = stored["result"]["markets"]
    assert [(m["iso3"], m["rank"]) for m in imp["markets"]] == [(m["iso3"], m["rank"]) for m in shown]
    assert [m["rank"] for m in imp["markets"]] == [1, 2, 3, 4, 5, 6]
    assert [m["score"] for m in imp["markets"]] == [m["score"] for m in shown]
    assert imp["markets"][0]["prior_score"] == shown[0]["score"] and imp["markets"][0]["explored"] is False
    assert [c["channel_id"] for c in imp["markets"][0]["channels"]] == [c["channel_id"] for c in shown[0]["channels"]]
    assert [c["rank"] for c in imp["markets"][0]["channels"]] == list(range(1, len(shown[0]["channels"]) + 1))
    assert {k: imp[k] for k in ("firm_id", "recommendation_id", "surface", "model_version", "sector", "division",
                                "district", "province", "locality", "maturity_level", "size_class",
                                "customer_type")} == {
        "firm_id": fid, "recommendation_id": stored["id"], "surface": "api", "model_version": stored["model_version"],
        "sector": stored["result"]["firm"]["sector"]["model_sector"], "division": "23",
        "district": "piastrelle-di-sassuolo", "province": "MO", "locality": "piastrelle-di-sassuolo",
        "maturity_level": 2, "size_class": "10-49", "customer_type": "b2b"}
    assert imp["outcome_version"] is None and imp["created_at"].endswith("+00:00")
    # nothing identifying: the impression names the firm only by its id inside the Chamber
    assert "Ceramiche" not in json.dumps(imp)


def test_engine_gets_the_chamber_and_the_exploration_share(app, client, keys, engine_calls):
    fid = new_firm(client, keys["a"])
    with app.extensions["db_sessions"]() as s:
        tenant_a = s.get(Firm, fid).tenant_id
    recommend(client, keys["a"], fid, "k=5")
    recommend(client, keys["a"], fid, "k=5&explore=0.25")
    recommend(client, keys["a"], fid, "k=5&explore=0")
    assert [(c["tenant"], c["explore"]) for c in engine_calls] == [(tenant_a, 0.1), (tenant_a, 0.25), (tenant_a, 0.0)]
    engine_calls.clear()
    assert client.post(f"{V1}/recommendations", json={"ateco": "23.31", "province": "MO", "maturity_level": 2},
                       headers=keys["a"]).status_code == 200
    assert client.post(f"{V1}/recommendations/batch", json={"firms": [{"ateco": "23.31", "province": "MO", "maturity_level": 2}]},
                       headers=keys["a"]).status_code == 200
    # no impression is logged there, so no exploration either
    assert [(c["tenant"], c.get("explore", 0.0)) for c in engine_calls] == [(tenant_a, 0.0), (tenant_a, 0.0)]
    engine_calls.clear()
    app.config["EXPLORATION_SHARE_API"] = 0.2
    try:
        recommend(client, keys["a"], fid, "k=5")
    finally:
        app.config["EXPLORATION_SHARE_API"] = 0.1
    assert engine_calls[0]["explore"] == 0.2


@pytest.mark.parametrize("value", ["0.31", "-0.1", "1", "abc", "nan", "inf", ""])
def test_exploration_query_parameter_is_checked(client, keys, value):
    fid = new_firm(client, keys["a"])
    body = is_problem(client.post(f"{V1}/firms/{fid}/recommendations?explore={value}", headers=keys["a"]), 422)
    assert [e["field"] for e in body["errors"]] == ["query.explore"]
    assert impressions(client, keys["a"], fid) == []  # nothing computed, nothing logged


def test_exploration_bounds_are_accepted(client, keys):
    fid = new_firm(client, keys["a"])
    recommend(client, keys["a"], fid, "k=5&explore=0")
    recommend(client, keys["a"], fid, "k=5&explore=0.3")
    assert len(impressions(client, keys["a"], fid)) == 2


def test_feedback_links_to_the_latest_impression_showing_the_market(client, keys):
    fid = new_firm(client, keys["a"])
    first = recommend(client, keys["a"], fid, "k=5&explore=0")
    top, third = first["result"]["markets"][0]["iso3"], first["result"]["markets"][2]["iso3"]
    # the firm now excludes its top market: the next list moves everyone up one place
    assert client.patch(f"{V1}/firms/{fid}", json={"excluded_markets": [top]}, headers=keys["a"]).status_code == 200
    second = recommend(client, keys["a"], fid, "k=5&explore=0")
    assert second["result"]["markets"][1]["iso3"] == third
    newer, older = impressions(client, keys["a"], fid)
    assert (newer["recommendation_id"], older["recommendation_id"]) == (second["id"], first["id"])

    fb = feedback(client, keys["a"], fid, third).get_json()
    assert (fb["impression_id"], fb["position"]) == (newer["id"], 2)
    fb = feedback(client, keys["a"], fid, top).get_json()  # only the older list showed it
    assert (fb["impression_id"], fb["position"]) == (older["id"], 1)
    shown = {m["iso3"] for m in first["result"]["markets"] + second["result"]["markets"]}
    never = next(c.iso3 for c in all_countries() if c.iso3 not in shown)
    fb = feedback(client, keys["a"], fid, never).get_json()
    assert (fb["impression_id"], fb["position"]) == (None, None)
    fb = feedback(client, keys["a"], fid, third, impression_id=older["id"]).get_json()  # named explicitly
    assert (fb["impression_id"], fb["position"]) == (older["id"], 3)
    listed = client.get(f"{V1}/feedback?limit=4", headers=keys["a"]).get_json()["items"]
    assert [(i["impression_id"], i["position"]) for i in listed] == [(older["id"], 3), (None, None),
                                                                     (older["id"], 1), (newer["id"], 2)]


def test_feedback_before_anything_was_shown_has_no_impression(client, keys):
    fid = new_firm(client, keys["a"])
    fb = feedback(client, keys["a"], fid, "DE").get_json()
    assert (fb["market"], fb["impression_id"], fb["position"]) == ("DEU", None, None)


def test_explicit_impression_must_be_the_firms_own_and_show_the_market(client, keys):
    fid, other = new_firm(client, keys["a"]), new_firm(client, keys["a"], name="Other firm")
    shown = recommend(client, keys["a"], fid)["result"]["markets"][0]["iso3"]
    recommend(client, keys["a"], other)
    [mine], [theirs] = impressions(client, keys["a"], fid), impressions(client, keys["a"], other)
    fid_b = new_firm(client, keys["b"])
    recommend(client, keys["b"], fid_b)
    [chamber_b] = impressions(client, keys["b"], fid_b)
    missing = max(mine["id"], theirs["id"], chamber_b["id"]) + 1000

    def reason(impression_id, market=shown):
        body = is_problem(feedback(client, keys["a"], fid, market, impression_id=impression_id), 422)
        [err] = body["errors"]
        assert err["field"] == "impression_id"
        return err["reason"]

    assert "another firm" in reason(theirs["id"])
    shown_ids = {m["iso3"] for m in mine["markets"]}
    unseen = next(c.iso3 for c in all_countries() if c.iso3 not in shown_ids)
    assert reason(mine["id"], unseen) == f"market {unseen} was not shown in this impression"
    # another Chamber's impression is indistinguishable from one that does not exist
    assert reason(chamber_b["id"]) == reason(missing) == "no such impression"
    body = is_problem(feedback(client, keys["a"], fid, shown, impression_id=0), 422)
    assert [e["field"] for e in body["errors"]] == ["impression_id"]
    # and nothing was stored by the refused requests
    assert all(i["firm_id"] != fid for i in client.get(f"{V1}/feedback", headers=keys["a"]).get_json()["items"])


def test_impressions_are_tenant_scoped_and_paginated(client, keys):
    fid = new_firm(client, keys["a"])
    for _ in range(3):
        recommend(client, keys["a"], fid)
    fid_b = new_firm(client, keys["b"])
    recommend(client, keys["b"], fid_b)
    is_problem(client.get(f"{V1}/impressions?firm_id={fid}", headers=keys["b"]), 404)
    is_problem(client.get(f"{V1}/impressions?firm_id={fid_b}", headers=keys["a"]), 404)
    is_problem(client.get(f"{V1}/impressions?firm_id=0", headers=keys["a"]), 422)
    is_problem(client.get(f"{V1}/impressions"), 401)
    everything_b = client.get(f"{V1}/impressions?limit=500", headers=keys["b"]).get_json()["items"]
    assert fid_b in {i["firm_id"] for i in everything_b} and fid not in {i["firm_id"] for i in everything_b}
    r = client.get(f"{V1}/impressions?firm_id={fid}&limit=2", headers=keys["a_read"])  # read scope is enough
    body = r.get_json()
    assert r.status_code == 200 and body["total"] == 3 and len(body["items"]) == 2
    assert body["items"][0]["id"] > body["items"][1]["id"]  # newest first
    assert body["next"] and 'rel="next"' in r.headers["Link"] and "offset=2" in body["next"]
    last = client.get(body["next"], headers=keys["a"]).get_json()
    assert len(last["items"]) == 1 and last["next"] is None
    all_a = client.get(f"{V1}/impressions?limit=500", headers=keys["a"]).get_json()["items"]
    assert {i["firm_id"] for i in all_a} & {fid_b} == set()


def test_trimmed_history_keeps_impressions(app, client, keys):
    fid = new_firm(client, keys["a"])
    app.config["HISTORY_MAX_PER_FIRM"] = 2
    try:
        stored = [recommend(client, keys["a"], fid)["id"] for _ in range(3)]
    finally:
        app.config["HISTORY_MAX_PER_FIRM"] = 20
    history = client.get(f"{V1}/firms/{fid}/recommendations/history", headers=keys["a"]).get_json()["items"]
    assert [h["id"] for h in history] == stored[:0:-1]
    logged = impressions(client, keys["a"], fid)
    assert [i["recommendation_id"] for i in logged] == [stored[2], stored[1], None]
    # an outcome can still follow the impression whose recommendation was trimmed
    fb = feedback(client, keys["a"], fid, logged[2]["markets"][0]["iso3"], impression_id=logged[2]["id"])
    assert fb.status_code == 201 and fb.get_json()["position"] == 1


def test_deleting_a_firm_deletes_its_impressions(app, client, keys):
    fid = new_firm(client, keys["a"])
    recommend(client, keys["a"], fid)
    assert client.delete(f"{V1}/firms/{fid}", headers=keys["a"]).status_code == 204
    with app.extensions["db_sessions"]() as s:
        assert s.scalar(select(func.count()).select_from(Impression).where(Impression.firm_id == fid)) == 0


def test_impression_and_recommendation_are_written_together(app, client, keys, monkeypatch):
    """A failure while writing the impression leaves no stored recommendation either."""
    from api import registry
    fid = new_firm(client, keys["a"])

    def broken(*_args, **_kwargs):
        raise RuntimeError("impression write failed")
    monkeypatch.setattr(registry, "_trim_history", broken)  # runs after the impression, before the commit
    r = client.post(f"{V1}/firms/{fid}/recommendations", headers=keys["a"])
    assert r.status_code == 500
    monkeypatch.undo()
    history = client.get(f"{V1}/firms/{fid}/recommendations/history", headers=keys["a"]).get_json()
    assert history["total"] == 0 and impressions(client, keys["a"], fid) == []


def test_model_shows_outcomes_null_for_the_shipped_model(client):
    body = client.get(f"{V1}/model").get_json()
    assert "outcomes" in body and body["outcomes"] is None
    assert body["version"] and body["score"]["weights"]  # existing fields unchanged


@pytest.mark.parametrize("key,value", [("EXPLORATION_SHARE_API", 0.5), ("EXPLORATION_SHARE_API", "abc"),
                                       ("EXPLORATION_SHARE_WEB", -0.01), ("EXPLORATION_SHARE_WEB", float("nan")),
                                       ("EXPLORATION_SHARE_API", True)])
def test_bad_exploration_setting_stops_the_start(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", key: value})


def test_exploration_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLORATION_SHARE_API", "0.3")
    monkeypatch.setenv("EXPLORATION_SHARE_WEB", " 0.05 ")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"})
    assert (app.config["EXPLORATION_SHARE_API"], app.config["EXPLORATION_SHARE_WEB"]) == (0.3, 0.05)
    monkeypatch.setenv("EXPLORATION_SHARE_API", "0.4")
    with pytest.raises(ConfigError, match="EXPLORATION_SHARE_API must be a number from 0 to 0.3"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"})
    monkeypatch.delenv("EXPLORATION_SHARE_API")
    monkeypatch.delenv("EXPLORATION_SHARE_WEB")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"})
    assert (app.config["EXPLORATION_SHARE_API"], app.config["EXPLORATION_SHARE_WEB"]) == (0.1, 0.0)


def test_impressions_in_the_openapi_spec(client):
    spec = client.get(f"{V1}/openapi.json").get_json()
    op = spec["paths"][f"{V1}/impressions"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"firm_id", "limit", "offset"}
    params = spec["paths"][f"{V1}/firms/{{firm_id}}/recommendations"]["post"]["parameters"]
    explore = next(p for p in params if p["name"] == "explore")
    assert (explore["schema"]["minimum"], explore["schema"]["maximum"]) == (0.0, 0.3)
    schemas = spec["components"]["schemas"]
    assert {"impression_id", "position"} <= set(schemas["FeedbackOut"]["properties"])
    assert "impression_id" in schemas["FeedbackIn"]["properties"]

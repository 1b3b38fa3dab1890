"""The low-severity findings of issue #21 (item 6): an empty PATCH, a non-object
row in a JSON batch, Retry-After and another Chamber's firm on /feedback.
(/readyz while models/CURRENT names a refused version: test_reads_and_readiness.)"""

from __future__ import annotations

import pytest
from alembic import command

from api import create_app
from api.cli import alembic_config
from api.keys import create_key

PROFILE = {"ateco": "23.31", "province": "MO", "maturity_level": 2}
V1 = "/api/v1"


def problem(r, status):
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.content_type == "application/problem+json"
    return r.get_json()


def test_patch_with_no_body_or_no_field_is_refused(client, keys):
    fid = client.post(f"{V1}/firms", json={**PROFILE, "name": "Immutata"}, headers=keys["a"]).get_json()["id"]
    for kwargs in ({}, {"json": {}}, {"data": b"", "content_type": "application/json"}):
        body = problem(client.patch(f"{V1}/firms/{fid}", headers=keys["a"], **kwargs), 422)
        assert body["errors"] == [{"field": "", "reason": "required: a JSON object with at least one field "
                                                          "to change"}]
    problem(client.patch(f"{V1}/firms/{fid}", headers=keys["b"]), 404)   # another Chamber's firm: 404 first
    r = client.patch(f"{V1}/firms/{fid}", json={"province": "RE"}, headers=keys["a"])
    assert r.status_code == 200 and r.get_json()["profile"]["province"] == "RE"


def test_a_non_object_row_rejects_only_that_row(client, keys):
    firms = [PROFILE, 5, "Rossi", None, [PROFILE], {**PROFILE, "province": "PO"}]
    r = client.post(f"{V1}/recommendations/batch?k=1", json={"firms": firms}, headers=keys["a"])
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    body = r.get_json()
    assert (body["ok"], body["failed"]) == (2, 4)
    assert [x["ok"] for x in body["rows"]] == [True, False, False, False, False, True]
    assert [x["errors"][0]["field"] for x in body["rows"][1:5]] == ["firms[1]", "firms[2]", "firms[3]", "firms[4]"]
    assert [x["errors"][0]["reason"] for x in body["rows"][1:5]] == [
        f"must be an object (a firm profile), not {t}" for t in ("a number", "a string", "null", "an array")]


def _app(tmp_path, **config):
    url = f"sqlite:///{tmp_path / 'ra.db'}"
    command.upgrade(alembic_config(url), "head")
    return create_app({"TESTING": True, "DATABASE_URL": url, **config})


@pytest.mark.parametrize("limit,window", [("2 per 10 seconds", 10), ("2 per hour", 3600), ("2 per day", 86400)])
def test_retry_after_is_the_window_of_the_limit_hit(tmp_path, limit, window):
    app = _app(tmp_path, API_RATE_LIMIT=limit, AUTH_FAILURE_RATE_LIMIT="3 per 5 minutes")
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "read")[0]
    c = app.test_client()
    codes = [c.get(f"{V1}/feedback", headers={"X-API-Key": key}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = c.get(f"{V1}/feedback", headers={"X-API-Key": key})
    problem(r, 429)
    assert window - 1 <= int(r.headers["Retry-After"]) <= window   # whole seconds, counted down
    for _ in range(3):
        c.get(f"{V1}/feedback", headers={"X-API-Key": "nobody.wrong"})
    r = c.get(f"{V1}/feedback", headers={"X-API-Key": "nobody.wrong"})   # the failure limit: 5 minutes
    problem(r, 429)
    assert 299 <= int(r.headers["Retry-After"]) <= 300


def test_feedback_of_another_chambers_firm_is_404_like_impressions(client, keys):
    mine = client.post(f"{V1}/firms", json={**PROFILE, "name": "Mia"}, headers=keys["a"]).get_json()["id"]
    other = client.post(f"{V1}/firms", json={**PROFILE, "name": "Altrui"}, headers=keys["a"]).get_json()["id"]
    theirs = client.post(f"{V1}/firms", json={**PROFILE, "name": "Loro"}, headers=keys["b"]).get_json()["id"]
    for fid in (mine, other):
        r = client.post(f"{V1}/feedback", json={"firm_id": fid, "market": "DE", "status": "planned",
                                                "date": "2026-11-01"}, headers=keys["a"])
        assert r.status_code == 201, r.get_data(as_text=True)[:300]
    for path in ("/feedback", "/impressions"):
        problem(client.get(f"{V1}{path}?firm_id={theirs}", headers=keys["a"]), 404)
        problem(client.get(f"{V1}{path}?firm_id=999999", headers=keys["a"]), 404)
    body = client.get(f"{V1}/feedback?firm_id={mine}", headers=keys["a"]).get_json()
    assert body["total"] == 1 and [x["firm_id"] for x in body["items"]] == [mine]
    assert client.get(f"{V1}/feedback", headers=keys["a"]).get_json()["total"] >= 2

"""Every endpoint and error of the REST API, through the Flask test client."""

import io

from sqlalchemy import select

from api.db.models import ApiKey
from api.keys import hash_key
from api.vat import is_valid_partita_iva
PROFILE = {"ateco": "23.31", "province": "MO", "maturity_level": 2, "customer_type": "b2b"}

V1 = "/api/v1"


def is_problem(r, status):
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    body = r.get_json()
    assert body["status"] == status and body["title"] and "type" in body
    return body


def test_health_ready_model_metrics(client):
    assert client.get(f"{V1}/healthz").get_json() == {"status": "ok"}
    ready = client.get(f"{V1}/readyz").get_json()
    assert ready["status"] == "ready" and ready["model_version"]
    model = client.get(f"{V1}/model").get_json()
    methods = {r["method"] for r in model["metrics"]["forecast"]["summary"]}
    assert {"boosted_on_top", "persistence", "ppml_fe"} <= methods
    text = client.get(f"{V1}/metrics").get_data(as_text=True)
    assert "api_requests_total" in text and f'api_model_info{{version="{ready["model_version"]}"}} 1.0' in text


def test_spec_and_local_docs(client):
    spec = client.get(f"{V1}/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and f"{V1}/recommendations" in spec["paths"]
    docs = client.get(f"{V1}/docs").get_data(as_text=True)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_recommendation(client, keys):
    r = client.post(f"{V1}/recommendations?lang=en&k=5", json=PROFILE, headers=keys["a_read"])
    assert r.status_code == 200
    body = r.get_json()
    assert len(body["markets"]) == 5 and body["lang"] == "en" and body["model_version"]
    assert body["markets"][0]["iso3"] in ("FRA", "USA") and body["markets"][0]["reasons"]
    assert set(body["horizons"]) == {"now", "prepare"}


def test_auth_errors(client, keys):
    is_problem(client.post(f"{V1}/recommendations", json=PROFILE), 401)
    is_problem(client.post(f"{V1}/recommendations", json=PROFILE, headers={"X-API-Key": "nope.nope"}), 401)
    is_problem(client.post(f"{V1}/firms", json={"name": "x", **PROFILE}, headers=keys["a_read"]), 403)


def test_validation_errors_name_fields(client, keys):
    body = is_problem(client.post(f"{V1}/recommendations", json={**PROFILE, "ateco": "99.9", "province": "XX"},
                                  headers=keys["a"]), 422)
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"ateco", "province"} and fields["province"]["suggestions"]
    body = is_problem(client.post(f"{V1}/recommendations", json={**PROFILE, "maturity_level": 9, "colour": 1},
                                  headers=keys["a"]), 422)
    assert {e["field"] for e in body["errors"]} == {"maturity_level", "colour"}
    is_problem(client.post(f"{V1}/recommendations?k=99", json=PROFILE, headers=keys["a"]), 422)


def test_malformed_json_and_too_large(client, keys):
    body = is_problem(client.post(f"{V1}/recommendations", data="{bad", content_type="application/json",
                                  headers=keys["a"]), 400)
    assert body["detail"] == "malformed JSON body"
    is_problem(client.post(f"{V1}/recommendations", data="x" * (3 * 1024 * 1024), content_type="application/json",
                           headers=keys["a"]), 413)
    is_problem(client.delete(f"{V1}/healthz"), 405)
    is_problem(client.get(f"{V1}/nothing-here"), 404)


def test_batch_json_keeps_good_rows(client, keys):
    firms = [PROFILE, {**PROFILE, "ateco": "xx"}, {"ateco": "14", "province": "PO", "maturity_level": 1}]
    r = client.post(f"{V1}/recommendations/batch?k=3", json={"firms": firms}, headers=keys["a"])
    body = r.get_json()
    assert r.status_code == 200 and (body["ok"], body["failed"]) == (2, 1)
    bad = body["rows"][1]
    assert not bad["ok"] and bad["errors"][0]["field"] == "firms[1].ateco"
    assert body["rows"][2]["result"]["firm"]["customer_type"] == "b2c"


def test_batch_csv_mixed_rows(client, keys):
    csv = ("name,ateco,province,maturity_level,current_markets,website,ships_abroad\n"
           "Rossi,23.31,MO,2,DE;FR,,\n"
           "Bianchi,23.31,ZZ,2,,,\n"
           "Verdi,14.13,Prato,,,yes,no\n")
    r = client.post(f"{V1}/recommendations/batch", data={"file": (io.BytesIO(csv.encode()), "firms.csv")},
                    headers=keys["a"], content_type="multipart/form-data")
    body = r.get_json()
    assert r.status_code == 200 and body["ok"] == 1 and body["failed"] == 2
    assert body["rows"][0]["row"] == 2 and body["rows"][0]["ok"]
    assert body["rows"][1]["errors"][0]["field"] == "row 3.province"
    # row 4 has only 2 of 12 questionnaire answers: rejected with the reason, not assumed
    assert body["rows"][2]["errors"][0]["field"].startswith("row 4.maturity_answers")
    expand = [m for m in body["rows"][0]["result"]["markets"] if m["iso3"] in ("DEU", "FRA")]
    assert expand and all(m["status"] == "expand" for m in expand)


def test_batch_too_many_rows(client, keys):
    is_problem(client.post(f"{V1}/recommendations/batch", json={"firms": [PROFILE] * 1001}, headers=keys["a"]), 413)


def test_firm_crud_history_and_tenant_isolation(client, keys):
    r = client.post(f"{V1}/firms", json={"name": "Ceramiche Rossi", "vat_number": "00743110157", **PROFILE},
                    headers=keys["a"])
    assert r.status_code == 201
    fid = r.get_json()["id"]
    assert client.get(f"{V1}/firms/{fid}", headers=keys["a"]).get_json()["name"] == "Ceramiche Rossi"

    # tenant B sees nothing of tenant A
    is_problem(client.get(f"{V1}/firms/{fid}", headers=keys["b"]), 404)
    is_problem(client.patch(f"{V1}/firms/{fid}", json={"name": "hijack"}, headers=keys["b"]), 404)
    is_problem(client.delete(f"{V1}/firms/{fid}", headers=keys["b"]), 404)
    is_problem(client.get(f"{V1}/firms/{fid}/recommendations", headers=keys["b"]), 404)
    assert all(f["id"] != fid for f in client.get(f"{V1}/firms", headers=keys["b"]).get_json()["items"])
    is_problem(client.post(f"{V1}/feedback", json={"firm_id": fid, "market": "DE", "status": "planned",
                                                   "date": "2026-11-01"}, headers=keys["b"]), 404)

    r = client.patch(f"{V1}/firms/{fid}", json={"maturity_level": 3}, headers=keys["a"])
    assert r.status_code == 200 and r.get_json()["profile"]["maturity_level"] == 3
    is_problem(client.patch(f"{V1}/firms/{fid}", json={"province": "XX"}, headers=keys["a"]), 422)

    rec = client.post(f"{V1}/firms/{fid}/recommendations?k=3", headers=keys["a"]).get_json()
    assert rec["model_version"] and len(rec["result"]["markets"]) == 3
    client.post(f"{V1}/firms/{fid}/recommendations", headers=keys["a"])
    hist = client.get(f"{V1}/firms/{fid}/recommendations/history", headers=keys["a"]).get_json()["items"]
    assert len(hist) == 2 and hist[0]["id"] > hist[1]["id"]

    fb = client.post(f"{V1}/feedback", json={"firm_id": fid, "market": "Germania", "channel_id": "europages",
                                             "status": "first_sale", "date": "2026-11-01", "revenue_band": "10k-50k"},
                     headers=keys["a"])
    assert fb.status_code == 201 and fb.get_json()["market"] == "DEU"
    assert len(client.get(f"{V1}/feedback", headers=keys["a"]).get_json()["items"]) == 1
    assert client.get(f"{V1}/feedback", headers=keys["b"]).get_json()["items"] == []

    assert client.delete(f"{V1}/firms/{fid}", headers=keys["a"]).status_code == 204
    is_problem(client.get(f"{V1}/firms/{fid}", headers=keys["a"]), 404)


def test_vat_checksum(client, keys):
    assert is_valid_partita_iva("00743110157") and not is_valid_partita_iva("00743110158")
    body = is_problem(client.post(f"{V1}/firms", json={"name": "x", "vat_number": "00743110158", **PROFILE},
                                  headers=keys["a"]), 422)
    assert body["errors"][0]["field"] == "vat_number"


def test_feedback_validation(client, keys):
    body = is_problem(client.post(f"{V1}/feedback", json={"firm_id": 1, "market": "DE", "status": "won",
                                                          "date": "yesterday"}, headers=keys["a"]), 422)
    assert {e["field"] for e in body["errors"]} == {"status", "date"}


def test_keys_are_stored_hashed(app, keys):
    with app.extensions["db_sessions"]() as s:
        rows = s.scalars(select(ApiKey)).all()
    stored = {r.key_hash for r in rows} | {r.prefix for r in rows}
    for headers in keys.values():
        key = headers["X-API-Key"]
        assert key not in stored and hash_key(key) in stored


def test_reference_lookups_need_no_key(client):
    body = client.get(f"{V1}/provinces?q=modena").get_json()
    assert body["total"] == 1 and body["items"][0]["sigla"] == "MO"
    assert client.get(f"{V1}/districts?q=sassuolo").get_json()["items"][0]["provinces"] == "MO;RE"
    assert client.get(f"{V1}/markets?q=germania").get_json()["items"][0]["iso3"] == "DEU"
    assert client.get(f"{V1}/channels?q=zalando").get_json()["total"] == 1
    assert client.get(f"{V1}/sectors?q=abbigliamento").get_json()["total"] >= 1
    is_problem(client.get(f"{V1}/sectors?q=" + "x" * 200), 422)


def test_cli_keys(app):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["keys", "create", "--tenant", "CCIAA Arezzo", "--scope", "read"])
    assert out.exit_code == 0
    key = out.stdout.strip().splitlines()[0]
    prefix = key.split(".")[0]
    listing = runner.invoke(args=["keys", "list"]).stdout
    assert prefix in listing and key not in listing and "CCIAA Arezzo" in listing
    assert runner.invoke(args=["keys", "revoke", prefix]).exit_code == 0
    client = app.test_client()
    is_problem(client.post(f"{V1}/recommendations", json=PROFILE, headers={"X-API-Key": key}), 401)

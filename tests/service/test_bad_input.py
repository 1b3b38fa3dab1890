"""Hostile and messy input gets a 4xx problem+json listing every bad field,
never a 500; CSV the way Chambers export it from Excel."""

import io

from sqlalchemy import event

from api import create_app

PROFILE = {"ateco": "23.31", "province": "MO", "maturity_level": 2}
V1 = "/api/v1"


def is_problem(r, status):
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.content_type == "application/problem+json"
    body = r.get_json()
    assert body["status"] == status and body["title"]
    return body


def post_raw(client, path, body: bytes, headers, ctype="application/json"):
    return client.post(path, data=body, content_type=ctype, headers=headers)


# item 4: no 500 on hostile input

def test_huge_integer_is_a_client_error(client, keys):
    body = b'{"ateco": "23.31", "province": "MO", "maturity_level": ' + b"9" * 4400 + b"}"
    r = post_raw(client, f"{V1}/recommendations", body, keys["a"])
    assert 400 <= r.status_code < 500 and r.content_type == "application/problem+json"


def test_deeply_nested_json_is_a_client_error(client, keys):
    body = b'{"ateco": ' + b"[" * 10000 + b"]" * 10000 + b"}"
    r = post_raw(client, f"{V1}/recommendations", body, keys["a"])
    assert 400 <= r.status_code < 500 and r.content_type == "application/problem+json"


def test_lone_surrogate_is_not_stored(client, keys):
    body = b'{"name": "Rossi \\ud800", "ateco": "23.31", "province": "MO", "maturity_level": 2}'
    for path in ("/firms", "/recommendations"):
        r = post_raw(client, f"{V1}{path}", body, keys["a"])
        assert 400 <= r.status_code < 500 and r.content_type == "application/problem+json"


def test_nul_byte_is_rejected_with_its_field(client, keys):
    body = is_problem(client.post(f"{V1}/firms", json={**PROFILE, "name": "Rossi\x00srl"}, headers=keys["a"]), 422)
    assert [e["field"] for e in body["errors"]] == ["name"]
    r = client.post(f"{V1}/firms", json={**PROFILE, "name": "Rossi srl"}, headers=keys["a"])
    fid = r.get_json()["id"]
    body = is_problem(client.post(f"{V1}/feedback", json={"firm_id": fid, "market": "DE", "status": "planned",
                                                          "date": "2026-11-01", "note": "a\x00b"},
                                  headers=keys["a"]), 422)
    assert [e["field"] for e in body["errors"]] == ["note"]


def upload(client, keys, text: str | bytes, name="firms.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(f"{V1}/recommendations/batch?k=1", data={"file": (io.BytesIO(data), name)},
                       headers=keys["a"], content_type="multipart/form-data")


def test_csv_with_cr_only_line_endings(client, keys):
    r = upload(client, keys, "name,ateco,province,maturity_level\rRossi,23.31,MO,2\rVerdi,14.13,PO,1\r")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.get_json()["ok"] == 2


def test_csv_cell_too_large_is_a_row_error(client, keys):
    r = upload(client, keys, "name,ateco,province,maturity_level\n" + "x" * 140_000 + ",23.31,MO,2\nVerdi,14.13,PO,1\n")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    body = r.get_json()
    assert body["ok"] == 1 and body["failed"] == 1 and body["rows"][0]["row"] == 2
    assert "long" in body["rows"][0]["errors"][0]["reason"]


def _delete_firm_during_commit(app, other_worker, keys, fid):
    """Another worker deletes the firm through the API right when this request writes."""
    sessions = app.extensions["db_sessions"]
    fired = []

    def delete_now(session, _context, _instances):
        if not fired:
            fired.append(True)
            assert other_worker.delete(f"{V1}/firms/{fid}", headers=keys["a"]).status_code == 204

    event.listen(sessions, "before_flush", delete_now)
    return lambda: event.remove(sessions, "before_flush", delete_now)


def test_firm_deleted_while_feedback_or_recommendation_is_stored(app, client, keys):
    other_worker = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]}).test_client()
    for path, body in (("/feedback", {"market": "DE", "status": "planned", "date": "2026-11-01"}),
                       ("/firms/{fid}/recommendations", None)):
        fid = client.post(f"{V1}/firms", json={**PROFILE, "name": "Doomed"}, headers=keys["a"]).get_json()["id"]
        undo = _delete_firm_during_commit(app, other_worker, keys, fid)
        try:
            if body is None:
                r = client.post(f"{V1}{path.format(fid=fid)}?k=1", headers=keys["a"])
            else:
                r = client.post(f"{V1}{path}", json={**body, "firm_id": fid}, headers=keys["a"])
        finally:
            undo()
        assert r.status_code in (404, 409), r.get_data(as_text=True)[:300]
        assert r.content_type == "application/problem+json"


# item 5: every bad field at once

def test_every_bad_field_in_one_response(client, keys):
    body = is_problem(client.post(f"{V1}/recommendations", json={"ateco": "99.99", "province": "XX",
                                                                 "maturity_level": 9}, headers=keys["a"]), 422)
    assert {e["field"] for e in body["errors"]} == {"ateco", "province", "maturity_level"}
    assert any(e.get("suggestions") for e in body["errors"] if e["field"] == "province")


def test_query_and_body_errors_together(client, keys):
    body = is_problem(client.post(f"{V1}/recommendations?k=99&lang=de", json={**PROFILE, "maturity_level": 9},
                                  headers=keys["a"]), 422)
    assert {e["field"] for e in body["errors"]} == {"maturity_level", "query.k", "query.lang"}


def test_csv_row_lists_all_its_bad_fields(client, keys):
    r = upload(client, keys, "name,ateco,province,maturity_level,employees\nRossi,99.99,XX,9,many\n")
    errs = r.get_json()["rows"][0]["errors"]
    assert {e["field"] for e in errs} == {"row 2.ateco", "row 2.province", "row 2.maturity_level",
                                          "row 2.employees"}


# item 6: CSV as Chambers have it

def test_raw_text_csv_body(client, keys):
    r = client.post(f"{V1}/recommendations/batch?k=1", data="ateco,province,maturity_level\n23.31,MO,2\n",
                    content_type="text/csv", headers=keys["a"])
    assert r.status_code == 200 and r.get_json()["ok"] == 1


def test_italian_excel_export(client, keys):
    text = ("\ufeffname;ateco;province;maturity_level;current_markets\r\n"
            "Società Ceramica Né;23.31;MO;2;DE,FR\r\n"
            "Tessitura Città;14.13;Prato;1;\r\n")
    for encoding in ("cp1252", "latin-1", "utf-8"):
        data = text.encode(encoding) if encoding == "utf-8" else text.replace("\ufeff", "").encode(encoding)
        r = upload(client, keys, data)
        assert r.status_code == 200, (encoding, r.get_data(as_text=True)[:300])
        body = r.get_json()
        assert body["ok"] == 2, (encoding, body["rows"])
        assert body["rows"][0]["result"]["firm"]["name"] == "Società Ceramica Né"
        assert body["rows"][0]["result"]["firm"]["current_markets"] == ["DEU", "FRA"]


def test_duplicate_headers_reported(client, keys):
    body = is_problem(upload(client, keys, "ateco,province,ateco\n23.31,MO,14.13\n"), 422)
    assert any("duplicate" in e["reason"] and "ateco" in str(e.get("value")) for e in body["errors"])


def test_ragged_rows_reported_not_dropped(client, keys):
    r = upload(client, keys, "ateco,province,maturity_level\n23.31,MO,2,extra,cells\n14.13,PO\n23.31,MO,1\n")
    body = r.get_json()
    assert r.status_code == 200 and body["ok"] == 1 and body["failed"] == 2
    assert [row["row"] for row in body["rows"]] == [2, 3, 4]
    assert "cells" in body["rows"][0]["errors"][0]["reason"] and "cells" in body["rows"][1]["errors"][0]["reason"]


def test_unterminated_quote_reported(client, keys):
    r = upload(client, keys, 'name,ateco,province,maturity_level\nRossi,23.31,MO,2\n"Bianchi,14.13,PO,1\nVerdi,23.31,MO,2\n')
    body = r.get_json()
    assert r.status_code == 200, body
    assert body["rows"][0]["ok"] and not body["rows"][1]["ok"] and body["rows"][1]["row"] == 3
    assert "quote" in body["rows"][1]["errors"][0]["reason"]


def test_too_many_rows_same_status_json_and_csv(client, keys):
    r_json = client.post(f"{V1}/recommendations/batch", json={"firms": [PROFILE] * 1001}, headers=keys["a"])
    r_csv = upload(client, keys, "ateco,province,maturity_level\n" + "23.31,MO,2\n" * 1001)
    assert r_json.status_code == r_csv.status_code == 413


# item 10: small ones

def test_fractional_maturity_level_rejected(client, keys):
    body = is_problem(client.post(f"{V1}/recommendations", json={**PROFILE, "maturity_level": 2.5},
                                  headers=keys["a"]), 422)
    assert [e["field"] for e in body["errors"]] == ["maturity_level"]


def test_all_zero_partita_iva_rejected(client, keys):
    body = is_problem(client.post(f"{V1}/firms", json={**PROFILE, "name": "x", "vat_number": "00000000000"},
                                  headers=keys["a"]), 422)
    assert [e["field"] for e in body["errors"]] == ["vat_number"]


def test_deleted_firm_ids_are_not_reused(client, keys):
    ids = []
    for _ in range(2):
        fid = client.post(f"{V1}/firms", json={**PROFILE, "name": "x"}, headers=keys["a"]).get_json()["id"]
        assert client.delete(f"{V1}/firms/{fid}", headers=keys["a"]).status_code == 204
        ids.append(fid)
    assert ids[1] > ids[0]


def test_idempotency_key_does_not_duplicate(client, keys):
    headers = {**keys["a"], "Idempotency-Key": "firm-import-42"}
    r1 = client.post(f"{V1}/firms", json={**PROFILE, "name": "Once"}, headers=headers)
    r2 = client.post(f"{V1}/firms", json={**PROFILE, "name": "Once"}, headers=headers)
    assert r1.status_code == r2.status_code == 201 and r1.get_json()["id"] == r2.get_json()["id"]
    assert r2.headers.get("Idempotent-Replayed") == "true"
    # the same key with a different body is a client error, never a silent replay
    r3 = client.post(f"{V1}/firms", json={**PROFILE, "name": "Other"}, headers=headers)
    assert r3.status_code == 422 and r3.content_type == "application/problem+json"
    fid = r1.get_json()["id"]
    fb = {"firm_id": fid, "market": "DE", "status": "planned", "date": "2026-11-01"}
    h = {**keys["a"], "Idempotency-Key": "fb-1"}
    f1, f2 = client.post(f"{V1}/feedback", json=fb, headers=h), client.post(f"{V1}/feedback", json=fb, headers=h)
    assert f1.status_code == f2.status_code == 201 and f1.get_json()["id"] == f2.get_json()["id"]
    # another tenant using the same key string is independent
    other = client.post(f"{V1}/firms", json={**PROFILE, "name": "Once"},
                        headers={**keys["b"], "Idempotency-Key": "firm-import-42"})
    assert other.status_code == 201 and other.get_json()["id"] != fid

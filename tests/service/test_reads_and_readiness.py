"""Reads do not write, lists are paginated, history is capped; readiness and
the model swap tell the truth."""

import hashlib
import hmac
import shutil
import threading

from alembic import command
from sqlalchemy import func, select

from api import create_app
from api.cli import alembic_config
from api.db.models import StoredRecommendation
from api.keys import create_key
from recommender.model import artifact
from polling import eventually

PROFILE = {"ateco": "23.31", "province": "MO", "maturity_level": 2}
V1 = "/api/v1"


def stored(app) -> int:
    with app.extensions["db_sessions"]() as s:
        return s.scalar(select(func.count()).select_from(StoredRecommendation))


# item 7

def test_get_recommendation_does_not_write(app, client, keys):
    fid = client.post(f"{V1}/firms", json={**PROFILE, "name": "Reader"}, headers=keys["a"]).get_json()["id"]
    before = stored(app)
    assert client.get(f"{V1}/firms/{fid}/recommendations", headers=keys["a"]).status_code == 404
    assert stored(app) == before
    assert client.post(f"{V1}/firms/{fid}/recommendations", headers=keys["a_read"]).status_code == 403
    r = client.post(f"{V1}/firms/{fid}/recommendations?k=3", headers=keys["a"])
    assert r.status_code == 201 and len(r.get_json()["result"]["markets"]) == 3
    assert stored(app) == before + 1
    latest = client.get(f"{V1}/firms/{fid}/recommendations", headers=keys["a_read"])
    assert latest.status_code == 200 and latest.get_json()["id"] == r.get_json()["id"]
    assert stored(app) == before + 1


def _walk(client, url, headers):
    seen, pages = [], 0
    while url:
        r = client.get(url, headers=headers)
        assert r.status_code == 200
        body = r.get_json()
        seen += [x["id"] for x in body["items"]]
        pages += 1
        url = body.get("next")
        if url:
            assert 'rel="next"' in r.headers["Link"]
    return seen, pages


def test_every_list_is_paginated(client, keys):
    h = keys["b"]
    fids = [client.post(f"{V1}/firms", json={**PROFILE, "name": f"F{i}"}, headers=h).get_json()["id"]
            for i in range(5)]
    for fid in fids[:1]:
        for _ in range(3):
            assert client.post(f"{V1}/firms/{fid}/recommendations?k=1", headers=h).status_code == 201
        for _ in range(5):
            client.post(f"{V1}/feedback", json={"firm_id": fid, "market": "FR", "status": "planned",
                                                "date": "2026-11-01"}, headers=h)
    firms, pages = _walk(client, f"{V1}/firms?limit=2", h)
    assert sorted(firms, reverse=True) == firms and set(fids) <= set(firms) and pages >= 3
    feedback, pages = _walk(client, f"{V1}/feedback?limit=2", h)
    assert len(feedback) == 5 and len(set(feedback)) == 5 and pages == 3
    history, pages = _walk(client, f"{V1}/firms/{fids[0]}/recommendations/history?limit=2", h)
    assert len(history) == 3 and pages == 2


def test_history_is_capped_per_firm(tmp_path):
    url = f"sqlite:///{tmp_path / 'cap.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "HISTORY_MAX_PER_FIRM": 3})
    with app.extensions["db_sessions"]() as s:
        key = {"X-API-Key": create_key(s, "T", "write")[0]}
    c = app.test_client()
    fid = c.post(f"{V1}/firms", json={**PROFILE, "name": "x"}, headers=key).get_json()["id"]
    ids = [c.post(f"{V1}/firms/{fid}/recommendations?k=1", headers=key).get_json()["id"] for _ in range(5)]
    hist = c.get(f"{V1}/firms/{fid}/recommendations/history", headers=key).get_json()["items"]
    assert [h["id"] for h in hist] == ids[::-1][:3]


def test_timestamps_carry_a_utc_offset(client, keys):
    firm = client.post(f"{V1}/firms", json={**PROFILE, "name": "tz"}, headers=keys["a"]).get_json()
    again = client.get(f"{V1}/firms/{firm['id']}", headers=keys["a"]).get_json()
    for stamp in (firm["created_at"], again["created_at"], again["updated_at"]):
        assert stamp.endswith("+00:00") or stamp.endswith("Z"), stamp


# item 8

def test_not_ready_on_an_unmigrated_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    r = app.test_client().get(f"{V1}/readyz")
    assert r.status_code == 503 and "migrat" in r.get_json()["detail"]
    command.upgrade(alembic_config(url), "head")
    assert app.test_client().get(f"{V1}/readyz").status_code == 200


def test_database_outage_is_503_not_500(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://u:p@127.0.0.1:9/none"})
    c = app.test_client()
    for r in (c.get(f"{V1}/readyz"), c.get(f"{V1}/firms", headers={"X-API-Key": "abc.def"})):
        assert r.status_code == 503 and r.content_type == "application/problem+json"
        assert "127.0.0.1" not in r.get_data(as_text=True)


def _models(tmp_path, *versions):
    src = artifact._models_dir(None) / artifact.current_version()
    models = tmp_path / "models"
    models.mkdir()
    for v in versions:
        shutil.copytree(src, models / v)
    return models



def test_swap_off_the_request_path_and_refused_version_retried(tmp_path):
    models = _models(tmp_path, "v1", "v2")
    artifact.promote("v1", models)
    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "MODELS_DIR": str(models), "MODEL_CHECK_SECONDS": 0})
    c = app.test_client()
    assert c.get(f"{V1}/readyz").get_json()["model_version"] == "v1"
    assert c.get(f"{V1}/model").get_json()["version"] == "v1"  # what this worker serves, not the manifest's

    good = (models / "v2" / "model.txt").read_bytes()
    with open(models / "v2" / "model.txt", "ab") as fh:  # broken copy
        fh.write(b"\n")
    (models / "CURRENT").write_text("v2\n")
    holder = app.extensions["model_holder"]
    c.get(f"{V1}/readyz")
    assert eventually(lambda: holder.last_error and "checksum" in holder.last_error)
    r = c.get(f"{V1}/readyz")  # not ready: CURRENT names v2, which failed verification (v1 still serves)
    assert r.status_code == 503 and r.content_type == "application/problem+json" and r.headers["Retry-After"]
    detail = r.get_json()["detail"]
    assert "CURRENT names v2, which failed verification" in detail and "checksum" in detail and "v1" in detail
    assert str(models) not in r.get_data(as_text=True)
    assert c.get(f"{V1}/model").get_json()["version"] == "v1"  # requests are still answered with v1

    (models / "v2" / "model.txt").write_bytes(good)  # the operator fixes the copy: retried
    assert eventually(lambda: c.get(f"{V1}/readyz").get_json().get("model_version") == "v2")
    assert c.get(f"{V1}/model").get_json()["version"] == "v2"


def test_swap_does_not_stall_requests(tmp_path):
    models = _models(tmp_path, "v1", "v2")
    artifact.promote("v1", models)
    url = f"sqlite:///{tmp_path / 's.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "MODELS_DIR": str(models), "MODEL_CHECK_SECONDS": 0})
    c = app.test_client()
    c.get(f"{V1}/readyz")
    holder = app.extensions["model_holder"]
    real_load = holder._load
    gate = threading.Event()

    def slow_load(version):  # a load that takes as long as the test wants
        gate.wait(30)
        return real_load(version)

    holder._load = slow_load
    artifact.promote("v2", models)
    try:
        assert c.get(f"{V1}/readyz").get_json()["model_version"] == "v1"  # answered while v2 loads
    finally:
        gate.set()
    assert eventually(lambda: c.get(f"{V1}/readyz").get_json()["model_version"] == "v2")


def test_signed_manifest_required_when_a_key_is_set(tmp_path):
    models = _models(tmp_path, "v1", "v2")
    signing_key = "s3cret-signing-key"
    sig = hmac.new(signing_key.encode(), (models / "v1" / "manifest.json").read_bytes(), hashlib.sha256).hexdigest()
    (models / "v1" / "manifest.sig").write_text(sig + "\n")
    artifact.promote("v1", models)
    url = f"sqlite:///{tmp_path / 'sig.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "MODELS_DIR": str(models), "MODEL_CHECK_SECONDS": 0,
                      "MODEL_SIGNING_KEY": signing_key})
    c = app.test_client()
    assert c.get(f"{V1}/readyz").get_json()["model_version"] == "v1"
    # v2: model.txt changed and its checksum in the manifest edited to match, but no valid signature
    (models / "v2" / "manifest.sig").write_text("0" * 64 + "\n")
    artifact.promote("v2", models)
    holder = app.extensions["model_holder"]
    c.get(f"{V1}/readyz")
    assert eventually(lambda: holder.last_error and "signature" in holder.last_error)
    r = c.get(f"{V1}/readyz")
    assert r.status_code == 503 and "CURRENT names v2, which failed verification" in r.get_json()["detail"]
    assert c.get(f"{V1}/model").get_json()["version"] == "v1"

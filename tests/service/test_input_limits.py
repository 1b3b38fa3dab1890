"""Registry files at the edges (issue #21): size limits checked before parsing
(413 problem+json naming the limit, fast), a huge cell rejecting only its own
row in a batch and in a job."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest

from api.jobs.worker import Worker
from recommender import columns as C

V1 = "/api/v1"
HEADER = ["name", "ateco", "province", "maturity_level"]
ROWS = [["Ceramica Uno", "23.31", "MO", 2], ["Tessitura Due", "13.20", "PO", 1],
        ["Rubinetti Tre", "28.14", "BS", 3], ["Maglificio Quattro", "14.13", "PO", 2],
        ["Piastrelle Cinque", "23.31", "RE", 4]]


@pytest.fixture(scope="module", autouse=True)
def job_limits(app):
    app.config.update(JOB_CHUNK_ROWS=2, JOB_MAX_CONCURRENT=50)


def problem(r, status):
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.content_type == "application/problem+json"
    return r.get_json()


def batch(client, keys, data: bytes):
    return client.post(f"{V1}/recommendations/batch?k=1", data={"file": (io.BytesIO(data), "firms.csv")},
                       headers=keys["a"], content_type="multipart/form-data")


def submit(client, keys, data: bytes, name="registro.csv", multipart=True):
    if multipart:
        return client.post(f"{V1}/jobs?k=2", data={"file": (io.BytesIO(data), name)}, headers=keys["a"],
                           content_type="multipart/form-data")
    return client.post(f"{V1}/jobs?k=2", data=data, headers=keys["a"], content_type="application/octet-stream")


def run_job(app, client, keys, job_id) -> dict:
    assert Worker(app).run(once=True) >= 1
    return client.get(f"{V1}/jobs/{job_id}", headers=keys["a"]).get_json()


def download(client, keys, job_id, kind) -> list[dict]:
    r = client.get(f"{V1}/jobs/{job_id}/{kind}?format=parquet", headers=keys["a"])
    assert r.status_code == 200
    return pq.read_table(io.BytesIO(r.data)).to_pylist()


# item 1: header limits, before parsing

def test_forty_thousand_column_header_is_refused_with_the_limit(client, keys):
    wide = (",".join(f"c{i}" for i in range(40_000)) + "\n").encode()
    assert len(wide) > 200_000
    for r in (batch(client, keys, wide), submit(client, keys, wide)):
        body = problem(r, 413)
        assert [e["field"] for e in body["errors"]] == ["file"]
        assert "MAX_HEADER_CHARS" in body["errors"][0]["reason"]


def test_too_many_columns_within_the_header_size_is_refused(client, keys):
    many = (",".join(["x"] * 1000) + "\n").encode()                # 1,999 characters, 1,000 columns
    for r in (batch(client, keys, many), submit(client, keys, many)):
        body = problem(r, 413)
        assert body["errors"][0]["field"] == "file" and "MAX_COLUMNS" in body["errors"][0]["reason"]
        assert body["errors"][0]["value"] == 1000


def test_duplicate_and_unknown_columns_are_each_named(client, keys):
    body = problem(batch(client, keys, b"ateco;ateco;provincia;name;name\n23.31;23.31;MO;a;a\n"), 422)
    reasons = {e["reason"].split(";")[0]: e["value"] for e in body["errors"]}
    assert reasons["duplicate columns in the header"] == ["ateco", "name"]
    assert reasons["unknown columns"] == ["provincia"]


# item 3: a huge cell rejects its row only

HUGE = "x" * (1_100_000)  # over MAX_LINE (and csv's 1 MiB cell limit)


def _registry_with_a_huge_middle_row(quoted: bool) -> bytes:
    cell = f'"{HUGE}"' if quoted else HUGE
    return ("name,ateco,province,maturity_level\n"
            "Ceramica Uno,23.31,MO,2\n"
            f"{cell},23.31,MO,2\n"
            "Tessitura Due,13.20,PO,1\n"
            "Rubinetti Tre,28.14,BS,3\n").encode()


@pytest.mark.parametrize("quoted", [False, True])
def test_huge_cell_in_a_batch_rejects_only_its_row(client, keys, quoted):
    r = batch(client, keys, _registry_with_a_huge_middle_row(quoted))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    body = r.get_json()
    assert (body["ok"], body["failed"]) == (3, 1)
    assert [(x["row"], x["ok"]) for x in body["rows"]] == [(2, True), (3, False), (4, True), (5, True)]
    error = body["rows"][1]["errors"][0]
    assert error["field"] == "row 3" and "MAX_LINE" in error["reason"] and error["value"] > 1_000_000


def test_huge_cell_in_a_job_rejects_only_its_row(app, client, keys):
    job = submit(client, keys, _registry_with_a_huge_middle_row(False)).get_json()
    done = run_job(app, client, keys, job["id"])
    assert (done["status"], done["rows_done"], done["rows_ok"], done["rows_rejected"]) == ("done", 4, 3, 1)
    assert sorted({x[C.ROW] for x in download(client, keys, job["id"], "result")}) == [2, 4, 5]
    errors = download(client, keys, job["id"], "errors")
    assert [e[C.ROW] for e in errors] == [3] and "MAX_LINE" in errors[0][C.REASON]


def test_huge_cell_in_a_quoted_multiline_cell_rejects_only_its_row(client, keys):
    chunk = "y" * 600_000
    data = ("name,ateco,province,maturity_level\nCeramica Uno,23.31,MO,2\n"
            f'"{chunk}\n{chunk}",23.31,MO,2\nTessitura Due,13.20,PO,1\n').encode()
    body = batch(client, keys, data).get_json()
    assert [(x["row"], x["ok"]) for x in body["rows"]] == [(2, True), (3, False), (5, True)]  # 3: lines 3-4
    assert "MAX_LINE" in body["rows"][1]["errors"][0]["reason"]

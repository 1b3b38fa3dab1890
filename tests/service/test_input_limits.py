"""Registry files at the edges (issue #21): size limits checked before parsing
(413 problem+json naming the limit, fast), a huge cell rejecting only its own
row in a batch and in a job, XLSX uploads scored end to end, XLSX archives
and sheets that lie (zip bombs, a <dimension> tag claiming fewer rows, XML
entities) refused or read in full, never silently cut."""

from __future__ import annotations

import io
import re
import zipfile

import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from api.jobs.worker import Worker
from recommender import columns as C
from recommender.batch import read

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


# items 2 and 4: XLSX

def xlsx(rows=ROWS, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML changed by ``change(text) -> text``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = change(body.decode()).encode()
            dst.writestr(item, body)
    return out.getvalue()


@pytest.mark.parametrize("multipart", [True, False])
def test_xlsx_job_completes_with_every_row(app, client, keys, multipart):
    r = submit(client, keys, xlsx(), name="registro.xlsx", multipart=multipart)
    assert r.status_code == 202, r.get_data(as_text=True)[:500]
    job = r.get_json()
    assert job["input"]["format"] == "xlsx" and job["rows_estimate"] == 5
    done = run_job(app, client, keys, job["id"])
    assert (done["status"], done["rows_ok"], done["rows_rejected"]) == ("done", 5, 0), done
    result = download(client, keys, job["id"], "result")
    assert [(x[C.ROW], x[C.NAME]) for x in result] == [(i + 2, row[0]) for i, row in enumerate(ROWS)
                                                       for _ in range(2)]
    expected = client.post(f"{V1}/recommendations?k=2", json={"ateco": "23.31", "province": "MO",
                                                              "maturity_level": 2}, headers=keys["a"]).get_json()
    assert [x[C.MARKET] for x in result[:2]] == [m["iso3"] for m in expected["markets"]]


def test_xlsx_whose_dimension_claims_one_row_is_read_in_full(app, client, keys):
    lying = rewrite_sheet(xlsx(), lambda t: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:D1"', t))
    assert b'ref="A1:D1"' in zipfile.ZipFile(io.BytesIO(lying)).read("xl/worksheets/sheet1.xml")
    config = dict(app.config)
    try:
        app.config["JOB_MAX_ROWS"] = 4   # the sheet's 5 rows are counted, not its <dimension>'s 0
        body = problem(submit(client, keys, lying, name="registro.xlsx"), 413)
        assert "JOB_MAX_ROWS" in body["detail"]
    finally:
        app.config.update(config)
    job = submit(client, keys, lying, name="registro.xlsx").get_json()
    assert job["rows_estimate"] == 5
    done = run_job(app, client, keys, job["id"])
    assert (done["status"], done["rows_ok"], done["rows_rejected"]) == ("done", 5, 0)


def test_xlsx_zip_bomb_is_refused_before_it_is_opened(client, keys):
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx())) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/media/padding.bin", b"\0" * (64 << 20))   # 64 MiB of zeros in ~64 KB
    assert len(bomb.getvalue()) < 200_000
    body = problem(submit(client, keys, bomb.getvalue(), name="bomb.xlsx"), 413)
    assert body["errors"][0]["field"] == "file" and "MAX_XLSX_RATIO" in body["errors"][0]["reason"]


def test_xlsx_over_the_uncompressed_limit_is_refused(client, keys, monkeypatch):
    monkeypatch.setattr(read, "MAX_XLSX_UNZIPPED", 1000)
    body = problem(submit(client, keys, xlsx(), name="registro.xlsx"), 413)
    assert "MAX_XLSX_UNZIPPED" in body["errors"][0]["reason"]


def test_xlsx_row_with_too_many_cells_is_refused(client, keys, monkeypatch):
    monkeypatch.setattr(read, "MAX_CELLS_PER_ROW", 10)
    body = problem(submit(client, keys, xlsx(rows=[["Larga", "23.31", "MO", 2, *range(20)]]), name="w.xlsx"), 413)
    assert "MAX_CELLS_PER_ROW" in body["errors"][0]["reason"]


def test_xlsx_row_numbers_past_excels_last_row_are_refused(client, keys):
    far = rewrite_sheet(xlsx(), lambda t: t.replace('<row r="6"', '<row r="99999999"')
                        .replace('r="A6"', 'r="A99999999"').replace('r="B6"', 'r="B99999999"')
                        .replace('r="C6"', 'r="C99999999"').replace('r="D6"', 'r="D99999999"'))
    body = problem(submit(client, keys, far, name="far.xlsx"), 413)
    assert "MAX_SHEET_ROW" in body["errors"][0]["reason"]


def test_xlsx_with_xml_entities_is_refused(client, keys):
    import openpyxl
    assert openpyxl.DEFUSEDXML is True
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    evil = rewrite_sheet(xlsx(), lambda t: laughs + t.split("?>")[-1].replace("<v>", "<v>&lol2;", 1))
    body = problem(submit(client, keys, evil, name="evil.xlsx"), 422)
    assert body["errors"][0]["field"] == "file" and "not a readable XLSX" in body["errors"][0]["reason"]

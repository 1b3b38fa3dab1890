"""Registry scoring jobs through the API: an Italian Excel CSV with bad rows goes
through a job and its errors file names each bad row; a job worker killed with
SIGKILL mid-job ends, after another worker takes over, with the complete and
correct result; one Chamber cannot see or download another's job; quotas and
retention answer 4xx problem+json."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from api.db.models import Job
from api.jobs.queue import now
from api.jobs.worker import Worker
from recommender import columns as C
from recommender.batch import score_file

V1 = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ("\ufeffname;ateco;province;maturity_level;current_markets;website;ships_abroad\r\n"
            "Società Ceramica Né;23.31;MO;2;DE,FR;;\r\n"        # line 2
            "Tessitura Città;13.20;Prato;1;;;\r\n"               # line 3
            "Ditta Sbagliata;99.99;XX;9;;;\r\n"                  # line 4: ateco, province, maturity_level
            "Riga Corta;23.31\r\n"                                # line 5: ragged
            "\r\n"                                                # blank: skipped
            "Rubinetti Lumezzane;28.14;BS;3;US;;\r\n"            # line 7
            "Mezzo Questionario;14.13;PO;;;sì;no\r\n")           # line 8: 10 of 12 answers missing


@pytest.fixture(scope="module", autouse=True)
def small_chunks(app):
    app.config.update(JOB_CHUNK_ROWS=2, JOB_MAX_CONCURRENT=50)


def submit(client, key, data: bytes, query="k=3", multipart=True, name="registro.csv"):
    if multipart:
        return client.post(f"{V1}/jobs?{query}", data={"file": (io.BytesIO(data), name)}, headers=key,
                           content_type="multipart/form-data")
    return client.post(f"{V1}/jobs?{query}", data=data, headers=key, content_type="text/csv")


def problem(r, status):
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.content_type == "application/problem+json"
    return r.get_json()


def test_italian_excel_csv_with_bad_rows_through_a_job(app, client, keys):
    r = submit(client, keys["a"], REGISTRY.replace("\ufeff", "").encode("cp1252"), name="registro\x00.csv")
    assert r.status_code == 202, r.get_data(as_text=True)
    job = r.get_json()
    assert job["status"] == "queued" and r.headers["Location"].endswith(job["id"])
    assert job["input"]["format"] == "csv" and job["rows_estimate"] == 7
    assert job["input"]["name"] == "registro.csv"   # stored as text: no NUL
    problem(client.get(f"{V1}/jobs/{job['id']}/result", headers=keys["a"]), 409)  # not done yet

    assert Worker(app).run(once=True) == 1
    done = client.get(f"{V1}/jobs/{job['id']}", headers=keys["a"]).get_json()
    assert (done["status"], done["rows_done"], done["rows_ok"], done["rows_rejected"]) == ("done", 6, 3, 3)
    assert done["progress"] == 1.0 and done["model_version"] and done["expires_at"]

    r = client.get(f"{V1}/jobs/{job['id']}/errors?format=csv", headers=keys["a"])
    assert r.status_code == 200 and r.mimetype == "text/csv"
    errors = pcsv.read_csv(io.BytesIO(r.data)).to_pylist()
    fields = {}
    for e in errors:
        fields.setdefault(e[C.ROW], set()).add(e[C.FIELD] or "")
    assert fields == {4: {"ateco", "province", "maturity_level"}, 5: {"", "province", "maturity_level"},
                      8: {"maturity_answers"}}
    assert {e[C.NAME] for e in errors} == {"Ditta Sbagliata", "Riga Corta", "Mezzo Questionario"}

    r = client.get(f"{V1}/jobs/{job['id']}/result?format=parquet", headers=keys["a"])
    assert r.status_code == 200 and r.mimetype == "application/vnd.apache.parquet"
    result = pq.read_table(io.BytesIO(r.data)).to_pylist()
    assert [(x[C.ROW], x[C.RANK]) for x in result] == [(line, rank) for line in (2, 3, 7) for rank in (1, 2, 3)]
    assert result[0][C.NAME] == "Società Ceramica Né"
    expected = client.post(f"{V1}/recommendations?k=3", json={"ateco": "23.31", "province": "MO",
                           "maturity_level": 2, "current_markets": ["DE", "FR"]}, headers=keys["a"]).get_json()
    assert [(x[C.MARKET], x[C.SCORE], x[C.STATUS]) for x in result[:3]] == \
           [(m["iso3"], m["score"], m["status"]) for m in expected["markets"]]
    csv_result = pcsv.read_csv(io.BytesIO(client.get(f"{V1}/jobs/{job['id']}/result",
                                                     headers=keys["a"]).data)).to_pylist()
    assert [x[C.MARKET] for x in csv_result] == [x[C.MARKET] for x in result]


def test_one_chamber_cannot_see_or_download_anothers_job(app, client, keys):
    job = submit(client, keys["a"], REGISTRY.encode(), multipart=False).get_json()
    Worker(app).run(once=True)
    assert client.get(f"{V1}/jobs/{job['id']}", headers=keys["a"]).get_json()["status"] == "done"
    for path in ("", "/result", "/errors", "/result?format=parquet"):
        problem(client.get(f"{V1}/jobs/{job['id']}{path}", headers=keys["b"]), 404)
    assert job["id"] not in {j["id"] for j in client.get(f"{V1}/jobs", headers=keys["b"]).get_json()["items"]}
    assert job["id"] in {j["id"] for j in client.get(f"{V1}/jobs", headers=keys["a"]).get_json()["items"]}
    problem(client.get(f"{V1}/jobs/{'0' * 32}", headers=keys["a"]), 404)
    problem(client.get(f"{V1}/jobs/{job['id'][:-1]}%00/result", headers=keys["a"]), 404)   # malformed: 404 too
    problem(client.get(f"{V1}/jobs/{job['id']}"), 401)


def test_limits_quotas_and_bad_files_are_4xx(app, client, keys):
    problem(submit(client, keys["a_read"], REGISTRY.encode()), 403)               # submitting needs write
    body = problem(submit(client, keys["a"], b"ateco;provincia\n23.31;MO\n"), 422)
    assert any(e["field"] == "file" and "provincia" in str(e.get("value")) for e in body["errors"])
    problem(submit(client, keys["a"], b""), 422)
    problem(submit(client, keys["a"], b"PK\x03\x04 not really a workbook"), 422)
    problem(submit(client, keys["a"], REGISTRY.encode(), query="k=99"), 422)
    config = dict(app.config)
    try:
        app.config["JOB_MAX_BYTES"] = 100
        problem(submit(client, keys["a"], REGISTRY.encode()), 413)
        problem(submit(client, keys["a"], REGISTRY.encode(), multipart=False), 413)
        app.config["JOB_MAX_BYTES"] = config["JOB_MAX_BYTES"]
        app.config["JOB_MAX_ROWS"] = 3
        assert "rows" in problem(submit(client, keys["a"], REGISTRY.encode()), 413)["detail"]
        app.config["JOB_MAX_ROWS"] = config["JOB_MAX_ROWS"]
        app.config["JOB_MAX_CONCURRENT"] = 1
        assert submit(client, keys["b"], REGISTRY.encode()).status_code == 202
        r = submit(client, keys["b"], REGISTRY.encode())
        problem(r, 429)
        assert r.headers["Retry-After"]
        assert submit(client, keys["a"], REGISTRY.encode()).status_code == 202   # another Chamber's quota
    finally:
        app.config.update(config)
        Worker(app).run(once=True)
    leftovers = [p for p in Path(app.config["JOBS_DIR"]).iterdir() if not (p / "result.parquet").exists()]
    assert leftovers == []  # refused uploads leave no files behind


def test_results_are_deleted_after_retention(app, client, keys):
    job = submit(client, keys["a"], REGISTRY.encode()).get_json()
    worker = Worker(app)
    worker.run(once=True)
    assert client.get(f"{V1}/jobs/{job['id']}/result", headers=keys["a"]).status_code == 200
    with app.extensions["db_sessions"]() as s:
        s.execute(update(Job).where(Job.id == job["id"]).values(expires_at=now() - timedelta(seconds=1)))
        s.commit()
    assert worker.sweep(force=True) == 1
    assert not (Path(app.config["JOBS_DIR"]) / job["id"]).exists()
    assert client.get(f"{V1}/jobs/{job['id']}", headers=keys["a"]).get_json()["status"] == "expired"
    problem(client.get(f"{V1}/jobs/{job['id']}/result", headers=keys["a"]), 410)
    problem(client.get(f"{V1}/jobs/{job['id']}/errors", headers=keys["a"]), 410)


def _start_worker(app, env_extra) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "JOBS_DIR": app.config["JOBS_DIR"],
           "JOB_POLL_SECONDS": "0.1", **env_extra}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "api", "jobs", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _status(client, keys, job_id) -> dict:
    return client.get(f"{V1}/jobs/{job_id}", headers=keys["a"]).get_json()


def test_a_worker_killed_mid_job_ends_with_the_complete_result(app, client, keys, tmp_path):
    # 6,000 rows (test data made of the registry above, names numbered), committed 50 at a time
    lines = REGISTRY.split("\r\n")
    rows = [f"{name} {i}" + line[len(name):] for i in range(1000)
            for line in lines[1:] if line for name in [line.split(";")[0]]]
    data = ("\r\n".join([lines[0], *rows]) + "\r\n").encode("utf-8")
    job = submit(client, keys["a"], data, query="k=5").get_json()
    env = {"JOB_CHUNK_ROWS": "50", "JOB_LEASE_SECONDS": "2"}

    first = _start_worker(app, env)
    try:
        deadline = time.monotonic() + 60
        while _status(client, keys, job["id"])["rows_done"] < 300:     # a few chunks committed
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = _status(client, keys, job["id"])
    assert killed_at["status"] == "running" and killed_at["rows_done"] < 6000   # really mid-job

    second = _start_worker(app, env)
    try:
        deadline = time.monotonic() + 120
        while (st := _status(client, keys, job["id"]))["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, st
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert (st["status"], st["attempts"], st["rows_ok"], st["rows_rejected"]) == ("done", 2, 3000, 3000)

    # the same file through the command line's code path, uninterrupted
    (tmp_path / "registry.csv").write_bytes(data)
    score_file(tmp_path / "registry.csv", tmp_path / "cli.parquet", k=5, chunk_rows=50, progress_bar=False)
    got = client.get(f"{V1}/jobs/{job['id']}/result?format=parquet", headers=keys["a"]).data
    assert got == (tmp_path / "cli.parquet").read_bytes()
    errors = client.get(f"{V1}/jobs/{job['id']}/errors?format=parquet", headers=keys["a"]).data
    assert errors == (tmp_path / "cli.errors.parquet").read_bytes()
    assert pq.read_table(io.BytesIO(got)).num_rows == 3000 * 5

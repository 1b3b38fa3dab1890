"""The job worker beside gunicorn (`make run`: JOBS_EMBEDDED_WORKERS=1) is supervised (issue
#21): killed with SIGKILL again and again, it is replaced within seconds every time, and a job
submitted afterwards is run to the end."""

from __future__ import annotations

import io
import json
import os
import signal
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from alembic import command
from test_deployment import running_gunicorn

from api import create_app
from api.cli import alembic_config
from api.keys import create_key

KILLS = 4


def _processes() -> dict[int, tuple[int, list[bytes]]]:
    """pid -> (parent pid, command line) of every process."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            out[int(d.name)] = (ppid, (d / "cmdline").read_bytes().split(b"\0"))
        except (OSError, IndexError, ValueError):
            continue
    return out


def job_workers(master: int) -> list[int]:
    """Pids of the job workers under the gunicorn master (its descendants running `jobs worker`)."""
    procs = _processes()

    def under(pid: int) -> bool:
        while pid > 1:
            pid = procs.get(pid, (0, []))[0]
            if pid == master:
                return True
        return False

    return [pid for pid, (_, cmd) in procs.items() if b"jobs" in cmd and b"worker" in cmd and under(pid)]


def wait_for(predicate, seconds: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} not within {seconds} s")


def post_job(base: str, key: str) -> dict:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"registro.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\nname,ateco,province,maturity_level\nCeramica,23.31,MO,2\n"
            f"\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(f"{base}/api/v1/jobs?k=3", data=body, method="POST", headers={
        "X-API-Key": key, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(io.TextIOWrapper(r, "utf-8"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("supervised")
    url = f"sqlite:///{tmp / 'srv.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"DATABASE_URL": url})
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Modena", "write")[0]
    app.extensions["db_engine"].dispose()
    with running_gunicorn(tmp, url, WEB_CONCURRENCY="1", JOBS_EMBEDDED_WORKERS="1", JOBS_DIR=str(tmp / "jobs"),
                          JOB_LEASE_SECONDS="5") as (base, _, proc):
        yield {"base": base, "master": proc.pid, "key": key}


def test_a_killed_job_worker_is_replaced_every_time_and_jobs_still_run(server):
    pids = wait_for(lambda: job_workers(server["master"]), 30, "the first job worker")
    seen = set(pids)
    for _ in range(KILLS):
        assert len(pids) == 1
        os.kill(pids[0], signal.SIGKILL)
        started = time.monotonic()
        pids = wait_for(lambda: [p for p in job_workers(server["master"]) if p not in seen], 15, "a new job worker")
        assert time.monotonic() - started < 10
        seen.update(pids)
    job = post_job(server["base"], server["key"])

    def finished():
        req = urllib.request.Request(f"{server['base']}/api/v1/jobs/{job['id']}", headers={"X-API-Key": server["key"]})
        with urllib.request.urlopen(req, timeout=5) as r:
            body = json.load(r)
        return body if body["status"] in ("done", "failed") else None

    # the replacement worker may still be loading its model: a job waits for it, never for a dead one
    st = wait_for(finished, 120, "the job's end", every=2.5)  # job reads are limited to 30 a minute
    assert (st["status"], st["rows_ok"]) == ("done", 1)

"""The registry-scoring queue as an operator watches it (issue #21): /metrics shows the jobs per
status, the oldest queued and running job's age and the jobs whose worker died (lease run out);
and workers racing for one job: exactly one gets it, every time, on this module's database
(SQLite by default, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

from sqlalchemy import update

from api.db.models import Job
from api.jobs.queue import claim, now

V1 = "/api/v1"
CSV = b"name,ateco,province,maturity_level\nCeramica,23.31,MO,2\n"


def _metric(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.M)
    assert m, f"{name}{labels} missing from /metrics"
    return float(m.group(1))


def _submit(client, key) -> str:
    r = client.post(f"{V1}/jobs?k=3", data={"file": (io.BytesIO(CSV), "registro.csv")}, headers=key,
                    content_type="multipart/form-data")
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.get_json()["id"]


def test_metrics_show_the_queue_and_racing_workers_take_a_job_once(app, client, keys):
    sessions = app.extensions["db_sessions"]
    text = client.get(f"{V1}/metrics").get_data(as_text=True)
    assert _metric(text, "jobs", '{status="queued"}') == 0 and _metric(text, "jobs_oldest_queued_age_seconds") == 0

    job_id = _submit(client, keys["a"])
    with sessions() as s:
        s.execute(update(Job).where(Job.id == job_id).values(created_at=now() - timedelta(minutes=10)))
        s.commit()
    text = client.get(f"{V1}/metrics").get_data(as_text=True)
    assert _metric(text, "jobs", '{status="queued"}') == 1 and _metric(text, "jobs", '{status="running"}') == 0
    assert 600 <= _metric(text, "jobs_oldest_queued_age_seconds") < 700

    # eight workers race for it, 20 times: one claim each time, never two
    for attempt in range(20):
        won, start = [], threading.Barrier(8)

        def take(name: str) -> None:
            with sessions() as s:
                start.wait()
                job = claim(s, name, lease=60)
                if job is not None:
                    won.append((name, job.id))

        threads = [threading.Thread(target=take, args=(f"worker-{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(won) == 1 and won[0][1] == job_id, (attempt, won)
        with sessions() as s:
            row = s.get(Job, job_id)
            assert (row.status, row.worker, row.attempts) == ("running", won[0][0], attempt + 1)
            # hand it back as a dead worker would: its lease runs out
            s.execute(update(Job).where(Job.id == job_id).values(lease_until=now() - timedelta(seconds=1)))
            s.commit()

    text = client.get(f"{V1}/metrics").get_data(as_text=True)
    assert _metric(text, "jobs", '{status="queued"}') == 0 and _metric(text, "jobs", '{status="running"}') == 1
    assert _metric(text, "jobs_lease_expired") == 1 and _metric(text, "jobs_oldest_running_age_seconds") >= 600

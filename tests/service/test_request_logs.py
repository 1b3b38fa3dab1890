"""Structured logs (issue #21, item 8): X-Request-ID in and out of every
request, one JSON access line per request carrying it, JSON lines from the
job worker."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from api.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]
V1 = "/api/v1"
HEX32 = re.compile(r"[0-9a-f]{32}")


def test_request_id_is_kept_or_made_and_sent_back(client, keys):
    r = client.get(f"{V1}/feedback", headers={**keys["a"], "X-Request-ID": "nginx-7f3a.42:1"})
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "nginx-7f3a.42:1"
    for given in ("", "has spaces", "x" * 129, "quote\"d", "semi;colon"):
        r = client.get(f"{V1}/feedback", headers={**keys["a"], "X-Request-ID": given})
        assert HEX32.fullmatch(r.headers["X-Request-ID"]), given
    seen = set()
    for path, headers in ((f"{V1}/feedback", {}), (f"{V1}/nowhere", keys["a"]), (f"{V1}/healthz", {}), ("/", {})):
        r = client.get(path, headers=headers)   # 401, 404, 200, the web app: every response has one
        assert HEX32.fullmatch(r.headers["X-Request-ID"]), path
        seen.add(r.headers["X-Request-ID"])
    assert len(seen) == 4


def test_each_request_logs_one_json_line_with_its_request_id(client, keys, caplog):
    with caplog.at_level(logging.INFO, logger="api.access"):
        r = client.post(f"{V1}/recommendations?k=1", json={"ateco": "99.99"},
                        headers={**keys["a"], "X-Request-ID": "trace-42"})
    assert r.status_code == 422
    lines = [json.loads(JsonFormatter().format(rec)) for rec in caplog.records if rec.name == "api.access"]
    assert len(lines) == 1
    line = lines[0]
    assert {k: line[k] for k in ("level", "logger", "request_id", "method", "path", "status")} == {
        "level": "INFO", "logger": "api.access", "request_id": "trace-42", "method": "POST",
        "path": f"{V1}/recommendations", "status": 422}
    assert isinstance(line["tenant"], int) and line["duration_ms"] >= 0 and line["ts"].endswith("+00:00")
    assert keys["a"]["X-API-Key"] not in json.dumps(line)


def test_log_lines_inside_a_request_carry_its_id(app):
    record = logging.LogRecord("api.x", logging.ERROR, __file__, 1, "boom %s", ("here",), None)
    with app.test_request_context("/", headers={"X-Request-ID": "abc"}):
        app.preprocess_request()
        line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["request_id"], line["level"]) == ("boom here", "abc", "ERROR")


def test_job_worker_logs_json_lines(app, tmp_path):
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "JOBS_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "api", "jobs", "worker", "--once"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-500:]
    lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert any(x["logger"] == "api.jobs.worker" and x["message"].startswith("job worker") for x in lines)
    assert all({"ts", "level", "logger", "message"} <= set(x) for x in lines)

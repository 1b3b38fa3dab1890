"""What a Chamber's IT runs (issue #21): the systemd units pass `systemd-analyze verify` (with the
install path pointed at this checkout), the Dockerfile follows the rules below (a linter's,
checked here since no Dockerfile linter is packaged for Debian or PyPI), and the compose file
wires web, worker, PostgreSQL, Redis and nginx. Where a Docker daemon answers, the image is
built and answers /readyz."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ("export-recommender-web.service", "export-recommender-jobs@.service", "export-recommender-sweep.service",
         "export-recommender-sweep.timer")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path):
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        # the units name /opt/export-recommender; point them at this checkout's virtual environment
        text = text.replace("/opt/export-recommender/.venv", str(Path(sys.executable).parent.parent))
        (tmp_path / name.replace("@.service", "@1.service")).write_text(text.replace("/opt/export-recommender",
                                                                                    str(ROOT)))
    units = sorted(str(p) for p in tmp_path.iterdir())
    run = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True,
                         timeout=120)
    # verify exits 0 on a line it ignores ("Failed to parse ..., ignoring"): any line about our units is a problem
    problems = [line for line in (run.stdout + run.stderr).splitlines() if "export-recommender" in line]
    assert run.returncode == 0 and not problems, run.stdout + run.stderr
    web = (DEPLOY / "systemd" / "export-recommender-web.service").read_text()
    jobs = (DEPLOY / "systemd" / "export-recommender-jobs@.service").read_text()
    assert "Restart=always" in jobs and "jobs worker" in jobs and "User=recommender" in web
    assert "db upgrade" in web and "NoNewPrivileges=yes" in web and "NoNewPrivileges=yes" in jobs


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments left out."""
    logical, out = "", []
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        logical += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            word, _, rest = logical.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            logical = ""
    return out


def test_dockerfile_rules():
    ins = _instructions(DEPLOY / "Dockerfile")
    kinds = [k for k, _ in ins]
    base = dict(ins)["FROM"]
    assert re.fullmatch(r"python:3\.1[1-3]\.\d+-slim-(bookworm|trixie)", base), base  # a pinned version, Debian
    assert "ADD" not in kinds and "MAINTAINER" not in kinds                            # COPY only; LABEL for metadata
    user = [a for k, a in ins if k == "USER"]
    assert user and user[-1] not in ("root", "0") and kinds.index("USER") > kinds.index("COPY")
    assert "HEALTHCHECK" in kinds and "/api/v1/readyz" in dict(ins)["HEALTHCHECK"]
    runs = [a for k, a in ins if k == "RUN"]
    apt = next(a for a in runs if "apt-get install" in a)
    assert "--no-install-recommends" in apt and "rm -rf /var/lib/apt/lists" in apt and "apt-get update" in apt
    assert any("-c constraints.txt" in a for a in runs)                                # the pinned dependencies
    assert dict(ins)["CMD"].startswith("[")                                              # exec form


def test_compose_wires_every_service():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "db", "redis", "nginx"}
    assert services["worker"]["command"][-2:] == ["jobs", "worker"]
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["RATELIMIT_STORAGE_URI"] == "redis://redis:6379/0" and env["JOBS_EMBEDDED_WORKERS"] == "0"
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "/srv/nginx.conf" in services["nginx"]["command"][-1] and "web:8000" in services["nginx"]["command"][-1]
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "127.0.0.1:8000" in nginx and "listen 127.0.0.1:8080" in nginx  # what the compose command rewrites


def _docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _docker_daemon(), reason="no Docker daemon answers on this machine")
def test_image_builds_and_answers_readyz():
    tag = "export-recommender:test"
    subprocess.run(["docker", "build", "-f", "deploy/Dockerfile", "-t", tag, "."], cwd=ROOT, check=True,
                   timeout=1800)
    cid = subprocess.run(["docker", "run", "-d", "-p", "127.0.0.1::8000", "-e", "SECRET_KEY=test", tag],
                         capture_output=True, text=True, check=True).stdout.strip()
    try:
        port = subprocess.run(["docker", "port", cid, "8000"], capture_output=True, text=True,
                              check=True).stdout.strip().rsplit(":", 1)[1]
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/readyz", timeout=3) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the container did not get ready"
                time.sleep(1)
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)

"""The production layout, run for real on loopback: gunicorn as configured in
gunicorn.conf.py (2 workers) and nginx with deploy/nginx.conf in front.
Slow clients must not freeze /healthz, and /metrics counts every worker."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from alembic import command

from api.cli import alembic_config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5.0) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def wait_ready(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if get(url, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {seconds} s")


@contextlib.contextmanager
def running_gunicorn(tmp: Path, url: str, **settings: str):
    """gunicorn.conf.py as the service runs it, on a free loopback port with the database ``url``
    (migrated) and extra ``settings``, its log in ``tmp``; yields (base URL, port, process)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "BIND": f"127.0.0.1:{port}", **settings}
    log = open(tmp / "gunicorn.log", "w")
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/api/v1/readyz", proc)
        yield base, port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gunicorn")
    url = f"sqlite:///{tmp / 'srv.db'}"
    command.upgrade(alembic_config(url), "head")
    with running_gunicorn(tmp, url, WEB_CONCURRENCY="2", API_RATE_LIMIT="100000 per minute") as (base, port, proc):
        yield {"base": base, "port": port, "tmp": tmp, "pid": proc.pid}


def slow_connections(port: int, n: int) -> list[socket.socket]:
    """Connections that send half the request headers and then nothing (a slow client)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /api/v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        socks.append(s)
    return socks


def test_slow_clients_do_not_block_gunicorn_workers(gunicorn_server):
    socks = slow_connections(gunicorn_server["port"], 2)  # the incident: one per sync worker
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        status, _, _ = get(f"{gunicorn_server['base']}/api/v1/healthz", timeout=10)
        assert status == 200
        print(f"/healthz with 2 slow clients on gunicorn: {time.monotonic() - t0:.3f} s")
    finally:
        for s in socks:
            s.close()


def test_many_slow_clients_do_not_starve_bare_gunicorn(gunicorn_server):
    """40 clients that send half their headers and stall (5 times the 8 threads of 2 workers x 4),
    plus 20 that send a few header bytes per second: every /healthz probe meanwhile answers
    quickly, and the stalled clients are closed after the 10-s header timeout (issue #21)."""
    port = gunicorn_server["port"]
    stalled = slow_connections(port, 40)
    trickling = slow_connections(port, 20)
    probes, slow = 0, []
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            for s in trickling:
                try:
                    s.sendall(b"X-Slow: 1\r\n")  # a byte now and then: the connection keeps coming back
                except OSError:
                    pass
            t0 = time.monotonic()
            status, _, _ = get(f"{gunicorn_server['base']}/api/v1/healthz", timeout=5)
            took = time.monotonic() - t0
            probes += 1
            assert status == 200
            if took > 1.0:
                slow.append((round(t0 - deadline + 12, 1), round(took, 2)))
            time.sleep(0.3)
        print(f"{probes} /healthz probes with 60 slow clients on bare gunicorn, {len(slow)} over 1 s: {slow}")
        assert probes >= 20 and not slow
        # past the header timeout the stalled ones were closed by the server
        for s in stalled:
            s.settimeout(3)
            assert s.recv(1024) == b""
    finally:
        for s in stalled + trickling:
            s.close()


def _socket_owners(pids: list[int]) -> dict[int, int]:
    """socket inode -> the pid of the process among ``pids`` holding it (Linux /proc)."""
    owners = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    owners[int(target[8:-1])] = pid
    return owners


def test_a_clients_connections_are_spread_over_both_workers(gunicorn_server):
    """16 keep-alive connections of one client, opened at once, are served by both workers (one
    SO_REUSEPORT socket per worker). On one shared socket a worker could accept all of them while
    the other sat idle: the load benchmark measured half the throughput in such runs."""
    port = gunicorn_server["port"]
    workers = [int(p) for p in Path(f"/proc/{gunicorn_server['pid']}/task/{gunicorn_server['pid']}/children")
               .read_text().split()]
    assert len(workers) == 2
    conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(16)]
    try:
        for c in conns:
            c.sendall(b"GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for c in conns:
            assert c.recv(65536).startswith(b"HTTP/1.1 200")
        client_ports = {c.getsockname()[1] for c in conns}
        served = set()
        owners = _socket_owners(workers)
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], int(fields[9])
            if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) in client_ports:
                served.add(owners.get(inode))
        assert served == set(workers), served
    finally:
        for c in conns:
            c.close()


def test_metrics_count_every_worker(gunicorn_server):
    base = gunicorn_server["base"]
    n = 40
    for _ in range(n):
        assert get(f"{base}/api/v1/healthz")[0] == 200
    _, text, _ = get(f"{base}/api/v1/metrics")
    counts = [float(m) for m in re.findall(
        r'^api_requests_total\{[^}]*endpoint="/api/v1/healthz"[^}]*\} ([0-9.e+]+)$', text, re.M)]
    assert sum(counts) >= n  # every worker's requests, not just the answering one's
    assert 'api_model_info{' in text


def _signed_in_opener(base: str, email: str, password: str):
    """A urllib opener with the session cookie of a signed-in web user."""
    import http.cookiejar
    import urllib.parse
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    with opener.open(f"{base}/login", data=form, timeout=10) as r:
        assert r.url.endswith("/firms"), r.url  # signed in (the redirect was followed)
    return opener


def test_plan_pdf_under_threaded_workers(gunicorn_server):
    """The web app's PDF plan (WeasyPrint, Pango) under gunicorn's gthread
    workers: several plans at once, each a complete PDF; the session made by
    one worker is honoured by the other (one SECRET_KEY for all workers)."""
    from concurrent.futures import ThreadPoolExecutor

    from api import create_app, registry
    from api.auth.users import create_user

    app = create_app({"DATABASE_URL": f"sqlite:///{gunicorn_server['tmp'] / 'srv.db'}"})
    with app.extensions["db_sessions"]() as s:
        _, user = create_user(s, "CCIAA Prato", "pdf@prato.example", password="pdf-password-1")
        firm = registry.create_firm(s, user.tenant_id, {"name": "Maglificio PDF", "ateco": "14.13",
                                                         "province": "PO", "maturity_level": 2})
    app.extensions["db_engine"].dispose()
    base = gunicorn_server["base"]
    opener = _signed_in_opener(base, "pdf@prato.example", "pdf-password-1")

    def plan(i):
        with opener.open(f"{base}/firms/{firm.id}/plan.pdf?customer_type={'b2b' if i % 2 else 'b2c'}",
                         timeout=60) as r:
            return r.status, r.headers["Content-Type"], r.read()

    t0 = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(plan, range(4)))
    print(f"4 PDF plans at once on 2 gthread workers: {time.monotonic() - t0:.2f} s")
    for status, ctype, body in results:
        assert status == 200 and ctype == "application/pdf" and body[:5] == b"%PDF-" and b"%%EOF" in body[-1024:]
    assert get(f"{base}/api/v1/healthz")[0] == 200  # the workers survived


def _nginx_or_skip() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install nginx (.ci/run)")
        pytest.skip("nginx not installed")
    return nginx


@pytest.fixture(scope="module")
def nginx_proxy(gunicorn_server):
    nginx = _nginx_or_skip()
    tmp = gunicorn_server["tmp"] / "nginx"
    (tmp / "logs").mkdir(parents=True)
    port = free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{gunicorn_server['port']}").replace(
        "listen 127.0.0.1:8080", f"listen 127.0.0.1:{port}")
    (tmp / "site.conf").write_text(site)
    (tmp / "nginx.conf").write_text(
        "daemon off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/logs/error.log;\n"
        "events { worker_connections 512; }\n"
        "http {\n  access_log off;\n  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n"
        "  fastcgi_temp_path %s/f; uwsgi_temp_path %s/u; scgi_temp_path %s/s;\n  include %s/site.conf;\n}\n"
        % ((tmp,) * 8))
    proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/api/v1/healthz", proc, seconds=20)
        yield {"base": base, "port": port}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_slow_clients_behind_nginx(nginx_proxy):
    socks = slow_connections(nginx_proxy["port"], 30)  # many more than workers x threads
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        for _ in range(5):
            status, _, _ = get(f"{nginx_proxy['base']}/api/v1/healthz", timeout=5)
            assert status == 200
        print(f"5 x /healthz with 30 slow clients behind nginx: {time.monotonic() - t0:.3f} s")
    finally:
        for s in socks:
            s.close()


def test_nginx_limits_answer_problem_json(nginx_proxy):
    status, body, headers = get(f"{nginx_proxy['base']}/api/v1/healthz?q=" + "x" * 20000)
    assert status == 414 and headers["Content-Type"].startswith("application/problem+json"), body
    assert '"status": 414' in body or '"status":414' in body


def test_web_pages_behind_nginx(nginx_proxy):
    status, body, headers = get(f"{nginx_proxy['base']}/login")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and "csrf_token" in body


def test_each_web_worker_loads_and_warms_its_model_before_any_request(tmp_path):
    """No request is sent: both workers log the model they serve on their own (post_worker_init),
    so the first page after a (re)start does not wait for the model."""
    url = f"sqlite:///{tmp_path / 'srv.db'}"
    command.upgrade(alembic_config(url), "head")
    env = {**os.environ, "DATABASE_URL": url, "BIND": f"127.0.0.1:{free_port()}", "WEB_CONCURRENCY": "2"}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline, serving = time.monotonic() + 90, []
            while time.monotonic() < deadline and len(serving) < 2 and proc.poll() is None:
                time.sleep(0.5)
                serving = re.findall(r'"message": "serving model (mr-[\w.]+)"', log_path.read_text())
            assert len(serving) == 2, log_path.read_text()[-2000:]
        finally:
            proc.terminate()
            proc.wait(timeout=60)

"""gunicorn settings (production: behind nginx, see deploy/ and README).

No preload: LightGBM uses OpenMP, which does not survive fork, so every
worker loads (and verifies) its own model after forking.

Threaded workers (gthread): a slow client holds one thread, not a whole
worker, and the other threads keep answering. nginx in front (deploy/nginx.conf)
buffers whole requests and responses, so in production slow clients never
reach gunicorn at all.

Metrics: prometheus_client multiprocess mode. PROMETHEUS_MULTIPROC_DIR is set
here, before any worker imports prometheus_client; it is emptied when the
server starts and a dead worker's live gauges are dropped (child_exit).
"""

import os
import shutil
import tempfile



def _whole(name: str, default: int, minimum: int) -> int:
    """A whole-number setting of this file (README, Settings); a wrong one stops the start naming it.
    (The app's settings are validated by api.config.Settings; importing the app here would load the
    model's libraries into the master before forking.)"""
    value = os.environ.get(name, "").strip() or str(default)
    if not (value.isascii() and value.isdigit() and int(value) >= minimum):
        raise SystemExit(f"invalid settings: {name}={value!r} is not allowed: {name} must be a whole number, "
                         f"{minimum} or more")
    return int(value)


bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = _whole("WEB_CONCURRENCY", 2, 1)
worker_class = "gthread"
threads = _whole("GUNICORN_THREADS", 4, 1)
wsgi_app = "api:create_app()"
preload_app = False
timeout = 30             # a worker silent this long is killed and replaced
graceful_timeout = 20
keepalive = 5            # seconds an idle keep-alive connection may hold a thread's slot
# request size limits; gunicorn answers these with a plain-text/HTML 400 of its own
# (not problem+json): nginx in front answers them first, as problem+json (deploy/nginx.conf)
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None         # the app logs each request as a JSON line with its X-Request-ID (api/logs.py)
raw_env = ["OMP_NUM_THREADS=1"]

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(
    tempfile.gettempdir(), f"export-recommender-metrics-{os.getpid()}")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    """Fresh metrics directory: counts from an earlier run must not be added in."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


# Registry-scoring job workers beside the web workers (`make run` sets
# JOBS_EMBEDDED_WORKERS=1 so the quick start stays one command). Each is its own
# process (`flask --app api jobs worker`, a fresh interpreter: nothing forked
# from this master), restarted if it dies, stopped with SIGTERM when gunicorn
# exits (a job in progress goes back to the queue and resumes). In production
# run them as their own service instead and leave this at 0.
_jobs = {"procs": [], "stopping": False}


def _supervise(slot: int) -> None:
    import subprocess
    import sys
    import time
    while not _jobs["stopping"]:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "api", "jobs", "worker"])
        _jobs["procs"][slot] = proc
        proc.wait()
        if not _jobs["stopping"]:
            time.sleep(2)  # it died: start another, without spinning


def when_ready(server):
    import threading
    n = _whole("JOBS_EMBEDDED_WORKERS", 0, 0)
    _jobs["procs"] = [None] * n
    for slot in range(n):
        threading.Thread(target=_supervise, args=(slot,), name=f"job-worker-{slot}", daemon=True).start()
    if n:
        server.log.info("started %d job worker(s)", n)


def on_exit(server):
    _jobs["stopping"] = True
    for proc in _jobs["procs"]:
        if proc is not None and proc.poll() is None:
            proc.terminate()
    for proc in _jobs["procs"]:
        if proc is not None:
            try:
                proc.wait(timeout=graceful_timeout)
            except Exception:
                proc.kill()

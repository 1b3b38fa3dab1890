"""gunicorn settings (production: behind nginx, see deploy/ and README).

No preload: LightGBM uses OpenMP, which does not survive fork, so every
worker loads (and verifies) its own model after forking.

Threaded workers (gthread, guarded: gunicorn_workers.py): a client still
sending its headers holds no thread (it waits on the worker's poller, closed
after 10 s), and a stalled body or response read is cut after 10 s. nginx in
front (deploy/nginx.conf) buffers whole requests and responses, so in
production slow clients never reach gunicorn at all.

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
# each worker listens on its own SO_REUSEPORT socket and the kernel spreads new connections over
# them: on one shared socket a worker could accept every keep-alive connection of a client (all 8 or
# 16 of a load test, measured) while the other worker sat idle, halving throughput
reuse_port = True
# gthread, with request heads waited for off the thread pool and timed socket I/O: slow clients
# cannot hold the threads when nothing is in front of gunicorn (`make run`; gunicorn_workers.py)
worker_class = "gunicorn_workers.GuardedThreadWorker"
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
    """Fresh metrics directory: counts from an earlier run must not be added in; the job
    workers' supervisor, before any web worker is forked."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)
    _start_job_workers(server)


def when_ready(server):
    # with reuse_port the master holds no socket, so gunicorn's own "Listening at:" line names none
    server.log.info("Listening at: http://%s (each worker on its own SO_REUSEPORT socket)", bind)


def post_worker_init(worker):
    """Each web worker loads, verifies and warms its own model before it takes a request (no
    preload: see above), so the first page after a start is as fast as the others."""
    extensions = getattr(worker.wsgi, "extensions", {})
    if "model_holder" in extensions:
        extensions["model_holder"].warm()


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


# Registry-scoring job workers beside the web workers (`make run` sets
# JOBS_EMBEDDED_WORKERS=1 so the quick start stays one command). They run under
# their own small supervisor process (api/jobs/supervisor.py), started here
# before gunicorn forks any web worker: each worker is a fresh interpreter
# (`flask --app api jobs worker`: nothing forked from this master), restarted
# within seconds if it dies, stopped with SIGTERM when gunicorn exits (a job in
# progress goes back to the queue and resumes). Not a thread of this master:
# a process started from a thread while the master forks a web worker can
# leave that thread blocked forever (the web worker inherits the pipe the
# start is confirmed through), and the dead job worker is never replaced.
# In production run the workers as their own service instead and leave this at 0.
_jobs = {"supervisor": None}


def _start_job_workers(server) -> None:
    import subprocess
    import sys
    n = _whole("JOBS_EMBEDDED_WORKERS", 0, 0)
    if n:
        _jobs["supervisor"] = subprocess.Popen([sys.executable, "-m", "api.jobs.supervisor", str(n),
                                                str(graceful_timeout)])
        server.log.info("started %d job worker(s) under supervisor pid %d", n, _jobs["supervisor"].pid)


def on_exit(server):
    proc = _jobs["supervisor"]
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=graceful_timeout + 5)
        except Exception:
            proc.kill()

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

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
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
accesslog = "-"
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

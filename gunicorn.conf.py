"""gunicorn settings. No preload: LightGBM uses OpenMP, which does not survive
fork, so every worker loads (and verifies) its own model after forking."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
wsgi_app = "api:create_app()"
preload_app = False
timeout = 60
accesslog = "-"
raw_env = ["OMP_NUM_THREADS=1"]

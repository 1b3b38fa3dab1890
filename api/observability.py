"""Prometheus metrics: requests, latency, errors, model version.

Under gunicorn (PROMETHEUS_MULTIPROC_DIR set by gunicorn.conf.py) every
worker writes its values to files in that directory and /metrics adds up all
workers (prometheus_client multiprocess mode). Without it (tests, ``flask
run``) each app has its own in-memory registry.
"""

from __future__ import annotations

import os
import threading
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    def __init__(self):
        self.multiprocess = multiprocess_mode()
        self._model_lock = threading.Lock()
        # in multiprocess mode values live in files; a registry is only built to read them
        self.registry = None if self.multiprocess else CollectorRegistry()
        reg = {"registry": self.registry} if self.registry is not None else {"registry": None}
        self.requests = Counter("api_requests_total", "HTTP requests", ["endpoint", "method", "status"], **reg)
        self.errors = Counter("api_errors_total", "HTTP responses with status >= 400", ["endpoint", "status"], **reg)
        self.latency = Histogram("api_request_seconds", "request latency", ["endpoint"], **reg,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        # one series per live worker and version: a mixed fleet during a swap shows both
        self.model = Gauge("api_model_info", "serving model version", ["version"], multiprocess_mode="liveall",
                           **reg)

    def set_model(self, version: str | None) -> None:
        """This worker serves ``version`` (called by the model holder on every swap,
        so /metrics shows every worker's version, whichever worker answers it)."""
        with self._model_lock:
            if version == getattr(self, "_version", None):
                return
            old, self._version = getattr(self, "_version", None), version
            if old:
                self.model.labels(old).set(0)  # in multiprocess mode a removed series would live on in its file
            if version:
                self.model.labels(version).set(1)

    def exposition(self) -> bytes:
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

    def init_app(self, app: Flask) -> None:
        @app.before_request
        def _start():
            g._t0 = time.perf_counter()

        @app.after_request
        def _record(resp):
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            self.requests.labels(endpoint, request.method, str(resp.status_code)).inc()
            self.latency.labels(endpoint).observe(time.perf_counter() - getattr(g, "_t0", time.perf_counter()))
            if resp.status_code >= 400:
                self.errors.labels(endpoint, str(resp.status_code)).inc()
            return resp

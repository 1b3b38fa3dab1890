"""Prometheus metrics (per-app registry): requests, latency, errors, model version."""

from __future__ import annotations

import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("api_requests_total", "HTTP requests", ["endpoint", "method", "status"],
                                registry=self.registry)
        self.errors = Counter("api_errors_total", "HTTP responses with status >= 400", ["endpoint", "status"],
                              registry=self.registry)
        self.latency = Histogram("api_request_seconds", "request latency", ["endpoint"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        self.model = Gauge("api_model_info", "serving model version", ["version"], registry=self.registry)

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

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

    def exposition(self, queue: dict | None = None) -> bytes:
        """The text exposition: every worker's request metrics, plus ``queue`` (see
        :func:`queue_metrics`) read from the database at this scrape, the same whichever
        worker answers."""
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            text = generate_latest(registry)
        else:
            text = generate_latest(self.registry)
        return text + (generate_latest(_QueueCollector(queue)) if queue is not None else b"")

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


JOB_STATUSES = ("queued", "running", "done", "failed", "expired")


def queue_metrics(session, now) -> dict:
    """The registry-scoring queue as the jobs table has it now (api/jobs): jobs per status, the
    age of the oldest queued job, the oldest running one and the running jobs whose lease ran
    out (their worker died: another will take them over), and failed jobs' attempts."""
    from sqlalchemy import func, select

    from api.db.models import Job

    counts = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    oldest = dict(session.execute(select(Job.status, func.min(Job.created_at)).where(
        Job.status.in_(("queued", "running"))).group_by(Job.status)).all())
    stale = session.scalar(select(func.count()).where(Job.status == "running", Job.lease_until < now))

    def age(status):
        at = oldest.get(status)
        if at is None:
            return 0.0
        at = at if at.tzinfo else at.replace(tzinfo=now.tzinfo)
        return max((now - at).total_seconds(), 0.0)

    return {"jobs": {s: int(counts.get(s, 0)) for s in JOB_STATUSES}, "oldest_queued_seconds": age("queued"),
            "oldest_running_seconds": age("running"), "lease_expired": int(stale or 0)}


class _QueueCollector:
    """prometheus_client collector of one :func:`queue_metrics` reading."""

    def __init__(self, queue: dict):
        self.queue = queue

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        jobs = GaugeMetricFamily("jobs", "registry-scoring jobs by status", labels=["status"])
        for status, n in self.queue["jobs"].items():
            jobs.add_metric([status], n)
        yield jobs
        yield GaugeMetricFamily("jobs_oldest_queued_age_seconds", "age of the oldest queued job (0: none)",
                                value=self.queue["oldest_queued_seconds"])
        yield GaugeMetricFamily("jobs_oldest_running_age_seconds", "age of the oldest running job (0: none)",
                                value=self.queue["oldest_running_seconds"])
        yield GaugeMetricFamily("jobs_lease_expired", "running jobs whose worker's lease ran out (worker gone)",
                                value=self.queue["lease_expired"])

"""Structured logs: one JSON object per line on stderr, and a request id on
every request.

- ``X-Request-ID``: taken from the request when it is a sensible id (1-128
  characters among letters, digits and ``._:-``; nginx or a client may set
  it), else a new random one; sent back on every response and written in
  every log line made while the request runs.
- Each request logs one access line (logger ``api.access``): method, path,
  status, duration, request id, tenant (never the API key or the body).
- ``LOG_FORMAT`` = ``json`` (default) or ``text``; ``LOG_LEVEL``. Logging is
  set up by ``create_app()`` unless the app is TESTING (pytest keeps its
  own capture); records then carry the request id all the same.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
ACCESS = logging.getLogger("api.access")
_FIELDS = ("method", "path", "status", "duration_ms", "tenant")  # extra= fields of an access line


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: ts, level, logger, message, request_id, the access
    fields when present, exc (the traceback) for exceptions."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            out["request_id"] = rid
        for key in _FIELDS:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = getattr(record, "request_id", None) or request_id() or "-"
        return super().format(record)


class _Handler(logging.StreamHandler):
    """Ours, so configure() can be called again (each create_app) without a second handler.
    Writes to whatever sys.stderr is when a record comes (as logging's last resort does)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure(fmt: str = "json", level: str = "INFO") -> None:
    """Log to stderr in ``fmt`` (json | text) at ``level``, on the root logger."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _Handler)), None)
    if handler is None:
        handler = _Handler()
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin at every start
    # WeasyPrint and fontTools log every layout step and font subset at INFO: dozens of lines per PDF plan
    for noisy in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    if not app.testing:
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def _request_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if VALID_ID.fullmatch(given) else uuid.uuid4().hex
        g._log_t0 = time.perf_counter()

    @app.after_request
    def _access(resp):
        rid = g.get("request_id")
        if rid:
            resp.headers[HEADER] = rid
            caller = g.get("caller")
            ACCESS.info("%s %s %s", request.method, request.path, resp.status_code, extra={
                "request_id": rid, "method": request.method, "path": request.path, "status": resp.status_code,
                "duration_ms": round((time.perf_counter() - g.get("_log_t0", time.perf_counter())) * 1000, 1),
                "tenant": getattr(caller, "tenant_id", None)})
        return resp

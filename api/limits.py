"""Rate limits (Flask-Limiter).

- A verified key counts against its tenant: ``API_RATE_LIMIT``.
- Requests without a valid key (none, unknown, wrong secret, revoked) count
  against the client address: ``AUTH_FAILURE_RATE_LIMIT``. Keys are verified
  before any limit is counted (api.keys.identify_caller), so guessing secrets
  for a Chamber's key prefix never uses up that Chamber's allowance.
- A batch costs ``ceil(rows / BATCH_ROWS_PER_HIT)`` hits, not one.
- ``RATELIMIT_STORAGE_URI``: ``memory://`` counts per worker process; use
  ``redis://host:6379/0`` so all workers (and hosts) share the counts.
"""

from __future__ import annotations

import math

from flask import Flask, current_app, request
from flask_limiter import Limiter

from api.errors import ApiProblem
from api.keys import client_address_key, is_verified, tenant_limit_key
from api.request_body import json_body


def request_cost() -> int:
    """Hits a request costs: 1, or the batch's rows / BATCH_ROWS_PER_HIT."""
    if request.endpoint != "recommendations.batch":
        return 1
    rows = 0
    try:
        body = json_body()
        if isinstance(body, dict) and isinstance(body.get("firms"), list):
            rows = len(body["firms"])
        elif body is None:
            upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
            data = upload.stream.read() if upload is not None else request.get_data(cache=True)
            if upload is not None:
                upload.stream.seek(0)
            rows = max(data.count(b"\n"), data.count(b"\r")) - 1  # minus the header
    except ApiProblem:
        pass  # the view reports the bad body
    return max(1, math.ceil(rows / current_app.config["BATCH_ROWS_PER_HIT"]))


def init_app(app: Flask, keyed_blueprints) -> Limiter:
    limiter = Limiter(key_func=client_address_key, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
                      headers_enabled=True)

    def caller_limit() -> str:  # read per request: configurable
        return app.config["API_RATE_LIMIT" if is_verified() else "AUTH_FAILURE_RATE_LIMIT"]

    def caller_key() -> str:
        return tenant_limit_key() if is_verified() else client_address_key()

    def caller_cost() -> int:
        return request_cost() if is_verified() else 1

    # one limit whose allowance, key and cost follow the caller (one evaluation per request, where a
    # tenant limit and an address limit, each exempt for the other callers, cost twice as much)
    for blp in keyed_blueprints:
        limiter.limit(caller_limit, key_func=caller_key, cost=caller_cost)(blp)
    return limiter

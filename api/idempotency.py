"""``Idempotency-Key`` on POSTs that create something (firms, feedback).

Contract: a retry with the same key (same tenant, operation and body) after a
lost acknowledgement returns the resource created by the first request, with
``Idempotent-Replayed: true``, and creates nothing. The same key with another
body is a 422. The key row is written in the same transaction as the
resource, so either both exist or neither; two concurrent first attempts
race on the unique (tenant, key) constraint and the loser replays.
Keys are kept as long as the resource's tenant (no expiry).
"""

from __future__ import annotations

import hashlib

import orjson
from flask import after_this_request, g, request
from sqlalchemy import select

from api.db.models import IdempotencyKey
from api.errors import ApiProblem

HEADER = "Idempotency-Key"


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise ApiProblem(422, "Invalid input", "bad Idempotency-Key",
                         [{"field": f"header.{HEADER}", "reason": "1 to 200 printable characters"}])
    return key


def _hash(data) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def _operation() -> str:
    return f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"


def previous_resource_id(data) -> int | None:
    """The id created earlier under this request's Idempotency-Key, or None (first attempt or no key)."""
    key = _key()
    if key is None:
        return None
    row = g.db.scalar(select(IdempotencyKey).where(IdempotencyKey.tenant_id == g.caller.tenant_id,
                                                   IdempotencyKey.key == key))
    if row is None:
        return None
    if row.operation != _operation() or row.request_hash != _hash(data):
        raise ApiProblem(422, "Invalid input", "this Idempotency-Key was used for a different request",
                         [{"field": f"header.{HEADER}", "reason": "reused with another operation or body"}])

    @after_this_request
    def _mark(resp):
        resp.headers["Idempotent-Replayed"] = "true"
        return resp
    return row.resource_id


def remember(resource_id: int, data) -> None:
    """Record this request's key (if any) in the current transaction."""
    key = _key()
    if key is not None:
        g.db.add(IdempotencyKey(tenant_id=g.caller.tenant_id, key=key, operation=_operation(),
                                request_hash=_hash(data), resource_id=resource_id))

"""API keys: creation, hashing and the per-request check.

Keys are ``<prefix>.<secret>`` with ``secrets.token_urlsafe``; only the
SHA-256 of the full key and the prefix (for lookup) are stored, and the hash
is compared with ``hmac.compare_digest``. Scopes are ordered read < write < admin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import select

from api.db.models import ApiKey, Tenant
from api.errors import ApiProblem

SCOPES = ("read", "write", "admin")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session, tenant_name: str, scope: str = "write") -> tuple[str, ApiKey]:
    """Create (or reuse) the tenant and a new key; returns the plaintext key once."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    tenant = session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        tenant = Tenant(name=tenant_name)
        session.add(tenant)
        session.flush()
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    row = ApiKey(tenant_id=tenant.id, prefix=prefix, key_hash=hash_key(key), scope=scope)
    session.add(row)
    session.commit()
    return key, row


@dataclass(frozen=True)
class Caller:
    tenant_id: int
    tenant_name: str
    scope: str
    prefix: str


def authenticate(session, key: str | None) -> Caller | None:
    """The caller for a full key, or None if it is unknown, wrong or revoked (one database read)."""
    if not key or "." not in key:
        return None
    prefix = key.split(".", 1)[0]
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None)))
    if row is None or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    tenant = session.get(Tenant, row.tenant_id)
    return Caller(tenant.id, tenant.name, row.scope, row.prefix)


class VerifiedKeys:
    """Keys verified recently, kept in this process for ``ttl`` seconds.

    Contract: a revoked key keeps working in a worker for at most ``ttl``
    seconds after ``keys revoke`` (``API_KEY_CACHE_SECONDS``; 0 turns the
    cache off). Only successful verifications are cached, under the key's
    SHA-256, so wrong secrets always reach the database and are never
    mistaken for a cached key."""

    def __init__(self, ttl: float, max_entries: int = 10_000):
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def verify(self, session, key: str) -> Caller | None:
        if self.ttl <= 0:
            return authenticate(session, key)
        digest = hash_key(key)
        now = time.monotonic()
        hit = self._entries.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        caller = authenticate(session, key)
        with self._lock:
            if caller is None:
                self._entries.pop(digest, None)
            else:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()  # bounded memory; keys are re-verified on demand
                self._entries[digest] = (now + self.ttl, caller)
        return caller


def identify_caller() -> None:
    """before_request: verify X-API-Key if sent, before any rate limit is counted.

    Sets ``g.caller`` (a :class:`Caller` or None). The rate limits key on it:
    a verified key counts against its tenant, anything else against the
    client address, so wrong secrets cannot use up a tenant's allowance.
    Only the API (under /api/) knows keys: the web app's pages sign in with a
    session and never look at X-API-Key."""
    g.caller = None
    key = request.headers.get("X-API-Key")
    if key and request.path.startswith("/api/"):
        g.caller = current_app.extensions["verified_keys"].verify(g.db, key)


def require_key(scope: str = "read"):
    """Decorator: 401 without a valid X-API-Key, 403 if its scope is too low."""
    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caller = g.get("caller")
            if caller is None:
                raise ApiProblem(401, "Unauthorized", "a valid X-API-Key header is required",
                                 headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})
            if SCOPES.index(caller.scope) < SCOPES.index(scope):
                raise ApiProblem(403, "Forbidden", f"this key has scope {caller.scope!r}; {scope!r} is required")
            return view(*args, **kwargs)
        wrapper._required_scope = scope  # read by the OpenAPI post-processing
        return wrapper
    return deco


def tenant_limit_key() -> str:
    """Flask-Limiter key for verified callers: their tenant."""
    return f"tenant:{g.caller.tenant_id}"


def client_address_key() -> str:
    """Flask-Limiter key for everyone else: the client address (set
    ProxyFix behind nginx so this is the real client, see README)."""
    return "ip:" + (request.remote_addr or "unknown")


def is_verified() -> bool:
    return g.get("caller") is not None

"""API keys: creation, hashing and the per-request check.

Keys are ``<prefix>.<secret>`` with ``secrets.token_urlsafe``; only the
SHA-256 of the full key and the prefix (for lookup) are stored, and the hash
is compared with ``hmac.compare_digest``. Scopes are ordered read < write < admin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import wraps

from flask import g, request
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
    if not key or "." not in key:
        return None
    prefix = key.split(".", 1)[0]
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None)))
    if row is None or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    tenant = session.get(Tenant, row.tenant_id)
    return Caller(tenant.id, tenant.name, row.scope, row.prefix)


def require_key(scope: str = "read"):
    """Decorator: 401 without a valid X-API-Key, 403 if its scope is too low."""
    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caller = authenticate(g.db, request.headers.get("X-API-Key"))
            if caller is None:
                raise ApiProblem(401, "Unauthorized", "a valid X-API-Key header is required",
                                 headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})
            if SCOPES.index(caller.scope) < SCOPES.index(scope):
                raise ApiProblem(403, "Forbidden", f"this key has scope {caller.scope!r}; {scope!r} is required")
            g.caller = caller
            return view(*args, **kwargs)
        return wrapper
    return deco


def rate_limit_key() -> str:
    """Flask-Limiter key: the API key's public prefix, else the client address."""
    key = request.headers.get("X-API-Key", "")
    if "." in key:
        return "key:" + key.split(".", 1)[0]
    return "ip:" + (request.remote_addr or "unknown")



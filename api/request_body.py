"""The JSON request body, parsed once per request with orjson.

orjson refuses what Python's json module lets through to crash later: numbers
too large for a double (the stdlib turns a 4,400-digit integer into a
ValueError, not a decode error), nesting deeper than 1,024 levels (the stdlib
hits RecursionError) and lone surrogates such as ``"\\ud800"`` (the stdlib
returns a str that no database encoding accepts). Those become a 400. Strings
holding a NUL character are valid JSON but cannot be stored in PostgreSQL
text: they become a 422 naming each field.
"""

from __future__ import annotations

import orjson
from flask import g, request

from api.errors import ApiProblem
from api.registry import unstorable_text

_MISSING = object()


def json_body():
    """The request's JSON body (None when empty or not JSON), parsed once.

    Raises ApiProblem 400 for malformed JSON and 422 for NUL characters."""
    cached = g.get("_json_body", _MISSING)
    if cached is not _MISSING:
        return cached
    g._json_body = None
    if not request.is_json:
        return None
    data = request.get_data(cache=True)
    if not data.strip():
        return None
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiProblem(400, "Bad Request", "malformed JSON body",
                         [{"field": "", "reason": str(exc)}]) from None
    # orjson already refused lone surrogates and raw control characters: a NUL can only come as the
    # escape \u0000, so a body without one is not walked
    bad = unstorable_text(body) if b"\\u0000" in data else []
    if bad:
        raise ApiProblem(422, "Invalid input", "text may not contain NUL characters",
                         [{"field": e.field, "reason": "contains a NUL character (\\u0000)"} for e in bad])
    g._json_body = body
    return body

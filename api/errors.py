"""Every error of the API is ``application/problem+json`` (RFC 9457): type,
title, status, detail and, for validation, ``errors`` with field paths. Bad
input never yields a 500. (The web app's pages answer with HTML error pages
instead: see api/web.)"""

from __future__ import annotations

from flask import Flask, current_app, json
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from werkzeug.exceptions import HTTPException

from recommender.errors import FieldError, InputTooLarge, InvalidInput, LookupFailed, ModelError

PROBLEM = "application/problem+json"


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str = "", errors: list[dict] | None = None, headers=None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors, self.headers = status, title, detail, errors, headers or {}


def problem(status: int, title: str, detail: str = "", errors: list[dict] | None = None, headers=None):
    body = {"type": f"https://httpstatuses.io/{status}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    resp = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def field_errors(errors: list[FieldError], prefix: str = "") -> list[dict]:
    out = []
    for e in errors:
        d = e.as_dict()
        if prefix:
            d["field"] = f"{prefix}.{d['field']}" if d["field"] else prefix
        out.append(d)
    return out


def _flatten_marshmallow(messages, path="") -> list[dict]:
    out = []
    if isinstance(messages, dict):
        for k, v in messages.items():
            k = "" if k == "_schema" else str(k)
            out += _flatten_marshmallow(v, f"{path}.{k}" if path and k else path or k)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out += [{"field": path, "reason": m} for m in messages]
    elif isinstance(messages, list) and all(isinstance(m, dict) and "reason" in m for m in messages):
        out += [{**m, "field": path} for m in messages]  # library field errors (reason, value, suggestions)
    elif isinstance(messages, list):
        for i, m in enumerate(messages):
            out += _flatten_marshmallow(m, f"{path}[{i}]")
    else:
        out.append({"field": path, "reason": str(messages)})
    return out


# an outage or overload of the database, not a bug: 503, the client may retry
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, SATimeoutError)


def model_unavailable(e: ModelError):
    """No verified model to serve: the service is not ready (503, no server paths)."""
    from api.model_holder import without_paths
    return problem(503, "Service Unavailable", f"model: {without_paths(str(e))}", headers={"Retry-After": "30"})


def database_unavailable(e: Exception):
    current_app.logger.error("database unavailable: %s", e)
    return problem(503, "Service Unavailable", "database unavailable; retry later", headers={"Retry-After": "5"})


def _retry_after(e: HTTPException) -> int:
    """Seconds to wait after a 429: the window of the rate limit that was hit (Flask-Limiter's
    RateLimitExceeded carries it; its header injection then keeps the later of this and the
    window's reset), 60 when the limit is unknown."""
    item = getattr(getattr(e, "limit", None), "limit", None)  # RuntimeLimit -> limits.RateLimitItem
    if item is not None:
        return max(1, int(item.get_expiry()))
    return int(getattr(e, "retry_after", None) or 60)


def register(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _api_problem(e: ApiProblem):
        return problem(e.status, e.title, e.detail, e.errors, e.headers)

    @app.errorhandler(InvalidInput)
    def _invalid(e: InvalidInput):
        return problem(422, "Invalid input", "one or more fields are invalid", field_errors(e.errors))

    @app.errorhandler(InputTooLarge)
    def _too_large(e: InputTooLarge):  # a size limit of the reader, checked before parsing
        return problem(413, "Payload Too Large", "the file exceeds a size limit", field_errors(e.errors))

    @app.errorhandler(LookupFailed)
    def _lookup(e: LookupFailed):
        return problem(422, "Invalid input", str(e), field_errors([e.error]))

    app.register_error_handler(ModelError, model_unavailable)
    for exc in DATABASE_UNAVAILABLE:
        app.register_error_handler(exc, database_unavailable)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        errors = None
        # flask-smorest / webargs put marshmallow messages in e.data
        data = getattr(e, "data", None) or {}
        if e.code in (400, 422) and "messages" in data:
            msgs = data["messages"]
            # webargs nests by location ("json", "query", "files"); drop that level
            if isinstance(msgs, dict) and set(msgs) <= {"json", "query", "form", "files", "headers", "view_args"}:
                errors = []
                for loc, m in msgs.items():
                    errors += _flatten_marshmallow(m, "" if loc == "json" else loc)
            else:
                errors = _flatten_marshmallow(msgs)
        detail = e.description or ""
        if e.code == 400 and errors and any("JSON" in x["reason"] for x in errors):
            detail = "malformed JSON body"
        headers = {}
        if e.code == 429:
            headers["Retry-After"] = str(_retry_after(e))
        if e.code == 405 and e.get_response().headers.get("Allow"):
            headers["Allow"] = e.get_response().headers["Allow"]
        return problem(e.code or 500, e.name, detail, errors, headers)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):  # a bug, not the client's fault: log it, say nothing internal
        app.logger.exception("unhandled error")
        return problem(500, "Internal Server Error", "unexpected error; it has been logged")

"""Request argument parsing for every blueprint: flask-smorest's Blueprint with
a webargs parser that (1) reads JSON through :func:`api.request_body.json_body`
and (2) reports the errors of *every* argument location of an operation at
once (query-string errors no longer hide behind body errors).

Use ``from api.arguments import Blueprint`` instead of flask-smorest's.
"""

from __future__ import annotations

import http

import flask_smorest
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from api.keys import require_key
from api.request_body import json_body

# endpoint -> [(location, schema)] of every @arguments on it
_ARGUMENTS: dict[str, list[tuple[str, Schema]]] = {}


class Parser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        body = json_body()
        return core.missing if body is None else body

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        """Abort with this location's errors plus those of the operation's other locations."""
        messages = dict(error.messages)
        for location, other in _ARGUMENTS.get(req.endpoint or "", []):
            if location in messages:
                continue
            other = other() if isinstance(other, type) else other
            errors = other.validate(self._load_location_data(schema=other, req=req, location=location))
            if errors:
                messages[location] = errors
        abort(error_status_code or self.DEFAULT_VALIDATION_STATUS, exc=error, messages=messages, schema=schema,
              headers=error_headers)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def problems(self, *codes: int):
        """Document these error statuses (problem+json, see api.openapi)."""
        def wrapper(func):
            for code in codes:
                func = self.alt_response(code, response=http.HTTPStatus(code).name)(func)
            return func
        return wrapper

    def keyed(self, scope: str = "read"):
        """require_key(scope), documented: ApiKey security, 401, 403, 429."""
        def wrapper(func):
            func = require_key(scope)(func)
            func = self.problems(401, 403, 429)(func)
            return self.doc(security=[{"ApiKey": []}])(func)
        return wrapper

    def arguments(self, schema, *, location="json", **kwargs):
        # one schema instance per operation, not one per request (webargs would
        # instantiate a class each time, deep-copying its fields); marshmallow 4
        # schemas hold no per-load state, so sharing them across threads is safe
        schema = schema() if isinstance(schema, type) else schema
        decorator = super().arguments(schema, location=location, **kwargs)

        def wrapper(func):
            _ARGUMENTS.setdefault(f"{self.name}.{func.__name__}", []).append((location, schema))
            return decorator(func)
        return wrapper

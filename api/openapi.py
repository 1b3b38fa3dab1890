"""What the OpenAPI document says about errors and keys, kept true:

- every error response is ``application/problem+json`` with :class:`Problem`
  (flask-smorest's default error responses are re-registered with it);
- keyed operations carry the ``ApiKey`` security requirement and their
  401/403/429 answers (``Blueprint.keyed`` in api.arguments).
"""

from __future__ import annotations

import http

from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from api.errors import PROBLEM


class FieldProblem(Schema):
    field = fields.String(required=True, metadata={"description": "path of the bad field, e.g. firms[3].ateco"})
    reason = fields.String(required=True)
    value = fields.Raw(metadata={"description": "the value given"})
    suggestions = fields.List(fields.Raw())


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldProblem), metadata={"description": "every bad field (400/422)"})


class ProblemApi(Api):
    ERROR_SCHEMA = Problem

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

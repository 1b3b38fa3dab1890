"""orjson for large JSON responses (recommendations are ~32 KB each): several
times faster than the stdlib encoder plus marshmallow's dump of plain dicts."""

from __future__ import annotations

import orjson
from flask import current_app
from flask.json.provider import DefaultJSONProvider

from recommender.shared import SharedList

# subclasses of str, int, dict and list reach _default: a SharedList is written from the text kept on it
OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _default(obj):
    if type(obj) is SharedList:  # the same list in many answers (recommender.shared): encoded once
        text = obj.serialized
        if text is None:  # two threads may both encode it: the same text either way
            text = obj.serialized = orjson.Fragment(orjson.dumps(list(obj), option=OPTIONS, default=_default))
        return text
    if isinstance(obj, str):  # any other subclass: as its base type, as orjson writes it by default
        return str.__str__(obj)
    for base in (int, dict, list):
        if isinstance(obj, base):
            return base(obj)
    return DefaultJSONProvider.default(obj)


def dumps(obj) -> bytes:
    return orjson.dumps(obj, option=OPTIONS, default=_default)


def json_response(obj, status: int = 200, headers=None):
    """A ready application/json response; flask-smorest passes Response objects through."""
    return current_app.response_class(dumps(obj), status=status, mimetype="application/json", headers=headers)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider on orjson (jsonify, flask-smorest responses)."""

    def dumps(self, obj, **kwargs) -> str:
        return dumps(obj).decode()

    def loads(self, s, **kwargs):
        return orjson.loads(s)

"""Job request and response schemas (marshmallow, for validation and the OpenAPI spec)."""

from marshmallow import EXCLUDE, Schema, fields, validate

from api.schemas import PageOut


class JobQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    lang = fields.String(load_default="it", validate=validate.OneOf(["it", "en"]),
                         metadata={"description": "language of the market names in the result"})
    k = fields.Integer(load_default=10, validate=validate.Range(min=1, max=30),
                       metadata={"description": "markets per firm"})


class DownloadQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "parquet"]))


class JobInput(Schema):
    name = fields.String(allow_none=True)
    format = fields.String(metadata={"description": "csv | xlsx | parquet"})
    bytes = fields.Integer()
    sha256 = fields.String()


class JobOut(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "queued | running | done | failed | expired"})
    k = fields.Integer()
    lang = fields.String()
    input = fields.Nested(JobInput)
    rows_estimate = fields.Integer(allow_none=True, metadata={"description": "upper bound of the data rows"})
    rows_done = fields.Integer()
    rows_ok = fields.Integer()
    rows_rejected = fields.Integer()
    progress = fields.Float(metadata={"description": "0-1"})
    attempts = fields.Integer()
    model_version = fields.String(allow_none=True)
    error = fields.Dict(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "when its files are deleted"})
    links = fields.Dict(keys=fields.String(), values=fields.String())


class JobList(PageOut):
    items = fields.List(fields.Nested(JobOut))

"""POST /recommendations and /recommendations/batch (JSON or CSV upload)."""

from __future__ import annotations

import csv
import io

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import ValidationError

from api.errors import ApiProblem, _flatten_marshmallow, field_errors
from api.keys import require_key
from api.schemas import QUESTION_IDS, BatchIn, BatchOut, FirmProfileIn, Recommendation, RecommendQuery
from recommender.errors import InvalidInput
from recommender.recommend import FirmProfile

blp = Blueprint("recommendations", __name__, url_prefix="/api/v1", description="Recommendations for firms")

CSV_COLUMNS = ["name", "ateco", "province", "district", "customer_type", "maturity_level", "current_markets",
               "excluded_markets", "languages", "employees", *QUESTION_IDS]
LIST_COLUMNS = {"current_markets", "excluded_markets", "languages"}


def recommend_one(data: dict, k: int, lang: str) -> dict:
    return current_app.extensions["model_holder"].get().recommend(FirmProfile.from_dict(data), k=k, lang=lang)


@blp.route("/recommendations", methods=["POST"])
@require_key("read")
@blp.arguments(FirmProfileIn)
@blp.arguments(RecommendQuery, location="query", as_kwargs=True)
@blp.response(200, Recommendation)
@blp.alt_response(422, description="invalid fields (problem+json with `errors`)")
def recommend(profile, lang, k):
    """Markets, reasons, channels and next steps for one firm profile."""
    return recommend_one(profile, k, lang)


def _csv_rows(upload) -> list[dict]:
    """CSV -> profile dicts. Lists use ';' inside a cell; questionnaire answers
    are columns named after the question ids (yes/no/1/0/true/false)."""
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiProblem(422, "Invalid input", "the CSV must be UTF-8", [{"field": "file", "reason": "not UTF-8"}])
    reader = csv.DictReader(io.StringIO(text))
    unknown = [c for c in (reader.fieldnames or []) if c not in CSV_COLUMNS]
    if not reader.fieldnames or "ateco" not in reader.fieldnames or unknown:
        raise ApiProblem(422, "Invalid input", "bad CSV header",
                         [{"field": "file", "reason": f"columns must be among {CSV_COLUMNS}; 'ateco' is required",
                           "value": unknown or reader.fieldnames}])
    rows = []
    for rec in reader:
        d, answers = {}, {}
        for col, val in rec.items():
            if col is None or val is None or val.strip() == "":
                continue
            val = val.strip()
            if col in QUESTION_IDS:
                answers[col] = val
            elif col in LIST_COLUMNS:
                d[col] = [x.strip() for x in val.split(";") if x.strip()]
            elif col in ("maturity_level", "employees"):
                d[col] = val
            else:
                d[col] = val
        if answers:
            d["maturity_answers"] = answers
        rows.append(d)
    return rows


@blp.route("/recommendations/batch", methods=["POST"])
@require_key("read")
@blp.arguments(RecommendQuery, location="query", as_kwargs=True)
@blp.response(200, BatchOut)
@blp.doc(requestBody={
    "description": "Up to 1,000 profiles as JSON `{\"firms\": [...]}` or a CSV upload (`multipart/form-data`, "
                   f"field `file`, columns {', '.join(CSV_COLUMNS)}; lists separated by ';'). Every row gets its "
                   "result or its own errors. For larger registries, send chunks of 1,000 rows.",
    "content": {"application/json": {"schema": "BatchIn"},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "format": "binary"}}}}}})
def batch(lang, k):
    """Batch scoring: each row its result or its own error; good rows are never dropped."""
    limit = current_app.config["BATCH_MAX_ROWS"]
    if request.files.get("file") is not None:
        rows = _csv_rows(request.files["file"])
        line_of = lambda i: i + 2  # noqa: E731  (header is line 1)
    else:
        payload = request.get_json(silent=True)
        if payload is None:
            raise ApiProblem(400, "Bad Request", "send JSON {\"firms\": [...]} or a CSV file in the 'file' field")
        try:
            rows = BatchIn().load(payload)["firms"]
        except ValidationError as exc:
            raise ApiProblem(422, "Invalid input", "invalid batch", _flatten_marshmallow(exc.messages)) from None
        line_of = lambda i: i  # noqa: E731
    if len(rows) > limit:
        raise ApiProblem(413, "Payload Too Large", f"at most {limit} rows per request; split larger registries")
    if not rows:
        raise ApiProblem(422, "Invalid input", "no rows", [{"field": "firms", "reason": "empty"}])
    holder = current_app.extensions["model_holder"].get()  # one model for the whole batch
    out, ok = [], 0
    for i, data in enumerate(rows):
        prefix = f"firms[{i}]" if line_of(0) == 0 else f"row {line_of(i)}"
        try:
            shape = FirmProfileIn().validate(data)
            if shape:
                raise _ShapeError(_flatten_marshmallow(shape))
            result = holder.recommend(FirmProfile.from_dict(data), k=k, lang=lang)
            out.append({"row": line_of(i), "ok": True, "result": result, "errors": None})
            ok += 1
        except InvalidInput as exc:
            out.append({"row": line_of(i), "ok": False, "result": None, "errors": field_errors(exc.errors, prefix)})
        except _ShapeError as exc:
            errs = [{**e, "field": f"{prefix}.{e['field']}"} for e in exc.errors]
            out.append({"row": line_of(i), "ok": False, "result": None, "errors": errs})
    return {"rows": out, "ok": ok, "failed": len(rows) - ok, "model_version": holder.model.version}


class _ShapeError(Exception):
    def __init__(self, errors):
        self.errors = errors

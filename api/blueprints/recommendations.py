"""POST /recommendations and /recommendations/batch (JSON, CSV upload or raw text/csv)."""

from __future__ import annotations

from flask import current_app, g, request
from marshmallow import ValidationError

from api.arguments import Blueprint
from api.errors import ApiProblem, _flatten_marshmallow, field_errors
from api.fast_json import json_response
from api.request_body import json_body
from api.schemas import firm_profile, BatchIn, BatchOut, FirmProfileIn, Recommendation, RecommendQuery
from recommender.batch.read import COLUMNS as CSV_COLUMNS, open_input
from recommender.batch.rows import check_row

blp = Blueprint("recommendations", __name__, url_prefix="/api/v1", description="Recommendations for firms")
_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
               type(None): "null"}


@blp.route("/recommendations", methods=["POST"])
@blp.keyed("read")
@blp.arguments(FirmProfileIn)
@blp.arguments(RecommendQuery, location="query", as_kwargs=True)
@blp.response(200, Recommendation)
@blp.problems(413, 422)
def recommend(profile, lang, k):
    """Markets, reasons, channels and next steps for one firm profile."""
    result = current_app.extensions["model_holder"].get().recommend(firm_profile(profile), k=k, lang=lang,
                                                                    tenant=g.caller.tenant_id)
    return json_response(result)  # 32 KB of plain JSON: serialised directly, not re-dumped by marshmallow


def _rows() -> tuple[list[dict], bool]:
    """[{"line", "data" or "profile", "errors"}] from a multipart `file`, a text/csv body or JSON; and
    whether it was CSV. CSV rows are checked by the library's one row validation (the same as
    registry scoring's, recommender.batch.rows); JSON rows by FirmProfileIn in the view."""
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    if upload is not None or request.mimetype in ("text/csv", "application/csv", "text/plain"):
        raw = upload.read() if upload is not None else request.get_data(cache=True)
        inp = open_input(raw)  # a bad header or a NUL character: InvalidInput, a 422 listing the file's errors
        rows = []
        for line, cells, row_errors in inp.rows():
            verdict = check_row(inp.header, cells, inp.list_separators, row_errors)
            if isinstance(verdict, list):
                rows.append({"line": line, "profile": None, "errors": field_errors(verdict)})
            else:
                rows.append({"line": line, "profile": verdict, "errors": []})
        return rows, True
    if request.mimetype == "multipart/form-data":
        raise ApiProblem(422, "Invalid input", "no CSV file", [{"field": "file", "reason": "required"}])
    if not request.is_json:
        raise ApiProblem(415, "Unsupported Media Type", "send JSON {\"firms\": [...]}, a CSV file in the "
                                                        "multipart field 'file' or a text/csv body")
    payload = json_body()
    if payload is None:
        raise ApiProblem(422, "Invalid input", "empty body", [{"field": "firms", "reason": "required"}])
    try:
        firms = BatchIn().load(payload)["firms"]
    except ValidationError as exc:
        raise ApiProblem(422, "Invalid input", "invalid batch", _flatten_marshmallow(exc.messages)) from None
    return [{"line": i, "data": d, "errors": []} for i, d in enumerate(firms)], False


@blp.route("/recommendations/batch", methods=["POST"])
@blp.keyed("read")
@blp.arguments(RecommendQuery, location="query", as_kwargs=True)
@blp.response(200, BatchOut)
@blp.problems(400, 413, 415, 422)
@blp.doc(requestBody={
    "required": True,
    "description": "Up to 1,000 profiles as JSON `{\"firms\": [...]}`, a CSV upload (`multipart/form-data`, "
                   "field `file`) or a raw `text/csv` body. CSV: columns "
                   f"{', '.join(CSV_COLUMNS)}; separator `,` or `;` (Italian Excel), UTF-8 (BOM optional) or "
                   "Windows-1252; lists inside a cell separated by the other separator or `|`. Every row gets "
                   "its result or its own errors. More than 1,000 rows: 413, for JSON and CSV alike; send chunks.",
    "content": {"application/json": {"schema": "BatchIn"},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}}}},
                "text/csv": {"schema": {"type": "string"}}}})
def batch(lang, k):
    """Batch scoring: each row its result or its own error; good rows are never dropped."""
    limit = current_app.config["BATCH_MAX_ROWS"]
    rows, is_csv = _rows()
    if len(rows) > limit:
        raise ApiProblem(413, "Payload Too Large", f"at most {limit} rows per request; split larger registries")
    if not rows:
        raise ApiProblem(422, "Invalid input", "no rows", [{"field": "firms", "reason": "empty"}])
    rec = current_app.extensions["model_holder"].get()  # one model for the whole batch
    schema = FirmProfileIn()
    out, ok = [], 0
    for r in rows:
        prefix = f"row {r['line']}" if is_csv else f"firms[{r['line']}]"
        errors = list(r["errors"])
        if not is_csv and not isinstance(r["data"], dict):
            errors.append({"field": "", "reason": "must be an object (a firm profile), not "
                                                  f"{_JSON_TYPES.get(type(r['data']), 'this')}"})
        elif not is_csv:
            errors += _flatten_marshmallow(schema.validate(r["data"]))
        if errors:
            errs = [{**e, "field": f"{prefix}.{e['field']}" if e["field"] else prefix} for e in errors]
            out.append({"row": r["line"], "ok": False, "result": None, "errors": errs})
            continue
        result = rec.recommend(r["profile"] if is_csv else firm_profile(r["data"]), k=k, lang=lang,
                               tenant=g.caller.tenant_id)
        out.append({"row": r["line"], "ok": True, "result": result, "errors": None})
        ok += 1
    return json_response({"rows": out, "ok": ok, "failed": len(rows) - ok, "model_version": rec.model.version})

"""The firm registry of a Chamber and the recommendations stored for its firms."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from api import idempotency
from api.arguments import Blueprint
from api.db.models import Firm, StoredRecommendation
from api.errors import ApiProblem
from api.pagination import page
from api.schemas import FirmIn, firm_profile, FirmList, FirmOut, FirmPatch, HistoryOut, Page, RecommendQuery, StoredRecommendationOut

blp = Blueprint("firms", __name__, url_prefix="/api/v1", description="Firm registry of a Chamber")
PROFILE_FIELDS = set(FirmIn().fields) - {"name", "vat_number"}


def _validated(data: dict) -> tuple[str, str | None, dict]:
    """(name, vat, profile); the profile checked by the library (422 with field errors)."""
    profile = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    firm_profile(profile)  # raises InvalidInput -> 422 with field errors
    return data.get("name"), data.get("vat_number"), profile


MAX_ID = 2**31 - 1  # database integer range; anything larger cannot exist


def _own_firm(firm_id: int) -> Firm:
    if not 0 < firm_id <= MAX_ID:
        raise ApiProblem(404, "Not Found", f"no firm {firm_id}")
    firm = g.db.scalar(select(Firm).where(Firm.id == firm_id, Firm.tenant_id == g.caller.tenant_id))
    if firm is None:
        raise ApiProblem(404, "Not Found", f"no firm {firm_id}")
    return firm


def store_for_firm(firm_id: int, row, then=None) -> None:
    """Insert ``row`` (which refers to a firm), run ``then(row)`` in the same
    transaction, commit. If the firm was deleted meanwhile (a concurrent
    DELETE), its foreign key fails: 404 if it is gone, else 409 (retry)."""
    try:
        g.db.add(row)
        g.db.flush()
        if then is not None:
            then(row)
        g.db.commit()
    except (IntegrityError, OperationalError):
        g.db.rollback()
        if g.db.scalar(select(Firm.id).where(Firm.id == firm_id, Firm.tenant_id == g.caller.tenant_id)) is None:
            raise ApiProblem(404, "Not Found", f"firm {firm_id} was deleted meanwhile") from None
        raise ApiProblem(409, "Conflict", "a concurrent change interfered; retry the request") from None


@blp.route("/firms", methods=["POST"])
@blp.keyed("write")
@blp.arguments(FirmIn)
@blp.response(201, FirmOut)
@blp.problems(413, 422)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                      "schema": {"type": "string", "maxLength": 200},
                      "description": "a retry with the same key returns the firm created the first time"}])
def create_firm(data):
    """Register a firm (profile validated like a recommendation request)."""
    earlier = idempotency.previous_resource_id(data)
    if earlier is not None:
        return _own_firm(earlier)
    name, vat, profile = _validated(data)
    firm = Firm(tenant_id=g.caller.tenant_id, name=name, vat_number=vat, profile=profile)
    g.db.add(firm)
    g.db.flush()
    idempotency.remember(firm.id, data)
    try:
        g.db.commit()
    except IntegrityError:  # a concurrent first attempt with the same Idempotency-Key won
        g.db.rollback()
        earlier = idempotency.previous_resource_id(data)
        if earlier is None:
            raise
        return _own_firm(earlier)
    return firm


@blp.route("/firms", methods=["GET"])
@blp.keyed("read")
@blp.arguments(Page, location="query", as_kwargs=True)
@blp.response(200, FirmList)
def list_firms(limit, offset):
    """The caller's firms, newest first, a page at a time (follow `next`)."""
    where = Firm.tenant_id == g.caller.tenant_id
    total = g.db.scalar(select(func.count()).select_from(Firm).where(where))
    items = g.db.scalars(select(Firm).where(where).order_by(Firm.id.desc()).limit(limit).offset(offset)).all()
    return page(items, total, limit, offset)


@blp.route("/firms/<int:firm_id>", methods=["GET"])
@blp.keyed("read")
@blp.response(200, FirmOut)
@blp.problems(404)
def get_firm(firm_id):
    return _own_firm(firm_id)


@blp.route("/firms/<int:firm_id>", methods=["PATCH"])
@blp.keyed("write")
@blp.arguments(FirmPatch)
@blp.response(200, FirmOut)
@blp.problems(404, 413, 422)
def patch_firm(data, firm_id):
    """Change some fields; the merged profile is validated again."""
    firm = _own_firm(firm_id)
    merged = {"name": firm.name, "vat_number": firm.vat_number, **firm.profile, **data}
    name, vat, profile = _validated(merged)
    firm.name, firm.vat_number, firm.profile = name, vat, profile
    g.db.commit()
    return firm


@blp.route("/firms/<int:firm_id>", methods=["DELETE"])
@blp.keyed("write")
@blp.response(204)
@blp.problems(404)
def delete_firm(firm_id):
    g.db.delete(_own_firm(firm_id))
    g.db.commit()


@blp.route("/firms/<int:firm_id>/recommendations", methods=["POST"])
@blp.keyed("write")
@blp.arguments(RecommendQuery, location="query", as_kwargs=True)
@blp.response(201, StoredRecommendationOut)
@blp.problems(404, 409, 422)
def create_firm_recommendation(firm_id, lang, k):
    """Compute a recommendation for a registered firm and store it (with the model
    version); only the newest HISTORY_MAX_PER_FIRM are kept per firm."""
    firm = _own_firm(firm_id)
    rec = current_app.extensions["model_holder"].get()
    result = rec.recommend(firm_profile({**firm.profile, "name": firm.name}), k=k, lang=lang)
    row = StoredRecommendation(tenant_id=g.caller.tenant_id, firm_id=firm.id, model_version=rec.model.version,
                               result=result)
    store_for_firm(firm.id, row, then=_trim_history)
    return row


def _trim_history(row: StoredRecommendation) -> None:
    """Keep the newest HISTORY_MAX_PER_FIRM recommendations of the row's firm."""
    keep = current_app.config["HISTORY_MAX_PER_FIRM"]
    old = select(StoredRecommendation.id).where(StoredRecommendation.firm_id == row.firm_id).order_by(
        StoredRecommendation.id.desc()).offset(keep)
    old_ids = g.db.scalars(old).all()
    if old_ids:
        g.db.execute(delete(StoredRecommendation).where(StoredRecommendation.id.in_(old_ids)))


@blp.route("/firms/<int:firm_id>/recommendations", methods=["GET"])
@blp.keyed("read")
@blp.response(200, StoredRecommendationOut)
@blp.problems(404)
def latest_firm_recommendation(firm_id):
    """The newest stored recommendation of this firm (404 if none yet: POST computes one). Never writes."""
    firm = _own_firm(firm_id)
    row = g.db.scalars(select(StoredRecommendation).where(StoredRecommendation.firm_id == firm.id)
                       .order_by(StoredRecommendation.id.desc()).limit(1)).first()
    if row is None:
        raise ApiProblem(404, "Not Found", f"no recommendation stored for firm {firm_id}; POST to compute one")
    return row


@blp.route("/firms/<int:firm_id>/recommendations/history", methods=["GET"])
@blp.keyed("read")
@blp.arguments(Page, location="query", as_kwargs=True)
@blp.response(200, HistoryOut)
@blp.problems(404)
def firm_history(firm_id, limit, offset):
    """Recommendations stored for this firm, newest first, a page at a time."""
    firm = _own_firm(firm_id)
    where = (StoredRecommendation.firm_id == firm.id) & (StoredRecommendation.tenant_id == g.caller.tenant_id)
    total = g.db.scalar(select(func.count()).select_from(StoredRecommendation).where(where))
    rows = g.db.scalars(select(StoredRecommendation).where(where).order_by(StoredRecommendation.id.desc())
                        .limit(limit).offset(offset)).all()
    return page(rows, total, limit, offset)

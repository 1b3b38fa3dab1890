"""The Chamber's firm registry, and recommendations stored per firm (logic
shared with the web app in api/registry.py).

Every query filters on the caller's tenant: another tenant's firm is a 404,
indistinguishable from a missing one."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint
from sqlalchemy import select

from api import registry
from api.db.models import Firm, StoredRecommendation
from api.errors import ApiProblem, field_errors, problem
from api.keys import require_key
from api.schemas import FirmIn, FirmList, FirmOut, FirmPatch, HistoryOut, Page, RecommendQuery, StoredRecommendationOut

blp = Blueprint("firms", __name__, url_prefix="/api/v1", description="Firm registry of a Chamber")


@blp.errorhandler(registry.InvalidVatNumber)
def _invalid_vat(e: registry.InvalidVatNumber):
    return problem(422, "Invalid input", "invalid VAT number", field_errors(e.errors))


def _own_firm(firm_id: int) -> Firm:
    firm = registry.own_firm(g.db, g.caller.tenant_id, firm_id)
    if firm is None:
        raise ApiProblem(404, "Not Found", f"no firm {firm_id}")
    return firm


@blp.route("/firms", methods=["POST"])
@require_key("write")
@blp.arguments(FirmIn)
@blp.response(201, FirmOut)
def create_firm(data):
    """Register a firm (profile validated like a recommendation request)."""
    return registry.create_firm(g.db, g.caller.tenant_id, data)


@blp.route("/firms", methods=["GET"])
@require_key("read")
@blp.arguments(Page, location="query", as_kwargs=True)
@blp.response(200, FirmList)
def list_firms(limit, offset):
    """The caller's firms, newest first."""
    items, total = registry.list_firms(g.db, g.caller.tenant_id, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@blp.route("/firms/<int:firm_id>", methods=["GET"])
@require_key("read")
@blp.response(200, FirmOut)
def get_firm(firm_id):
    return _own_firm(firm_id)


@blp.route("/firms/<int:firm_id>", methods=["PATCH"])
@require_key("write")
@blp.arguments(FirmPatch)
@blp.response(200, FirmOut)
def patch_firm(data, firm_id):
    """Change some fields; the merged profile is validated again."""
    return registry.update_firm(g.db, _own_firm(firm_id), data)


@blp.route("/firms/<int:firm_id>", methods=["DELETE"])
@require_key("write")
@blp.response(204)
def delete_firm(firm_id):
    g.db.delete(_own_firm(firm_id))
    g.db.commit()


@blp.route("/firms/<int:firm_id>/recommendations", methods=["GET"])
@require_key("read")
@blp.arguments(RecommendQuery, location="query", as_kwargs=True)
@blp.response(200, StoredRecommendationOut)
def firm_recommendation(firm_id, lang, k):
    """Compute a recommendation for a registered firm, store it (with the model version) and return it."""
    firm = _own_firm(firm_id)
    rec = current_app.extensions["model_holder"].get()
    result = registry.recommend_for_firm(rec, firm, k=k, lang=lang)
    return registry.store_recommendation(g.db, firm, rec.model.version, result)


@blp.route("/firms/<int:firm_id>/recommendations/history", methods=["GET"])
@require_key("read")
@blp.response(200, HistoryOut)
def firm_history(firm_id):
    """Recommendations stored for this firm, newest first."""
    firm = _own_firm(firm_id)
    rows = g.db.scalars(select(StoredRecommendation).where(StoredRecommendation.firm_id == firm.id,
                                                           StoredRecommendation.tenant_id == g.caller.tenant_id)
                        .order_by(StoredRecommendation.id.desc())).all()
    return {"items": rows}

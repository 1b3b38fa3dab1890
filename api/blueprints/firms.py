"""The Chamber's firm registry, and recommendations stored per firm (logic
shared with the web app in api/registry.py; this module maps HTTP onto it).

Every query filters on the caller's tenant: another tenant's firm is a 404,
indistinguishable from a missing one."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.exc import IntegrityError

from api import idempotency, registry
from api.arguments import Blueprint
from api.db.models import Firm
from api.errors import ApiProblem, field_errors, problem
from api.pagination import page
from api.schemas import (
    FirmIn,
    FirmList,
    FirmOut,
    FirmPatch,
    FirmRecommendQuery,
    HistoryOut,
    Page,
    StoredRecommendationOut,
)

blp = Blueprint("firms", __name__, url_prefix="/api/v1", description="Firm registry of a Chamber")


@blp.errorhandler(registry.InvalidVatNumber)
def _invalid_vat(e: registry.InvalidVatNumber):
    return problem(422, "Invalid input", "invalid VAT number", field_errors(e.errors))


def firm_gone(e: registry.FirmGone):  # a concurrent DELETE won (also used by the feedback blueprint)
    return problem(404, "Not Found", str(e))


def concurrent_change(_e: registry.ConcurrentChange):
    return problem(409, "Conflict", "a concurrent change interfered; retry the request")


blp.register_error_handler(registry.FirmGone, firm_gone)
blp.register_error_handler(registry.ConcurrentChange, concurrent_change)


def _own_firm(firm_id: int) -> Firm:
    firm = registry.own_firm(g.db, g.caller.tenant_id, firm_id)
    if firm is None:
        raise ApiProblem(404, "Not Found", f"no firm {firm_id}")
    return firm


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
    try:
        return registry.create_firm(g.db, g.caller.tenant_id, data,
                                    then=lambda firm: idempotency.remember(firm.id, data))
    except IntegrityError:  # a concurrent first attempt with the same Idempotency-Key won
        g.db.rollback()
        earlier = idempotency.previous_resource_id(data)
        if earlier is None:
            raise
        return _own_firm(earlier)


@blp.route("/firms", methods=["GET"])
@blp.keyed("read")
@blp.arguments(Page, location="query", as_kwargs=True)
@blp.response(200, FirmList)
def list_firms(limit, offset):
    """The caller's firms, newest first, a page at a time (follow `next`)."""
    items, total = registry.list_firms(g.db, g.caller.tenant_id, limit=limit, offset=offset)
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
@blp.problems(404, 409, 413, 422)
def patch_firm(data, firm_id):
    """Change some fields; the merged profile is validated again. No body, or no field: 422."""
    firm = _own_firm(firm_id)
    if not data:
        raise ApiProblem(422, "Invalid input", "nothing to change", [
            {"field": "", "reason": "required: a JSON object with at least one field to change"}])
    return registry.update_firm(g.db, firm, data)


@blp.route("/firms/<int:firm_id>", methods=["DELETE"])
@blp.keyed("write")
@blp.response(204)
@blp.problems(404)
def delete_firm(firm_id):
    g.db.delete(_own_firm(firm_id))
    g.db.commit()


@blp.route("/firms/<int:firm_id>/recommendations", methods=["POST"])
@blp.keyed("write")
@blp.arguments(FirmRecommendQuery, location="query", as_kwargs=True)
@blp.response(201, StoredRecommendationOut)
@blp.problems(404, 409, 422)
def create_firm_recommendation(firm_id, lang, k, explore):
    """Compute a recommendation for a registered firm (with the Chamber's outcome
    adjustments and `explore` of the slots for markets still uncertain) and store
    it with the model version and the impression it makes (GET /impressions);
    only the newest HISTORY_MAX_PER_FIRM recommendations are kept per firm."""
    firm = _own_firm(firm_id)
    rec = current_app.extensions["model_holder"].get()
    if explore is None:
        explore = current_app.config["EXPLORATION_SHARE_API"]
    result = registry.recommend_for_firm(rec, firm, k=k, lang=lang, explore=explore)
    return registry.store_recommendation(g.db, firm, rec.model.version, result,
                                         keep=current_app.config["HISTORY_MAX_PER_FIRM"], surface="api")


@blp.route("/firms/<int:firm_id>/recommendations", methods=["GET"])
@blp.keyed("read")
@blp.response(200, StoredRecommendationOut)
@blp.problems(404)
def latest_firm_recommendation(firm_id):
    """The newest stored recommendation of this firm (404 if none yet: POST computes one). Never writes."""
    row = registry.latest_recommendation(g.db, _own_firm(firm_id))
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
    rows, total = registry.recommendation_history(g.db, _own_firm(firm_id), limit=limit, offset=offset)
    return page(rows, total, limit, offset)

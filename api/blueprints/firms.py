"""The Chamber's firm registry, and recommendations stored per firm.

Every query filters on the caller's tenant: another tenant's firm is a 404,
indistinguishable from a missing one."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint
from sqlalchemy import func, select

from api.db.models import Firm, StoredRecommendation
from api.errors import ApiProblem
from api.keys import require_key
from api.schemas import FirmIn, FirmList, FirmOut, FirmPatch, HistoryOut, Page, RecommendQuery, StoredRecommendationOut
from api.vat import is_valid_partita_iva
from recommender.recommend import FirmProfile

blp = Blueprint("firms", __name__, url_prefix="/api/v1", description="Firm registry of a Chamber")
PROFILE_FIELDS = set(FirmIn().fields) - {"name", "vat_number"}


def _validated(data: dict) -> tuple[str, str | None, dict]:
    """(name, vat, profile) after checking the VAT checksum and the profile itself."""
    vat = data.get("vat_number")
    if vat is not None and not is_valid_partita_iva(vat):
        raise ApiProblem(422, "Invalid input", "invalid VAT number",
                         [{"field": "vat_number", "reason": "not a valid partita IVA (11 digits, check digit)",
                           "value": vat}])
    profile = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    FirmProfile.from_dict(profile)  # raises InvalidInput -> 422 with field errors
    return data.get("name"), vat, profile


MAX_ID = 2**31 - 1  # database integer range; anything larger cannot exist


def _own_firm(firm_id: int) -> Firm:
    if not 0 < firm_id <= MAX_ID:
        raise ApiProblem(404, "Not Found", f"no firm {firm_id}")
    firm = g.db.scalar(select(Firm).where(Firm.id == firm_id, Firm.tenant_id == g.caller.tenant_id))
    if firm is None:
        raise ApiProblem(404, "Not Found", f"no firm {firm_id}")
    return firm


@blp.route("/firms", methods=["POST"])
@require_key("write")
@blp.arguments(FirmIn)
@blp.response(201, FirmOut)
def create_firm(data):
    """Register a firm (profile validated like a recommendation request)."""
    name, vat, profile = _validated(data)
    firm = Firm(tenant_id=g.caller.tenant_id, name=name, vat_number=vat, profile=profile)
    g.db.add(firm)
    g.db.commit()
    return firm


@blp.route("/firms", methods=["GET"])
@require_key("read")
@blp.arguments(Page, location="query", as_kwargs=True)
@blp.response(200, FirmList)
def list_firms(limit, offset):
    """The caller's firms, newest first."""
    where = Firm.tenant_id == g.caller.tenant_id
    total = g.db.scalar(select(func.count()).select_from(Firm).where(where))
    items = g.db.scalars(select(Firm).where(where).order_by(Firm.id.desc()).limit(limit).offset(offset)).all()
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
    firm = _own_firm(firm_id)
    merged = {"name": firm.name, "vat_number": firm.vat_number, **firm.profile, **data}
    name, vat, profile = _validated(merged)
    firm.name, firm.vat_number, firm.profile = name, vat, profile
    g.db.commit()
    return firm


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
    result = rec.recommend(FirmProfile.from_dict({**firm.profile, "name": firm.name}), k=k, lang=lang)
    row = StoredRecommendation(tenant_id=g.caller.tenant_id, firm_id=firm.id, model_version=rec.model.version,
                               result=result)
    g.db.add(row)
    g.db.commit()
    return row


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

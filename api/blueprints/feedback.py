"""What happened after the advice: stored for future retraining."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from api.blueprints.firms import _own_firm
from api.db.models import Feedback
from api.keys import require_key
from api.schemas import FeedbackIn, FeedbackList, FeedbackOut
from recommender.lookups import resolve_country

blp = Blueprint("feedback", __name__, url_prefix="/api/v1", description="Outcome feedback")


@blp.route("/feedback", methods=["POST"])
@require_key("write")
@blp.arguments(FeedbackIn)
@blp.response(201, FeedbackOut)
def create_feedback(data):
    firm = _own_firm(data["firm_id"])  # 404 for another tenant's firm
    market = resolve_country(data["market"], field="market").iso3
    fb = Feedback(tenant_id=g.caller.tenant_id, firm_id=firm.id, market=market, channel_id=data.get("channel_id"),
                  status=data["status"], date=data["date"], revenue_band=data.get("revenue_band"), note=data.get("note"))
    g.db.add(fb)
    g.db.commit()
    return fb


@blp.route("/feedback", methods=["GET"])
@require_key("read")
@blp.response(200, FeedbackList)
def list_feedback():
    rows = g.db.scalars(select(Feedback).where(Feedback.tenant_id == g.caller.tenant_id).order_by(Feedback.id.desc())).all()
    return {"items": rows}

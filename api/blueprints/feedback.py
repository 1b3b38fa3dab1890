"""What happened after the advice: stored for future retraining."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from api import registry
from api.blueprints.firms import _own_firm
from api.keys import require_key
from api.schemas import FeedbackIn, FeedbackList, FeedbackOut

blp = Blueprint("feedback", __name__, url_prefix="/api/v1", description="Outcome feedback")


@blp.route("/feedback", methods=["POST"])
@require_key("write")
@blp.arguments(FeedbackIn)
@blp.response(201, FeedbackOut)
def create_feedback(data):
    firm = _own_firm(data["firm_id"])  # 404 for another tenant's firm
    return registry.record_feedback(g.db, firm, data["market"], data["status"], data["date"],
                                    channel_id=data.get("channel_id"), revenue_band=data.get("revenue_band"),
                                    note=data.get("note"))


@blp.route("/feedback", methods=["GET"])
@require_key("read")
@blp.response(200, FeedbackList)
def list_feedback():
    return {"items": registry.feedback_for(g.db, g.caller.tenant_id)}

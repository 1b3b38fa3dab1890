"""What happened after the advice: stored for future retraining."""

from __future__ import annotations

from flask import g
from sqlalchemy import func, select

from api import idempotency
from api.arguments import Blueprint
from api.blueprints.firms import _own_firm, store_for_firm
from api.db.models import Feedback
from api.errors import ApiProblem
from api.pagination import page
from api.schemas import FeedbackIn, FeedbackList, FeedbackOut, Page
from recommender.lookups import resolve_country

blp = Blueprint("feedback", __name__, url_prefix="/api/v1", description="Outcome feedback")


def _own_feedback(feedback_id: int) -> Feedback:
    fb = g.db.scalar(select(Feedback).where(Feedback.id == feedback_id, Feedback.tenant_id == g.caller.tenant_id))
    if fb is None:
        raise ApiProblem(404, "Not Found", f"feedback {feedback_id} no longer exists")
    return fb


@blp.route("/feedback", methods=["POST"])
@blp.keyed("write")
@blp.arguments(FeedbackIn)
@blp.response(201, FeedbackOut)
@blp.problems(404, 409, 413, 422)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                      "schema": {"type": "string", "maxLength": 200},
                      "description": "a retry with the same key returns the feedback stored the first time"}])
def create_feedback(data):
    earlier = idempotency.previous_resource_id(data)
    if earlier is not None:
        return _own_feedback(earlier)
    firm = _own_firm(data["firm_id"])  # 404 for another tenant's firm
    market = resolve_country(data["market"], field="market").iso3
    fb = Feedback(tenant_id=g.caller.tenant_id, firm_id=firm.id, market=market, channel_id=data.get("channel_id"),
                  status=data["status"], date=data["date"], revenue_band=data.get("revenue_band"), note=data.get("note"))
    store_for_firm(firm.id, fb, then=lambda row: idempotency.remember(row.id, data))
    return fb


@blp.route("/feedback", methods=["GET"])
@blp.keyed("read")
@blp.arguments(Page, location="query", as_kwargs=True)
@blp.response(200, FeedbackList)
def list_feedback(limit, offset):
    """The caller's feedback, newest first, a page at a time (follow `next`)."""
    where = Feedback.tenant_id == g.caller.tenant_id
    total = g.db.scalar(select(func.count()).select_from(Feedback).where(where))
    rows = g.db.scalars(select(Feedback).where(where).order_by(Feedback.id.desc()).limit(limit).offset(offset)).all()
    return page(rows, total, limit, offset)

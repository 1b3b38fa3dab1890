"""What happened after the advice: stored for future retraining (logic shared
with the web app in api/registry.py)."""

from __future__ import annotations

from flask import g

from api import idempotency, registry
from api.arguments import Blueprint
from api.blueprints.firms import _own_firm, concurrent_change, firm_gone
from api.db.models import Feedback
from api.errors import ApiProblem
from api.pagination import page
from api.schemas import FeedbackIn, FeedbackList, FeedbackOut, FeedbackQuery

blp = Blueprint("feedback", __name__, url_prefix="/api/v1", description="Outcome feedback")
blp.register_error_handler(registry.FirmGone, firm_gone)
blp.register_error_handler(registry.ConcurrentChange, concurrent_change)


def _own_feedback(feedback_id: int) -> Feedback:
    fb = registry.own_feedback(g.db, g.caller.tenant_id, feedback_id)
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
    """Record an outcome; it is linked to the impression it follows (`impression_id`,
    else the firm's latest impression showing the market) and says the market's
    `position` there."""
    earlier = idempotency.previous_resource_id(data)
    if earlier is not None:
        return _own_feedback(earlier)
    firm = _own_firm(data["firm_id"])  # 404 for another tenant's firm
    return registry.record_feedback(g.db, firm, data["market"], data["status"], data["date"],
                                    channel_id=data.get("channel_id"), revenue_band=data.get("revenue_band"),
                                    note=data.get("note"), impression_id=data.get("impression_id"),
                                    then=lambda row: idempotency.remember(row.id, data))


@blp.route("/feedback", methods=["GET"])
@blp.keyed("read")
@blp.arguments(FeedbackQuery, location="query", as_kwargs=True)
@blp.response(200, FeedbackList)
@blp.problems(404)
def list_feedback(limit, offset, firm_id=None):
    """The caller's feedback (optionally one firm's), newest first, a page at a time (follow `next`)."""
    firm = _own_firm(firm_id) if firm_id is not None else None  # 404 for another tenant's firm
    rows, total = registry.list_feedback(g.db, g.caller.tenant_id, limit=limit, offset=offset, firm=firm)
    return page(rows, total, limit, offset)

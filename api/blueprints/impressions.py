"""What firms were shown: the impressions logged with every stored
recommendation (API and web), for a Chamber to audit (logic in api/registry.py).

Tenant-scoped like everything else: another Chamber's firm is a 404."""

from __future__ import annotations

from flask import g

from api import registry
from api.arguments import Blueprint
from api.blueprints.firms import _own_firm
from api.pagination import page
from api.schemas import ImpressionList, ImpressionQuery

blp = Blueprint("impressions", __name__, url_prefix="/api/v1", description="What was shown (learning from outcomes)")


@blp.route("/impressions", methods=["GET"])
@blp.keyed("read")
@blp.arguments(ImpressionQuery, location="query", as_kwargs=True)
@blp.response(200, ImpressionList)
@blp.problems(404)
def list_impressions(limit, offset, firm_id=None):
    """The caller's impressions (optionally one firm's), newest first, a page at a time
    (follow `next`): markets with positions, scores and channels, and the firm's context."""
    firm = _own_firm(firm_id) if firm_id is not None else None  # 404 for another tenant's firm
    rows, total = registry.list_impressions(g.db, g.caller.tenant_id, firm, limit=limit, offset=offset)
    return page(rows, total, limit, offset)

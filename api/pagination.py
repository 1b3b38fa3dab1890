"""limit/offset pages for every list, with ``next`` in the body and a
``Link: <...>; rel="next"`` header (RFC 8288) while more items remain."""

from __future__ import annotations

from flask import after_this_request, request, url_for


def page(items: list, total: int, limit: int, offset: int) -> dict:
    nxt = None
    if offset + len(items) < total:
        args = {**request.args.to_dict(), "limit": limit, "offset": offset + limit}
        nxt = url_for(request.endpoint, **(request.view_args or {}), **args)

        @after_this_request
        def _link(resp):
            resp.headers["Link"] = f'<{nxt}>; rel="next"'
            return resp
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next": nxt}

"""Security headers on every answer, pages and API alike (issue #20).

- ``Content-Security-Policy``: scripts, styles, images and requests only from
  this site; no inline script or style (the pages load htmx and their CSS
  as files; Swagger UI starts from /static/swagger-ui-init.js); no framing
  (``frame-ancestors 'none'``), no plugins, forms post only here.
- ``X-Frame-Options: DENY`` for browsers without CSP level 2.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy``.
- ``Cache-Control: no-store`` on everything but static files: pages of a
  signed-in user and API answers hold a Chamber's firms, which no shared or
  back-button cache should keep. A view that sets its own Cache-Control keeps it.
"""

from __future__ import annotations

from flask import Flask, request

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STATIC_PREFIXES = ("/static/", "/web/static/")


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(resp):
        for name, value in HEADERS.items():
            resp.headers.setdefault(name, value)
        if not request.path.startswith(STATIC_PREFIXES) and "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = "no-store"
        return resp

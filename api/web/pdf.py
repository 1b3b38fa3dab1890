"""The plan as a PDF: the same HTML and inline SVG charts, printed by WeasyPrint.

WeasyPrint needs Pango from the system (Debian ``libpango-1.0-0
libpangoft2-1.0-0``, installed by scripts/install-system-packages); it is
imported on first use so the rest of the app runs without it. The plan's
HTML carries its own CSS and no external resources, so rendering never makes
a request (not even to this server).

Under gunicorn's threaded workers (gthread, see gunicorn.conf.py) one
plan is rendered at a time per worker: Pango and fontconfig are not
reliably thread-safe, and rendering is CPU-bound under the GIL anyway, so
the lock costs no throughput. The worker's heartbeat runs on its main
thread, so a long render does not get the worker killed by ``timeout``.
"""

from __future__ import annotations

import threading

_render_lock = threading.Lock()


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the plan must not load external resources ({url})")


def render(html: str) -> bytes:
    """PDF bytes of a self-contained HTML document."""
    from weasyprint import HTML  # heavy import (and needs Pango): only when a plan is printed

    with _render_lock:
        return HTML(string=html, url_fetcher=_no_fetch).write_pdf()

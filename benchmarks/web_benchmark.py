"""Server-side render time of the web app's pages (p50, p95) and of the PDF
plan for k=10 markets, in process (Flask test client, temp SQLite, the
shipped model), after warm-up; and the first of each after the app started
(the model loaded and warmed as each gunicorn worker does before its first
request, page caches cold, WeasyPrint imported by the first PDF). Prints figures; it is not a test.

Targets on the 2-core reference machine: page p95 < 150 ms and PDF < 3 s,
the first ones after start included.

    .venv/bin/python benchmarks/web_benchmark.py [--requests 100] [--pdfs 5]
"""

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from alembic import command

from api import create_app, registry
from api.auth.users import create_user
from api.cli import alembic_config
from api.db.models import Firm
from recommender.maturity import QUESTION_IDS


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100, help="timed requests per page")
    ap.add_argument("--pdfs", type=int, default=5, help="timed PDF renders")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        command.upgrade(alembic_config(url), "head")
        started = time.perf_counter()
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOGIN_RATE_LIMIT": "1000 per minute"})
        with app.extensions["db_sessions"]() as s:
            create_user(s, "CCIAA Prato", "bench@prato.example", password="bench-password")
            tenant_id = create_user(s, "CCIAA Prato", "other@prato.example", password="x")[1].tenant_id
            for i in range(60):  # a Chamber's registry with some history
                firm = registry.create_firm(s, tenant_id, {"name": f"Impresa {i:03d}", "ateco": ["14.13", "23.31", "28.29"][i % 3],
                                                          "province": ["PO", "MO", "BS"][i % 3], "maturity_level": 1 + i % 4})
                if i % 2:
                    registry.save_assessment(s, firm, {q: (j + i) % 3 == 0 for j, q in enumerate(QUESTION_IDS)})
            firm_id = s.query(Firm).order_by(Firm.id.desc()).first().id
        c = app.test_client()
        c.post("/login", data={"email": "bench@prato.example", "password": "bench-password",
                               "csrf_token": _token(c.get("/login").text)})
        token = _token(c.get("/firms").text)
        for market in ("DEU", "FRA", "USA"):
            c.post(f"/firms/{firm_id}/outcomes", data={"csrf_token": token, "market": market, "status": "started",
                                                      "date": "2026-11-01"})
        pages = {
            "firm list": "/firms",
            "firm page": f"/firms/{firm_id}",
            "questionnaire": f"/firms/{firm_id}/questionnaire",
            "recommendation (full page)": f"/firms/{firm_id}/recommendation",
            "re-rank (htmx fragment)": f"/firms/{firm_id}/recommendation?customer_type=b2b&excluded_markets=DE",
            "dashboard": "/dashboard",
        }
        print(f"app start (create_app): {1000 * (time.perf_counter() - started):.0f} ms (the registry set-up "
              "above included)")
        t = time.perf_counter()
        app.extensions["model_holder"].warm()  # what gunicorn's post_worker_init does in each web worker
        print(f"model load, verify and warm-up (each web worker, before its first request): "
              f"{1000 * (time.perf_counter() - t):.0f} ms")
        first = {}
        for name, path in pages.items():  # the first request of each page after start, in a borsista's order
            headers = {"HX-Request": "true"} if "htmx" in name else {}
            t = time.perf_counter()
            assert c.get(path, headers=headers).status_code == 200
            first[name] = 1000 * (time.perf_counter() - t)
        t = time.perf_counter()
        assert c.get(f"/firms/{firm_id}/plan.pdf").status_code == 200  # imports WeasyPrint, loads fonts
        first_pdf = time.perf_counter() - t
        print(f"page render, {args.requests} requests each after warm-up (ms); first = the first after start")
        for name, path in pages.items():
            headers = {"HX-Request": "true"} if "htmx" in name else {}
            for _ in range(5):
                assert c.get(path, headers=headers).status_code == 200
            times = []
            for _ in range(args.requests):
                t = time.perf_counter()
                c.get(path, headers=headers)
                times.append(1000 * (time.perf_counter() - t))
            q = statistics.quantiles(times, n=20)
            print(f"  {name:28s} p50 {statistics.median(times):6.1f}   p95 {q[18]:6.1f}   first {first[name]:6.1f}"
                  "   (target p95 and first < 150)")
        times, size = [], 0
        for _ in range(args.pdfs):
            t = time.perf_counter()
            r = c.get(f"/firms/{firm_id}/plan.pdf")
            times.append(time.perf_counter() - t)
            size = len(r.data)
        print(f"PDF plan, k=10, {args.pdfs} renders: median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s, first after start {first_pdf:.2f} s, {size // 1024} KiB (target < 3 s)")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()

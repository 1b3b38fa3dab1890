"""Time to refuse hostile CSV headers (issue #21, item 1): prints figures, asserts nothing.

    .venv/bin/python benchmarks/header_limits.py [--columns 40000]

1. the library: ``open_input`` on a header of N distinct unknown columns
   (``c0,c1,...``) and on one of N copies of ``ateco``;
2. the API: ``POST /api/v1/recommendations/batch`` and ``POST /api/v1/jobs``
   with the same header (Flask test client, a throwaway SQLite database).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--columns", type=int, default=40_000)
    n = ap.parse_args().columns

    from recommender.batch.read import open_input
    from recommender.errors import InvalidInput
    headers = {"distinct unknown": ",".join(f"c{i}" for i in range(n)),
               "duplicate ateco": ",".join(["ateco"] * n)}
    for label, header in headers.items():
        data = (header + "\n" + ",".join(["x"] * n) + "\n").encode()

        def run():
            try:
                open_input(data)
            except InvalidInput as exc:
                return exc.errors[0].reason
            return "accepted"
        reason, s = timed(run)
        print(f"library  {label:17} {n:,} columns, {len(data):,} bytes: {s * 1000:8.1f} ms  ({reason[:60]})")

    from alembic import command
    from api import create_app
    from api.cli import alembic_config
    from api.keys import create_key
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        command.upgrade(alembic_config(url), "head")
        app = create_app({"TESTING": True, "DATABASE_URL": url, "JOBS_DIR": f"{tmp}/jobs",
                          "API_RATE_LIMIT": "1000 per minute"})
        with app.extensions["db_sessions"]() as s:
            key = {"X-API-Key": create_key(s, "CCIAA Bench", "write")[0]}
        client = app.test_client()
        data = (headers["distinct unknown"] + "\n").encode()
        for path in ("/api/v1/recommendations/batch", "/api/v1/jobs"):
            r, s = timed(lambda: client.post(path, data={"file": (io.BytesIO(data), "wide.csv")}, headers=key,
                                             content_type="multipart/form-data"))
            body = r.get_json(silent=True) or {}
            print(f"API      POST {path:31} {n:,} columns: {r.status_code} in {s * 1000:8.1f} ms  "
                  f"({(body.get('errors') or [{}])[0].get('reason', body.get('detail', ''))[:60]})")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()

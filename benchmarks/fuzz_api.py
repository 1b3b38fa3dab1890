"""Fuzz the REST API with schemathesis at volume: every operation of /api/v1/openapi.json gets
``--examples`` generated requests (positive and negative data), each run through all of
schemathesis' checks (no 5xx, status codes, content types and headers as documented, auth
enforced, invalid data rejected) on a fresh SQLite database with a write key. Prints the
requests sent, the 5xx answers and the failing checks per operation; exit code 1 if any.
The test suite runs the same checks with 25 examples per operation
(tests/service/test_operations.py); this is the issue-#21 run of at least 10,000 requests.

    .venv/bin/python benchmarks/fuzz_api.py [--examples 420]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import schemathesis  # noqa: E402
from alembic import command  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402

from api import create_app  # noqa: E402
from api.cli import alembic_config  # noqa: E402
from api.keys import create_key  # noqa: E402

# as in tests/service/test_operations.py: reference-table checks the schema cannot enumerate
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "413", "422", "429"]}}})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=420, help="generated requests per operation (at most: small ones run out)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'fuzz.db'}"
        command.upgrade(alembic_config(url), "head")
        app = create_app({"TESTING": True, "DATABASE_URL": url, "API_RATE_LIMIT": "100000000 per minute",
                          "AUTH_FAILURE_RATE_LIMIT": "100000000 per minute",  # the unauthenticated probes: 401, not 429
                          "JOBS_DIR": str(Path(tmp) / "jobs")})
        with app.extensions["db_sessions"]() as s:
            key = create_key(s, "CCIAA Fuzz", "write")[0]
        statuses: Counter = Counter()
        failures: dict[str, list[str]] = {}
        t0 = time.perf_counter()
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
        operations = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @given(case=operation.as_strategy())
            @settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck),
                      database=None)
            def run(case):
                try:
                    response = case.call_and_validate(headers={"X-API-Key": key})
                    statuses[response.status_code // 100 * 100] += 1
                except BaseException as exc:  # noqa: BLE001  (schemathesis raises a FailureGroup)
                    statuses["failed"] += 1
                    failures.setdefault(operation.label, []).append(str(exc)[:300])

            run()
        seconds = time.perf_counter() - t0
        app.extensions["db_engine"].dispose()
    sent = sum(statuses.values())
    print(f"schemathesis: {operations} operations, {sent:,} generated requests in {seconds:.0f} s; "
          f"by class {dict(sorted(statuses.items(), key=str))}; 5xx: {statuses.get(500, 0)}; "
          f"operations with failing checks: {len(failures)}")
    for label, errors in failures.items():
        print(f"  {label}: {len(errors)} failing: {errors[0]}")
    return 1 if failures or statuses.get(500, 0) else 0


if __name__ == "__main__":
    sys.exit(main())

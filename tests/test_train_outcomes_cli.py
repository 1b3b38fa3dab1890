"""``python -m recommender.train --outcomes URL`` with a database it cannot read
exits 2 with the reason (issue #21, item 5), the URL's password hidden."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("url,shown,reason", [
    ("not a url", "the --outcomes database URL", "ArgumentError"),
    ("sqlite:////nonexistent-folder/outcomes.db", "sqlite:////nonexistent-folder/outcomes.db", "OperationalError"),
    ("postgresql://chamber:s3cret@127.0.0.1:1/outcomes", "postgresql://chamber:***@127.0.0.1:1/outcomes",
     "OperationalError"),
])
def test_unreadable_outcomes_database_exits_2_with_the_reason(url, shown, reason):
    run = subprocess.run([sys.executable, "-m", "recommender.train", "--outcomes", url], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr[-500:]
    assert "Traceback" not in run.stderr and "s3cret" not in run.stderr
    assert f"error: {shown}: cannot read impressions and feedback from the database: {reason}" in run.stderr

"""Build ``channels`` from the curated catalogue ``curated/channels.json``.

The catalogue is hand-maintained (each row has an as-of date and a source
note); the build validates it against the schema and flattens it to CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from recommender.errors import DataError

CURATED = Path(__file__).resolve().parent.parent / "curated" / "channels.json"


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    try:
        doc = json.loads(CURATED.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(CURATED, f"invalid JSON: {exc.msg}", row=exc.lineno) from None
    df = pd.DataFrame(doc["channels"])
    df["excluded_countries"] = df["excluded_countries"].replace("", None)
    df["prerequisites"] = df["prerequisites"].replace("", None)
    return {"channels": df}

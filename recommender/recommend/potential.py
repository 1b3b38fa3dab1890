"""Model potential of a format-1 model (mp-2026.11.x), per (model sector, demand type).

Kept so `python -m recommender.validate` can reproduce the previous model's ranking
side by side with the current one; the v2 recommender does not use it.

For each query (Italy, sector, demand type) of the model's serving rows:

- ``potential``: the market's percentile in the model's ranking (1 = first,
  0 = last), comparable across queries of different length;
- ``implied_share``: the share of Italy's exports of that kind a market at
  that rank actually holds (Italy's own shares, sorted, assigned by predicted
  rank) -- what the market "should" take;
- ``actual_share`` / ``actual_musd``: what it takes now (same source/year);
- ``opportunity``: unrealised part of the potential, (implied - actual) /
  implied, clipped to [0, 1] (the ITC idea).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.features.market import FEATURES


def query_tables(serving: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """(sector, demand type) -> per-importer frame (index iso3) with the
    potential columns above, the features, their contributions, and vintage."""
    out = {}
    for (sector, demand), q in serving.groupby([C.SECTOR, C.DEMAND], sort=True):
        q = q.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
        n = len(q)
        q["rank"] = np.arange(1, n + 1)
        q["potential"] = 1 - (q["rank"] - 1) / max(n - 1, 1)
        q["implied_share"] = np.sort(q["target_share"].to_numpy())[::-1]
        q["actual_share"] = q["target_share"]
        q["actual_musd"] = q["target_value"]
        with np.errstate(divide="ignore", invalid="ignore"):
            opp = (q["implied_share"] - q["actual_share"]) / q["implied_share"]
        q["opportunity"] = opp.where(q["implied_share"] > 0, 0.0).clip(0, 1)
        q["demand_rank"] = q["log_demand_others"].rank(ascending=False, method="min").astype(int)
        q["pair_rank"] = q["log_pair_other_sectors"].rank(ascending=False, method="min").astype(int)
        q["n_markets"] = n
        out[(sector, demand)] = q.set_index(C.IMPORTER)
    return out


def contribution_columns() -> list[str]:
    return [f"contrib__{f}" for f in FEATURES]

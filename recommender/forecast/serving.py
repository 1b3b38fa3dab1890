"""Italy's serving table: one row per (model sector, demand type, market), 2022.

What each row holds (all from information available in 2022):

- ``current_musd`` / ``current_share``: Italy's exports of the sector to the
  market (OECD ICIO 2022 for intermediate use; *estimated* for household and
  investment use by :class:`~recommender.forecast.final_demand.FinalDemandEstimator`,
  ``estimated`` = True) -- where Italian peers already sell;
- ``forecast_score`` / ``forecast_rank``: the forecast model's ranking of the
  market for 2027 (features of 2022, persistence included);
- ``implied_musd`` / ``gap_musd``: what a model that never saw Italy's own
  flows (PPML with importer x sector x demand fixed effects, fitted on the
  other 79 exporters) expects Italy to sell there, and the unrealised part
  ``max(0, implied - current)`` -- an out-of-sample residual, ITC style;
- the features the reasons quote, and the forecast model's contributions
  (``contrib__<feature>``, LightGBM ``pred_contrib``), computed at training
  time so serving needs no LightGBM at all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.features.market import eu_members_in
from recommender.forecast.dataset import add_persistence_features
from recommender.forecast.final_demand import FinalDemandEstimator, long_by_demand, pair_sector_rows
from recommender.forecast.models import BoostedOnTop, PPMLFixedEffects
from recommender.training.dataset import Tables

SERVING_SOURCE, SERVING_YEAR = C.ICIO2022, 2022
SERVING_DEMAND_TYPES = (C.INTERMEDIATE, C.HOUSEHOLD, C.INVESTMENT)


def with_estimated_final_demand(tables: Tables, estimator: FinalDemandEstimator,
                                source: str = SERVING_SOURCE, year: int = SERVING_YEAR,
                                parent: dict[str, str] | None = None) -> Tables:
    """``tables`` whose flows also hold estimated household and investment
    flows for every foreign pair of the (source, year) slice, with
    ``estimated`` = True on those rows (False elsewhere).

    ``parent`` maps finer sectors (ICIO's own, ``flows_fine``) to the model
    sector whose fixed effect the estimator learned on WIOD: a finer sector's
    estimate is the model sector's equation applied to its own observed flows."""
    rows = pair_sector_rows(tables.flows, tables.country_year, tables.pairs,
                            eu_members_in(tables.eu_membership, year), source, year)
    long = long_by_demand(rows)
    cells = long if parent is None else long.assign(**{C.SECTOR: long[C.SECTOR].map(parent)})
    est = pd.DataFrame({
        C.SOURCE: source, C.YEAR: year, C.EXPORTER: long[C.EXPORTER], C.IMPORTER: long[C.IMPORTER],
        C.SECTOR: long[C.SECTOR], C.DEMAND: long[C.DEMAND], C.PARTNER: C.FOREIGN,
        C.VALUE: estimator.predict(cells), "estimated": True})
    est = est[est[C.VALUE] > 1e-4]
    flows = pd.concat([tables.flows.assign(estimated=False), est], ignore_index=True)
    return replace(tables, flows=flows)


def italy_rows(tables: Tables, exporter: str = "ITA") -> pd.DataFrame:
    """Feature rows of ``exporter`` for every demand type of the serving slice."""
    rows = tables.slice_rows(SERVING_SOURCE, SERVING_YEAR, exporters=[exporter], demand_types=SERVING_DEMAND_TYPES)
    return rows.rename(columns={"target_value": "value_t", "target_share": "share_t"}).pipe(add_persistence_features)


def implied_model(tables: Tables, exclude: str = "ITA", alpha: float = 1e-4) -> PPMLFixedEffects:
    """Cross-section PPML-FE on the serving slice, fitted without ``exclude``."""
    rows = tables.slice_rows(SERVING_SOURCE, SERVING_YEAR, demand_types=SERVING_DEMAND_TYPES)
    rows = rows[rows[C.EXPORTER] != exclude]
    return PPMLFixedEffects(persistence=False, alpha=alpha).fit(rows)


def build_serving_table(tables_2022: Tables, forecaster: BoostedOnTop, implied: PPMLFixedEffects,
                        exporter: str = "ITA") -> pd.DataFrame:
    """The serving table described in the module docstring, sorted by
    (sector, demand type, importer)."""
    rows = italy_rows(tables_2022, exporter)
    rows["forecast_score"] = forecaster.score(rows)
    # lightgbm types predict() as ndarray | sparse matrix | list of them: a DataFrame gives an ndarray
    contrib = cast(np.ndarray, forecaster.booster_.predict(forecaster._matrix(rows), pred_contrib=True, num_threads=1))
    for i, name in enumerate(forecaster.columns()):
        rows[f"contrib__{name}"] = contrib[:, i]
    rows["forecast_sector"] = rows[C.SECTOR]
    return _with_potential(rows, tables_2022, implied, exporter)


def build_fine_serving_table(fine_2022: Tables, implied_fine: PPMLFixedEffects, serving: pd.DataFrame,
                             parent: dict[str, str], exporter: str = "ITA") -> pd.DataFrame:
    """Serving rows for ICIO's own sectors that are finer than their model sector
    (C301 boats apart from cars, C21 pharmaceuticals apart from chemicals...):
    Italy's 2022 sales, the unrealised potential and the buyers' imports of the
    finer sector; the forecast (which needs WIOD, i.e. the model sector) is the
    model sector's, named in ``forecast_sector``."""
    rows = italy_rows(fine_2022, exporter)
    rows = rows[rows[C.SECTOR].map(parent) != rows[C.SECTOR]].copy()
    rows["forecast_sector"] = rows[C.SECTOR].map(parent)
    carried = ["forecast_score"] + [c for c in serving.columns if c.startswith("contrib__")]
    key = [C.SECTOR, C.DEMAND, C.IMPORTER]
    model = serving[key + carried].rename(columns={C.SECTOR: "forecast_sector"})
    rows = rows.merge(model, on=["forecast_sector", C.DEMAND, C.IMPORTER], how="left")
    rows["forecast_score"] = rows["forecast_score"].fillna(rows["forecast_score"].min())
    for c in carried[1:]:
        rows[c] = rows[c].fillna(0.0)
    return _with_potential(rows, fine_2022, implied_fine, exporter)


def _with_potential(rows: pd.DataFrame, tables_2022: Tables, implied: PPMLFixedEffects,
                    exporter: str) -> pd.DataFrame:
    """Current sales, the unrealised potential and the ranks, on ``rows`` with a forecast score."""
    implied_share = implied.model_.predict(rows.rename(columns={"share_t": "target_share"}), _cells(rows))
    flows = tables_2022.flows
    est = flows[(flows[C.SOURCE] == SERVING_SOURCE) & (flows[C.YEAR] == SERVING_YEAR) & (flows[C.EXPORTER] == exporter)
                & (flows[C.PARTNER] == C.FOREIGN)].groupby([C.SECTOR, C.DEMAND])["estimated"].any()
    key = pd.MultiIndex.from_frame(rows[[C.SECTOR, C.DEMAND]])
    rows["estimated"] = est.reindex(key).fillna(True).to_numpy(bool)
    total = rows.groupby([C.SECTOR, C.DEMAND])["value_t"].transform("sum")
    # expected shares over the query's markets, rescaled to sum to 1 (markets of unseen cells get 0)
    implied_share = np.nan_to_num(implied_share, nan=0.0)
    norm = pd.Series(implied_share).groupby([rows[C.SECTOR].to_numpy(), rows[C.DEMAND].to_numpy()]).transform("sum")
    rows["implied_musd"] = np.where(norm > 0, implied_share / norm.where(norm > 0, 1), 0.0) * total
    rows["current_musd"] = rows["value_t"]
    rows["current_share"] = rows["share_t"]
    rows["gap_musd"] = (rows["implied_musd"] - rows["current_musd"]).clip(lower=0)
    rows["forecast_rank"] = rows.groupby([C.SECTOR, C.DEMAND])["forecast_score"].rank(ascending=False, method="first")
    rows["n_markets"] = rows.groupby([C.SECTOR, C.DEMAND])[C.IMPORTER].transform("size")
    rows["forecast_rank"] = rows["forecast_rank"].astype(int)
    rows["demand_rank"] = rows.groupby([C.SECTOR, C.DEMAND])["log_demand_others"].rank(
        ascending=False, method="min").astype(int)
    return rows.sort_values([C.SECTOR, C.DEMAND, C.IMPORTER]).reset_index(drop=True)


def _cells(rows: pd.DataFrame) -> np.ndarray:
    return (rows[C.IMPORTER] + "|" + rows[C.SECTOR] + "|" + rows[C.DEMAND]).to_numpy()


def demand_mix(serving: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Share of each demand type in Italy's 2022 foreign sales, per sector
    (intermediate observed, household and investment estimated)."""
    by = serving.groupby([C.SECTOR, C.DEMAND])["current_musd"].sum().unstack(fill_value=0.0)
    shares = by.div(by.sum(axis=1), axis=0).round(4)
    return {s: row.to_dict() for s, row in shares.iterrows()}

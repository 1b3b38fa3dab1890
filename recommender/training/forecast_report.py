"""The forecast check shared by ``recommender.train`` and ``recommender.validate``,
and the out-of-time / out-of-country check of the final-demand estimator."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import GroupKFold
from tqdm import tqdm

from recommender import columns as C
from recommender.features.market import eu_members_in
from recommender.forecast.dataset import build_forecast_dataset
from recommender.forecast.evaluate import bootstrap_difference, evaluate_forecast
from recommender.forecast.final_demand import FinalDemandEstimator, long_by_demand, pair_sector_rows
from recommender.forecast.models import BoostedOnTop, NowcastRanker, PPMLFixedEffects, Persistence, ShareLogit
from recommender.model.labels import relevance_grade
from recommender.model import metrics as M
from recommender.training.dataset import Tables

FORECAST_MODEL = "boosted_on_top"
BASELINES = ("persistence", "ppml_fe", "share_logit", "nowcast_ranker_v1")
# WIOD years the final-demand estimator learns from (every other year + 2006, the out-of-time cut)
FINAL_DEMAND_YEARS = (1995, 1997, 1999, 2001, 2003, 2005, 2006, 2007, 2009, 2011)


def _bar(it, **kw):
    return tqdm(it, disable=None, **kw)


def make_scorers(seed: int, forecast_params: dict | None = None):
    return lambda: [Persistence(), PPMLFixedEffects(), ShareLogit(),
                    BoostedOnTop(random_state=seed, **(forecast_params or {})),
                    NowcastRanker(n_estimators=200, learning_rate=0.08, random_state=seed)]


def forecast_validation(tables: Tables, folds: int = 5, seed: int = 42, data: pd.DataFrame | None = None,
                        forecast_params: dict | None = None) -> dict:
    """Out of exporter and out of time (2006 -> 2011): summary per method, CIs
    of the forecast model against each baseline (clustered by exporter)."""
    data = build_forecast_dataset(tables, progress=_bar) if data is None else data
    pq = evaluate_forecast(data, make_scorers(seed, forecast_params), folds, seed, progress=_bar)
    summary = pq.groupby("method", sort=False)[["ndcg@5", "ndcg@10", "recall@10", "map"]].mean()
    summary["italy_ndcg@10"] = pq[pq[C.EXPORTER] == "ITA"].groupby("method")["ndcg@10"].mean()
    summary["queries"] = pq.groupby("method").size()
    return {"folds": folds, "queries": int(pq["qid"].nunique()), "model": FORECAST_MODEL,
            "summary": summary.reset_index().round(4).to_dict("records"),
            "ci": [bootstrap_difference(pq, FORECAST_MODEL, b) for b in BASELINES],
            "ci_italy": [bootstrap_difference(pq[pq[C.EXPORTER] == "ITA"].assign(exporter=pq["qid"].astype(str)),
                                              FORECAST_MODEL, b, cluster=C.EXPORTER) for b in BASELINES
                         if (pq[C.EXPORTER] == "ITA").any()]}


# -- final demand -------------------------------------------------------------
def final_demand_rows(tables: Tables, years=FINAL_DEMAND_YEARS) -> pd.DataFrame:
    return pd.concat([long_by_demand(pair_sector_rows(tables.flows, tables.country_year, tables.pairs,
                                                      eu_members_in(tables.eu_membership, y), C.WIOD2013, y))
                      for y in years], ignore_index=True)


def _query_ndcg(rows: pd.DataFrame, col: str) -> pd.DataFrame:
    out = []
    for (exp, sector, demand), g in rows.groupby([C.EXPORTER, C.SECTOR, C.DEMAND]):
        total = g["y"].sum()
        if total < 5:
            continue
        label = relevance_grade(g["y"].to_numpy() / total)
        relevant = M.top_k_items(g["y"].to_numpy(), 10)
        out.append({C.EXPORTER: exp, C.DEMAND: demand, "ndcg@10": M.ndcg_at_k(label, g[col].to_numpy(), 10),
                    "recall@10": M.recall_at_k(relevant, g[col].to_numpy(), 10)})
    return pd.DataFrame(out)


def final_demand_validation(rows: pd.DataFrame, folds: int = 5, seed: int = 42) -> dict:
    """How well the estimator ranks each exporter's household / investment
    markets, against ranking them by the pair's intermediate flows (what one
    would do with ICIO alone): out of time (train <= 2006, test 2011) and out
    of country (importers held out in ``folds`` groups, all years)."""
    res = {}
    tr, te = rows[rows[C.YEAR] <= 2006], rows[rows[C.YEAR] == 2011].copy()
    te["estimate"] = FinalDemandEstimator().fit(tr).predict(te)
    res["out_of_time_2011"] = _compare(te)
    parts = []
    gkf = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    last = rows[rows[C.YEAR] == 2011]
    for tr_idx, te_idx in gkf.split(last, groups=last[C.IMPORTER]):
        held = set(last.iloc[te_idx][C.IMPORTER])
        fit_rows = rows[~rows[C.IMPORTER].isin(held) & (rows[C.YEAR] <= 2006)]
        test = last[last[C.IMPORTER].isin(held)].copy()
        test["estimate"] = FinalDemandEstimator().fit(fit_rows).predict(test)
        parts.append(test)
    res["out_of_country_and_time_2011"] = _compare(pd.concat(parts))
    return res


def _compare(te: pd.DataFrame) -> dict:
    out = {}
    for col, name in (("estimate", "estimator"), (C.INTERMEDIATE, "intermediate_flow")):
        q = _query_ndcg(te, col)
        out[name] = {"ndcg@10": round(float(q["ndcg@10"].mean()), 4), "recall@10": round(float(q["recall@10"].mean()), 4),
                     "italy_ndcg@10": round(float(q.loc[q[C.EXPORTER] == "ITA", "ndcg@10"].mean()), 4),
                     "queries": int(len(q))}
    return out

"""Honest evaluation: out of exporter, out of time, and the opportunity backtest.

Every split scores the model and every baseline on the same test queries, and
reports per-query metrics averaged (``recommender.model.metrics``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.model_selection import GroupKFold

from recommender import columns as C
from recommender.model import metrics as M
from recommender.model.baselines import BASELINE_NAMES, FIXED_BASELINES, GravityPPML
from recommender.model.ranker import MarketRanker
from recommender.training.dataset import group_sizes

METRICS = ["ndcg@5", "ndcg@10", "precision@5", "recall@10", "map"]
MODEL = "model"


def per_query_metrics(rows: pd.DataFrame, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per (query, method) with every metric. ``rows`` sorted by qid."""
    out = []
    starts = np.r_[0, np.cumsum(group_sizes(rows))]
    label = rows["label"].to_numpy()
    value = rows["target_value"].to_numpy()
    meta = rows.iloc[starts[:-1]][["qid", C.SOURCE, C.YEAR, C.EXPORTER, C.SECTOR, C.DEMAND]].to_dict("records")
    for q, (a, b) in enumerate(zip(starts[:-1], starts[1:])):
        for method, s in scores.items():
            m = M.query_metrics(label[a:b], value[a:b], s[a:b], top_n=10)
            out.append({**meta[q], "method": method, **m})
    return pd.DataFrame(out)


def score_all(model_scores: np.ndarray, gravity: GravityPPML, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    scores = {MODEL: model_scores, "gravity_ppml": gravity.predict(rows)}
    for name, fn in FIXED_BASELINES.items():
        scores[name] = fn(rows)
    return {k: scores[k] for k in [MODEL] + BASELINE_NAMES}


def summarise(pq: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Mean metric per method (and per ``by`` groups), with the query count."""
    keys = (by or []) + ["method"]
    g = pq.groupby(keys, sort=False)
    res = g[METRICS].mean()
    res["queries"] = g.size()
    return res.reset_index()


def out_of_exporter(data: pd.DataFrame, params: dict, folds: int, seed: int, progress=None) -> pd.DataFrame:
    """Grouped K-fold by exporter: an exporter's queries never straddle train
    and test. Every exporter (Italy included) is in exactly one test fold."""
    gkf = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(gkf.split(data, groups=data[C.EXPORTER]))
    it = progress(splits, desc="out-of-exporter folds", unit="fold") if progress else splits
    parts = []
    for train_idx, test_idx in it:
        tr, te = data.iloc[train_idx], data.iloc[test_idx]
        ranker = MarketRanker(**params).fit(tr, tr["label"], group_sizes(tr))
        grav = GravityPPML().fit(tr, tr["target_share"])
        parts.append(per_query_metrics(te, score_all(ranker.predict(te), grav, te)))
    return pd.concat(parts, ignore_index=True)


def out_of_time(data: pd.DataFrame, params: dict, last_train_year: int = 2006):
    """Train on WIOD years up to ``last_train_year``; test on WIOD 2011 (all
    demand types) and ICIO 2022 (intermediate). Returns (metrics, model, gravity)."""
    tr = data[(data[C.SOURCE] == C.WIOD2013) & (data[C.YEAR] <= last_train_year)]
    ranker = MarketRanker(**params).fit(tr, tr["label"], group_sizes(tr))
    grav = GravityPPML().fit(tr, tr["target_share"])
    parts = []
    for name, te in (("wiod2011", data[(data[C.SOURCE] == C.WIOD2013) & (data[C.YEAR] == 2011)]),
                     ("icio2022", data[data[C.SOURCE] == C.ICIO2022])):
        pq = per_query_metrics(te, score_all(ranker.predict(te), grav, te))
        pq["test_set"] = name
        parts.append(pq)
    return pd.concat(parts, ignore_index=True), ranker, grav


def implied_share(rows: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
    """Share a market would hold if it sat at the rank the model gives it:
    the query's actual shares, sorted, assigned by predicted rank."""
    out = np.empty(len(rows))
    starts = np.r_[0, np.cumsum(group_sizes(rows))]
    share = rows["target_share"].to_numpy()
    for a, b in zip(starts[:-1], starts[1:]):
        order = np.argsort(-scores[a:b], kind="stable")
        sorted_shares = np.sort(share[a:b])[::-1]
        out[a + order] = sorted_shares
    return out


def opportunity_backtest(data: pd.DataFrame, ranker: MarketRanker, base_year: int = 2006,
                         end_year: int = 2011, past_year: int = 2001) -> dict:
    """The ITC idea that unrealised potential predicts growth.

    With a model trained up to ``base_year``: gap = log(implied share) -
    log(actual share) in ``base_year``; growth = log change of the flow to
    ``end_year``. Reports Spearman(gap, growth) and the mean growth of the top
    decile of markets by gap, against "no change" (every market grows alike:
    the all-market mean) and "market growth only" (top decile by the
    importer's past growth of demand from others, ``past_year``->``base_year``).
    """
    w = data[data[C.SOURCE] == C.WIOD2013]
    base = w[w[C.YEAR] == base_year].copy()
    base["implied_share"] = implied_share(base, ranker.predict(base))
    key = [C.EXPORTER, C.SECTOR, C.DEMAND, C.IMPORTER]
    end = w[w[C.YEAR] == end_year].set_index(key)["target_value"].rename("value_end")
    past = w[w[C.YEAR] == past_year].set_index(key)["log_demand_others"].rename("demand_past")
    b = base.join(end, on=key).join(past, on=key)
    b = b[(b["target_value"] > 0) & (b["value_end"] > 0)]
    b["gap"] = np.log(b["implied_share"] + 1e-6) - np.log(b["target_share"] + 1e-6)
    b["growth"] = np.log(b["value_end"]) - np.log(b["target_value"])
    b["market_growth"] = b["log_demand_others"] - b["demand_past"]
    rho = spearmanr(b["gap"], b["growth"]).statistic
    rho_mkt = spearmanr(b["market_growth"], b["growth"], nan_policy="omit").statistic
    top = b[b["gap"] >= b["gap"].quantile(0.9)]
    top_mkt = b[b["market_growth"] >= b["market_growth"].quantile(0.9)]
    mean_all = b["growth"].mean()
    return {
        "pairs": int(len(b)),
        "spearman_gap_growth": float(rho),
        "spearman_market_growth_only": float(rho_mkt),
        "mean_log_growth_all": float(mean_all),
        "mean_log_growth_top_decile_gap": float(top["growth"].mean()),
        "mean_log_growth_top_decile_market_growth": float(top_mkt["growth"].mean()),
        "lift_vs_no_change": float(top["growth"].mean() - mean_all),
        "lift_vs_market_growth_only": float(top["growth"].mean() - top_mkt["growth"].mean()),
    }

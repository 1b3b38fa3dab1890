"""Forecast evaluation: out of exporter *and* out of time, with exporter-
clustered bootstrap confidence intervals.

Split: exporters in K groups; for each, train on the other exporters'
transitions whose target year is at most ``last_train_target`` and test on
the held-out exporters' transitions from ``test_base`` to ``test_base + h``.
So a test query's exporter was never seen, and nothing from after
``test_base`` informs its ranking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from recommender import columns as C
from recommender.model import metrics as M
from recommender.training.dataset import group_sizes


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


def forecast_splits(data: pd.DataFrame, folds: int, seed: int, test_base: int = 2006, last_train_target: int = 2006):
    """(train rows, test rows) per exporter fold."""
    gkf = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for tr_idx, te_idx in gkf.split(data, groups=data[C.EXPORTER]):
        tr, te = data.iloc[tr_idx], data.iloc[te_idx]
        yield tr[tr["target_year"] <= last_train_target], te[te[C.YEAR] == test_base]


def evaluate_forecast(data: pd.DataFrame, make_scorers, folds: int = 5, seed: int = 42, progress=None,
                      **split_kw) -> pd.DataFrame:
    """Per-query metrics for every scorer on every held-out fold.

    ``make_scorers()`` returns fresh unfitted scorers (objects with ``name``,
    ``fit(rows)``, ``score(rows)``)."""
    splits = list(forecast_splits(data, folds, seed, **split_kw))
    it = progress(splits, desc="forecast folds", unit="fold") if progress else splits
    parts = []
    for tr, te in it:
        scores = {}
        for scorer in make_scorers():
            scores[scorer.name] = scorer.fit(tr).score(te)
        parts.append(per_query_metrics(te, scores))
    return pd.concat(parts, ignore_index=True)


def bootstrap_difference(pq: pd.DataFrame, method: str, baseline: str, metric: str = "ndcg@10",
                         cluster: str = C.EXPORTER, n_boot: int = 1000, seed: int = 42) -> dict:
    """Mean of (method - baseline) over queries, with a 95% percentile CI from
    resampling ``cluster`` units (exporters) with replacement."""
    wide = pq.pivot_table(index=["qid", cluster], columns="method", values=metric).reset_index()
    d = (wide[method] - wide[baseline]).to_numpy()
    units, inv = np.unique(wide[cluster].to_numpy(), return_inverse=True)
    sums = np.bincount(inv, weights=d, minlength=len(units))
    counts = np.bincount(inv, minlength=len(units)).astype(float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(units), size=(n_boot, len(units)))
    boot = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"method": method, "baseline": baseline, "metric": metric, "mean_difference": float(d.mean()),
            "ci_low": float(lo), "ci_high": float(hi), "queries": int(len(d)), "clusters": int(len(units)),
            "share_of_clusters_won": float(np.mean(sums / counts > 0))}

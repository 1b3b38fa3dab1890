"""Forecast scorers: each ``fit(rows)`` on training transitions returns
``self``; ``score(rows)`` gives one number per row, higher = larger expected
share of the query's exports at t + h. Rankings are compared within each query.

- ``Persistence``: the exporter's own share at t (ties among markets it did
  not sell to are broken by the market's size, which only helps it).
- ``PPMLFixedEffects``: the economist's baseline. PPML of the share at t + h
  on pair gravity and the pair's trade in other sectors, with importer x
  sector x demand-type fixed effects (estimated on training exporters and
  years only, so out of exporter the effects come from other countries).
- ``PPMLFixedEffects(persistence=True)``: the same plus the exporter's own
  share at t: structural gravity that knows where the exporter already sells.
- ``ShareLogit``: PPML with query fixed effects, i.e. a conditional logit of
  shares; importer attractiveness comes from observables (demand from other
  exporters, income, growth) instead of fixed effects, so it transfers to
  markets never seen in training (the 40 WIOD countries -> 79 ICIO ones).
- ``BoostedOnTop``: a LightGBM lambdarank on the market features plus
  persistence and the ``ShareLogit`` score: kept only if it beats them.
- ``NowcastRanker``: the method of mp-2026.11.2 (same-year features and
  labels), used as a forecast: what the current model does.
"""

from __future__ import annotations

from typing import cast

import lightgbm as lgb
import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.features.market import CATEGORICAL, FEATURES
from recommender.forecast.dataset import PERSISTENCE_FEATURES
from recommender.gravity import PoissonFE
from recommender.model.ranker import MarketRanker
from recommender.training.dataset import group_sizes

GRAVITY = ["log_distw", "contig", "comlang_off", "colony", "both_eu"]
PAIR = ["log_pair_other_sectors", "ease_other_sectors"]
IMPORTER = ["log_demand_others", "gdp_growth_5y_imp", "log_gdppc_ppp_imp"]


def cell_key(rows: pd.DataFrame) -> np.ndarray:
    """Importer x sector x demand type: the fixed-effect cell."""
    return (rows[C.IMPORTER] + "|" + rows[C.SECTOR] + "|" + rows[C.DEMAND]).to_numpy()


def query_key(rows: pd.DataFrame) -> np.ndarray:
    return (rows[C.SOURCE] + "|" + rows[C.YEAR].astype(str) + "|" + rows[C.EXPORTER] + "|" + rows[C.SECTOR] + "|"
            + rows[C.DEMAND]).to_numpy()


def _rank01(x: pd.Series) -> np.ndarray:
    return x.rank(pct=True).fillna(0).to_numpy()


class Persistence:
    name = "persistence"

    def fit(self, rows: pd.DataFrame) -> "Persistence":
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        # share_t dominates; market size only orders markets with equal shares (mostly zeros)
        return rows["share_t"].to_numpy() + 1e-9 * _rank01(rows["log_demand_others"])


class PPMLFixedEffects:
    def __init__(self, persistence: bool = False, alpha: float = 1e-4):
        self.persistence = persistence
        self.alpha = alpha
        self.name = "ppml_fe_persistence" if persistence else "ppml_fe"

    def regressors(self) -> list[str]:
        return GRAVITY + PAIR + (PERSISTENCE_FEATURES if self.persistence else [])

    def fit(self, rows: pd.DataFrame) -> "PPMLFixedEffects":
        self.model_ = PoissonFE(self.regressors(), alpha=self.alpha).fit(rows, rows["target_share"], cell_key(rows))
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        with np.errstate(divide="ignore"):
            s = np.log(self.model_.predict(rows, cell_key(rows)))
        return np.nan_to_num(s, nan=-np.inf)  # a cell unseen in training ranks last


class ShareLogit:
    name = "share_logit"

    def __init__(self, alpha: float = 1e-4):
        self.alpha = alpha

    @staticmethod
    def regressors() -> list[str]:
        return PERSISTENCE_FEATURES + IMPORTER + GRAVITY + PAIR

    def fit(self, rows: pd.DataFrame) -> "ShareLogit":
        self.model_ = PoissonFE(self.regressors(), alpha=self.alpha).fit(rows, rows["target_share"], query_key(rows))
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_linear(rows)


class BoostedOnTop:
    """LightGBM lambdarank on FEATURES + persistence + the ShareLogit score."""

    name = "boosted_on_top"

    def __init__(self, n_estimators: int = 200, learning_rate: float = 0.05, num_leaves: int = 31,
                 min_child_samples: int = 100, random_state: int = 42, n_jobs: int = 2):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state
        self.n_jobs = n_jobs

    def columns(self) -> list[str]:
        return FEATURES + PERSISTENCE_FEATURES + ["share_logit"]

    def _matrix(self, rows: pd.DataFrame) -> pd.DataFrame:
        X = rows[[c for c in self.columns() if c != "share_logit"]].copy()
        X["share_logit"] = self.base_.score(rows)
        for c in CATEGORICAL:
            X[c] = pd.Categorical(rows[c].astype(object), categories=self.categories_[c])
        return X.astype({c: float for c in self.columns() if c not in CATEGORICAL})

    def fit(self, rows: pd.DataFrame) -> "BoostedOnTop":
        self.base_ = ShareLogit().fit(rows)
        self.categories_ = {c: sorted(rows[c].astype(str).unique().tolist()) for c in CATEGORICAL}
        params = MarketRanker(n_estimators=self.n_estimators, learning_rate=self.learning_rate,
                              num_leaves=self.num_leaves, min_child_samples=self.min_child_samples,
                              random_state=self.random_state, n_jobs=self.n_jobs).lgb_params()
        est = lgb.LGBMRanker(**params)
        est.fit(self._matrix(rows), rows["label"].to_numpy(), group=group_sizes(rows), categorical_feature=CATEGORICAL)
        self.booster_ = est.booster_
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        # lightgbm types predict() as ndarray | sparse matrix | list of them: a DataFrame gives an ndarray
        return cast(np.ndarray, self.booster_.predict(self._matrix(rows), num_threads=self.n_jobs))


class NowcastRanker:
    """mp-2026.11.2's method: LightGBM on same-year features and same-year labels."""

    name = "nowcast_ranker_v1"

    def __init__(self, **params):
        self.params = params

    def fit(self, rows: pd.DataFrame) -> "NowcastRanker":
        self.ranker_ = MarketRanker(**self.params).fit(rows, rows["label_t"], group_sizes(rows))
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        return self.ranker_.predict(rows)

"""Baselines a trade economist would use, as scorers on the same feature rows.

Each baseline returns one score per row (higher = better market); rankings
are compared within each query exactly like the model's. Only the gravity
baseline learns anything, and it is fitted on the training part of each split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import PoissonRegressor


def _filled(x: pd.Series) -> np.ndarray:
    return x.astype(float).fillna(-np.inf).to_numpy()


def market_size(rows: pd.DataFrame) -> np.ndarray:
    """Importer's purchases of the sector and demand type from other exporters."""
    return _filled(rows["log_demand_others"])


def importer_gdp(rows: pd.DataFrame) -> np.ndarray:
    """Importer GDP."""
    return _filled(rows["log_gdp_imp"])


def pair_relationship(rows: pd.DataFrame) -> np.ndarray:
    """The pair's trade in all other sectors, alone."""
    return _filled(rows["log_pair_other_sectors"])


def itc_potential(rows: pd.DataFrame) -> np.ndarray:
    """ITC-style supply x demand x ease, in logs. Supply (the exporter's size
    in the sector) is the same for every item of a query, so within a query
    the ranking is demand x ease; unknown ease counts as neutral (1)."""
    return rows["log_demand_others"].to_numpy() + rows["ease_other_sectors"].fillna(0.0).to_numpy()


class GravityPPML:
    """Structural gravity by Poisson pseudo-maximum likelihood on market shares.

    share ~ exp(b . [log GDP_m, log GDPpc_m, log dist, contig, common language,
    colony, both EU]). Fitted on training rows only; missing regressors take
    the training median.
    """

    REGRESSORS = ["log_gdp_imp", "log_gdppc_ppp_imp", "log_distw", "contig", "comlang_off", "colony", "both_eu"]

    def __init__(self, alpha: float = 1e-6, max_iter: int = 300):
        self.alpha = alpha
        self.max_iter = max_iter

    def _matrix(self, rows: pd.DataFrame) -> np.ndarray:
        X = rows[self.REGRESSORS].astype(float)
        return ((X.fillna(self.medians_) - self.mean_) / self.scale_).to_numpy()

    def fit(self, rows: pd.DataFrame, share) -> "GravityPPML":
        X = rows[self.REGRESSORS].astype(float)
        self.medians_ = X.median()
        X = X.fillna(self.medians_)
        self.mean_, self.scale_ = X.mean(), X.std().replace(0, 1)
        self.model_ = PoissonRegressor(alpha=self.alpha, max_iter=self.max_iter)
        self.model_.fit(((X - self.mean_) / self.scale_).to_numpy(), np.asarray(share, dtype=float))
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        # linear predictor: monotone in the expected share, cheaper than exp()
        return self._matrix(rows) @ self.model_.coef_ + self.model_.intercept_


FIXED_BASELINES = {
    "market_size": market_size,
    "importer_gdp": importer_gdp,
    "itc_potential": itc_potential,
    "pair_relationship": pair_relationship,
}
BASELINE_NAMES = ["market_size", "importer_gdp", "gravity_ppml", "itc_potential", "pair_relationship"]

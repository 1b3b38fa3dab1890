"""The market-potential ranker: ``lightgbm.LGBMRanker`` (lambdarank) on the market features."""

from __future__ import annotations

from typing import cast

import lightgbm as lgb
import numpy as np
import pandas as pd

from recommender.features.market import CATEGORICAL, FEATURES, to_model_matrix
from recommender.model.labels import MAX_GRADE


class MarketRanker:
    """Ranks importing countries for an (exporter, sector, demand type) query.

    scikit-learn conventions: hyperparameters in ``__init__``, ``fit`` returns
    ``self``, learned state ends in ``_``. Deterministic for a given
    ``random_state`` (LightGBM ``deterministic`` mode, row-wise histograms).
    """

    def __init__(self, n_estimators: int = 300, learning_rate: float = 0.05, num_leaves: int = 31,
                 min_child_samples: int = 100, subsample: float = 0.8, colsample_bytree: float = 0.8,
                 reg_lambda: float = 1.0, random_state: int = 42, n_jobs: int = 2):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.n_jobs = n_jobs

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples",
                                               "subsample", "colsample_bytree", "reg_lambda", "random_state", "n_jobs")}

    def lgb_params(self) -> dict:
        """Everything passed to ``lightgbm.LGBMRanker`` (recorded in the manifest)."""
        return {
            "objective": "lambdarank",
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1 else 0,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            "random_state": self.random_state,
            "n_jobs": self.n_jobs,
            # grades 0..MAX_GRADE with exponential gain, as in the NDCG we report
            "label_gain": [2.0 ** g - 1 for g in range(MAX_GRADE + 1)],
            "lambdarank_truncation_level": 20,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }

    def fit(self, rows: pd.DataFrame, labels, group_sizes) -> "MarketRanker":
        """``rows`` sorted so each query's items are contiguous; ``group_sizes``
        the item count of each query in that order."""
        self.categories_ = {c: sorted(rows[c].astype(str).unique().tolist()) for c in CATEGORICAL}
        X = to_model_matrix(rows, self.categories_)
        estimator = lgb.LGBMRanker(**self.lgb_params())
        estimator.fit(X, np.asarray(labels), group=np.asarray(group_sizes), categorical_feature=CATEGORICAL)
        self.booster_ = estimator.booster_
        self.feature_names_ = list(FEATURES)
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        # lightgbm types predict() as ndarray | sparse matrix | list of them: a DataFrame gives an ndarray
        return cast(np.ndarray, self.booster_.predict(to_model_matrix(rows, self.categories_), num_threads=self.n_jobs))

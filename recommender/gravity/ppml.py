"""PPML with one dimension of fixed effects, solved exactly by concentration.

Why our own ~80 lines on scipy rather than ``pyfixest``/``glum``: the models
here need a single fixed-effect dimension (an importer x sector x demand type
cell, or a ranking query), and for Poisson a single fixed effect has a closed
form given the slopes,

    alpha_g(beta) = log( sum_{i in g} y_i / sum_{i in g} exp(x_i beta) ),

so the log-likelihood concentrates to a smooth, concave function of a dozen
slopes, ``sum_i y_i x_i beta - sum_g Y_g log sum_{i in g} exp(x_i beta)``:
the multinomial (conditional) logit of each cell's total over its rows.
L-BFGS solves it in a second on a million rows with numpy and scipy only,
with none of the compiled dependencies (numba, JAX) those packages pull in.
With ``groups=None`` the model is plain PPML with an intercept (one cell).

Regressors are standardised with the training mean and scale; missing values
take the training median and a ``<name>__missing`` indicator where any were
missing. A small ridge penalty (``alpha``) keeps slopes finite when a
regressor separates the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize


class PoissonFE:
    """Poisson pseudo-maximum likelihood with one absorbed fixed effect.

    scikit-learn conventions: hyperparameters in ``__init__``, ``fit`` returns
    ``self``, learned state ends in ``_``. Deterministic (no randomness).

    ``predict_linear`` returns ``x . beta`` (no fixed effect): within one
    fixed-effect cell, and within any set of rows that share one, it orders
    rows exactly as the expected value does, so it is what a ranking needs.
    ``predict`` adds the cell's fixed effect where the cell was seen in
    training, else NaN.
    """

    def __init__(self, regressors: list[str], alpha: float = 1e-4, max_iter: int = 500):
        self.regressors = regressors
        self.alpha = alpha
        self.max_iter = max_iter

    # -- design matrix -------------------------------------------------------
    def _raw(self, rows: pd.DataFrame) -> pd.DataFrame:
        return rows[self.regressors].astype(float)

    def _matrix(self, rows: pd.DataFrame) -> np.ndarray:
        X = self._raw(rows)
        miss = {f"{c}__missing": X[c].isna().astype(float) for c in self.missing_indicators_}
        X = X.fillna(self.medians_)
        X = ((X - self.mean_) / self.scale_)
        if miss:
            X = pd.concat([X, pd.DataFrame(miss, index=X.index)], axis=1)
        return X.to_numpy(dtype=float)

    # -- fit -----------------------------------------------------------------
    def fit(self, rows: pd.DataFrame, y, groups=None) -> "PoissonFE":
        """``y`` >= 0 (flows or shares); ``groups`` one fixed-effect key per row or None."""
        y = np.asarray(y, dtype=float)
        if (y < 0).any() or not np.isfinite(y).all():
            raise ValueError("PoissonFE: y must be finite and >= 0")
        raw = self._raw(rows)
        self.medians_ = raw.median().fillna(0.0)
        self.missing_indicators_ = [c for c in self.regressors if raw[c].isna().any()]
        filled = raw.fillna(self.medians_)
        self.mean_ = filled.mean()
        self.scale_ = filled.std().replace(0, 1).fillna(1)
        X = self._matrix(rows)
        self.feature_names_ = list(self.regressors) + [f"{c}__missing" for c in self.missing_indicators_]
        self.pooled_ = groups is None  # one cell for all rows: a plain intercept
        keys = pd.Series(pd.Categorical(np.zeros(len(rows), dtype=int) if self.pooled_
                                        else np.asarray(groups, dtype=object)))
        all_codes, n_groups = keys.cat.codes.to_numpy(np.int64), len(keys.cat.categories)
        Y = np.bincount(all_codes, weights=y, minlength=n_groups)
        keep = Y[all_codes] > 0  # cells with no flow at all carry no information on the slopes
        Xk, yk, codes = X[keep], y[keep], all_codes[keep]
        yx = yk @ Xk
        scale = max(yk.sum(), 1e-12)
        has = Y > 0

        def objective(beta):
            eta = Xk @ beta
            m = np.full(n_groups, -np.inf)
            np.maximum.at(m, codes, eta)  # per-cell max: a stable log-sum-exp
            w = np.exp(eta - m[codes])
            S = np.bincount(codes, weights=w, minlength=n_groups)
            lse = np.log(S[has]) + m[has]
            nll = -(yx @ beta) + Y[has] @ lse
            grad = -yx + (Y[codes] * w / S[codes]) @ Xk
            return nll / scale + 0.5 * self.alpha * beta @ beta, grad / scale + self.alpha * beta

        res = minimize(objective, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B",
                       options={"maxiter": self.max_iter})
        self.coef_ = res.x
        self.converged_ = bool(res.success)
        S = np.bincount(all_codes, weights=np.exp(X @ self.coef_), minlength=n_groups)
        with np.errstate(divide="ignore"):
            fe = np.log(Y) - np.log(S)  # -inf for a cell with no flow: it predicts 0
        self.fixed_effects_ = pd.Series(fe, index=keys.cat.categories)
        return self

    # -- predict -------------------------------------------------------------
    def predict_linear(self, rows: pd.DataFrame) -> np.ndarray:
        return self._matrix(rows) @ self.coef_

    def predict(self, rows: pd.DataFrame, groups=None) -> np.ndarray:
        """Expected value; NaN for rows whose cell was not seen in training."""
        eta = self.predict_linear(rows)
        if self.pooled_:
            return np.exp(eta + self.fixed_effects_.iloc[0])
        fe = self.fixed_effects_.reindex(np.asarray(groups, dtype=object)).to_numpy(float)
        return np.exp(eta + fe)

    def coefficients(self) -> dict[str, float]:
        """Slopes per standardised regressor (a one-standard-deviation change)."""
        return {n: round(float(b), 4) for n, b in zip(self.feature_names_, self.coef_)}

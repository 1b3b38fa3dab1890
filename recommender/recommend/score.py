"""The market score: four parts in [0, 1], blended with weights fitted on
validation data (never typed by hand).

For Italy in the firm's sector and for the demand types its customers stand
for (B2B = intermediate + investment, B2C = household, both = all three):

- ``peers``: where Italian firms of the sector already sell -- Italy's 2022
  exports to the market (USD, summed over the demand types), as a percentile
  over the markets;
- ``forecast``: the forecast model's position of the market for Italy five
  years on, as a percentile (demand types weighted by Italy's 2022 mix);
- ``unrealised``: the unrealised potential in USD (what a model that never saw
  Italy's own flows expects, minus what Italy sells), as a percentile; 0 where
  Italy already sells at least what is expected;
- ``evidence``: public reports naming the market as a destination of the
  firm's district (1), else the share of the sector's other districts whose
  reports name it (see :mod:`recommender.district_evidence`).

``score = 100 * sum_j w_j * part_j`` with ``w`` >= 0 summing to 1, fitted by
:func:`fit_weights` (a conditional logit of the named destinations of the
public district reports on the parts, leave-one-district-out in validation).
The firm's readiness does not enter the score: it decides the horizon
("now" or "prepare"), so a sector's top markets are never hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from recommender import columns as C

PARTS = C.SCORE_PARTS
B2B_TYPES = (C.INTERMEDIATE, C.INVESTMENT)
CUSTOMER_DEMAND_TYPES = {"b2b": B2B_TYPES, "b2c": (C.HOUSEHOLD,),
                         "both": (C.INTERMEDIATE, C.HOUSEHOLD, C.INVESTMENT)}
# household share of Italy's sales in the sector at or above which the default
# customer type is B2C, and at or above which it is "both"
B2C_FROM, BOTH_FROM = 0.5, 0.25


def default_customer_type(sector_mix: dict[str, float]) -> str:
    """b2c / both / b2b from the household share of Italy's sales in the sector."""
    hh = sector_mix.get(C.HOUSEHOLD, 0.0)
    return "b2c" if hh >= B2C_FROM else "both" if hh >= BOTH_FROM else "b2b"


def product_demand_weights(product_mix: dict[str, float], customer: str,
                           sector_mix: dict[str, float]) -> dict[str, float]:
    """Weights of the demand types the customer type stands for: the product's own mix (its end
    use, BEC), else Italy's 2022 mix in its sector where the product has none of those types."""
    types = CUSTOMER_DEMAND_TYPES[customer]
    mix = product_mix if sum(product_mix.get(d, 0.0) for d in types) > 0 else sector_mix
    shares = {d: mix.get(d, 0.0) for d in types}
    total = sum(shares.values())
    return {d: round(v / total, 4) for d, v in shares.items() if v > 0} if total > 0 else {types[0]: 1.0}


def percentile(values: pd.Series) -> pd.Series:
    """0 for the lowest, 1 for the highest (ties share the average rank)."""
    n = values.notna().sum()
    if n <= 1:
        return pd.Series(np.where(values.notna(), 1.0, 0.0), index=values.index)
    return ((values.rank(method="average") - 1) / (n - 1)).fillna(0.0)


def market_parts(serving: pd.DataFrame, sector: str, demand_types: tuple[str, ...], mix: dict[str, float],
                 evidence: pd.Series | None = None) -> pd.DataFrame:
    """Parts and the figures behind them, one row per market (index iso3).

    ``serving`` is the model's serving table; ``mix`` Italy's demand-type
    shares in the sector (weights of the forecast percentile); ``evidence``
    a value in [0, 1] per iso3 (missing = 0)."""
    q = serving[(serving[C.SECTOR] == sector) & serving[C.DEMAND].isin(demand_types)]
    by = q.pivot_table(index=C.IMPORTER, columns=C.DEMAND,
                       values=["current_musd", "gap_musd", "implied_musd", "forecast_score"], aggfunc="first")
    out = pd.DataFrame(index=by.index)
    out["current_musd"] = by["current_musd"].sum(axis=1)
    out["implied_musd"] = by["implied_musd"].sum(axis=1)
    out["gap_musd"] = by["gap_musd"].sum(axis=1)
    available = [d for d in demand_types if d in by["forecast_score"].columns]
    w = {d: mix.get(d, 0.0) for d in available}
    if sum(w.values()) <= 0:  # no sales mix to go by: the demand types count alike
        w = dict.fromkeys(available, 1.0)
    total = sum(w.values())
    out["peers"] = percentile(out["current_musd"])
    out["forecast"] = sum((v / total) * percentile(by["forecast_score"][d]) for d, v in w.items())
    gap = out["gap_musd"].where(out["gap_musd"] > 0)
    out["unrealised"] = percentile(gap).where(gap.notna(), 0.0)
    out["evidence"] = (evidence.reindex(out.index).fillna(0.0) if evidence is not None else 0.0)
    out["peers_rank"] = out["current_musd"].rank(ascending=False, method="first").astype(int)
    out["forecast_rank"] = out["forecast"].rank(ascending=False, method="first").astype(int)
    out["n"] = len(out)
    return out


def blend(parts, weights: dict[str, float]):
    """100 * sum_j w_j part_j (weights normalised to sum to 1); ``parts``: a DataFrame (a Series
    comes back) or a mapping of part name to array (an array comes back)."""
    total = sum(weights.values()) or 1.0
    return 100 * sum((w / total) * parts[name] for name, w in weights.items())


def fit_weights(units: list[tuple[pd.DataFrame, set[str]]], parts=PARTS, ridge: float = 1e-3) -> dict[str, float]:
    """Non-negative weights of a conditional logit: for each unit (a
    district's market parts, its named destinations), maximise the
    likelihood that the named markets are the ones chosen,
    ``sum_u sum_{m named} log softmax_m(s * w . parts)``, over w >= 0.

    Returns the weights normalised to sum to 1 (the ranking only depends on
    their direction; the logit's scale is reported apart as ``_scale``)."""
    Xs, ys = [], []
    for frame, named in units:
        X = frame[list(parts)].to_numpy(float)
        y = frame.index.isin(list(named)).astype(float)
        if y.sum() > 0:
            Xs.append(X)
            ys.append(y)

    def objective(beta):
        nll, grad = 0.0, np.zeros_like(beta)
        for X, y in zip(Xs, ys):
            eta = X @ beta
            eta -= eta.max()
            p = np.exp(eta) / np.exp(eta).sum()
            nll -= y @ np.log(p + 1e-300)
            grad -= (y - y.sum() * p) @ X
        n = sum(y.sum() for y in ys)
        return nll / n + ridge * beta @ beta, grad / n + 2 * ridge * beta

    res = minimize(objective, np.ones(len(parts)), jac=True, method="L-BFGS-B",
                   bounds=[(0, None)] * len(parts))
    beta = np.clip(res.x, 0, None)
    scale = float(beta.sum())
    weights = {p: round(float(b / scale), 4) if scale > 0 else 1 / len(parts) for p, b in zip(parts, beta)}
    return weights | {"_scale": round(scale, 4)}

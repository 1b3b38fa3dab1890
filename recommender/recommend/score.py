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


#: the serving table's columns a market's parts are made of (summed over the customer's demand types)
PART_FIGURES = ("current_musd", "implied_musd", "gap_musd", "forecast_score")


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing the mean of their ranks (``Series.rank(method="average")`` of
    values without NaN): a tie over positions a+1..b gets (a + 1 + b) / 2, an exact half-integer."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])  # tie groups, and the end
    group = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
    ranks = np.empty(len(values))
    ranks[order] = 0.5 * (starts[group] + starts[group + 1] + 1)
    return ranks


def _percentile_array(values: np.ndarray) -> np.ndarray:
    """:func:`percentile` on an array (NaN = missing): the same average ranks, the same arithmetic."""
    present = ~np.isnan(values)
    n = int(present.sum())
    if n <= 1:
        return np.where(present, 1.0, 0.0)
    out = np.zeros(len(values))
    out[present] = (_average_ranks(values[present]) - 1) / (n - 1)
    return out


def _rank_first_descending(values: np.ndarray) -> np.ndarray:
    """``Series.rank(ascending=False, method="first").astype(int)``: 1 for the largest, ties in
    order of appearance (a stable sort of the negated values)."""
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[np.argsort(-values, kind="stable")] = np.arange(1, len(values) + 1)
    return ranks


class MarketPartsIndex:
    """:func:`market_parts` without evidence for every sector of one serving table, as arrays.

    The recommender asks for the parts of a (sector, customer type, demand mix) the first
    time a firm of that product comes; through pandas (a pivot, per-column ranks) that cost
    9-26 ms, the largest part of a cold recommendation. Here the serving table is laid out
    once per sector as (figure, importer, demand type) arrays, and a key's parts are a few
    numpy operations on them (well under a millisecond), with the same arithmetic in the
    same order as :func:`market_parts`, hence the same floats (tests/test_engine_cold_keys.py
    compares the two on every sector and customer type).

    A sector whose rows are not one per (importer, demand type) with every figure present
    (never so in a trained model's serving table, but not enforced by it) is left to
    :func:`market_parts` itself: :meth:`parts` returns None for it.
    """

    def __init__(self, serving: pd.DataFrame,
                 demand_type_sets: tuple[tuple[str, ...], ...] = tuple(CUSTOMER_DEMAND_TYPES.values())):
        """Lay the serving table out, and work out the mix-free columns of every sector for each of
        ``demand_type_sets`` (the customer types': ~20 ms for a trained model's 33 sectors)."""
        self.demand_types: tuple[str, ...] = tuple(sorted(set(serving[C.DEMAND])))
        self._blocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        figures = serving[list(PART_FIGURES)].to_numpy(float)
        complete = ~np.isnan(figures).any(axis=1)
        codes = {d: j for j, d in enumerate(self.demand_types)}
        by_sector: dict[str, list[int]] = {}
        for i, sector in enumerate(serving[C.SECTOR].tolist()):
            by_sector.setdefault(sector, []).append(i)
        importers_all = serving[C.IMPORTER].to_numpy(object)
        demands_all = serving[C.DEMAND].to_numpy(object)
        for sector, rows in by_sector.items():
            if not complete[rows].all():
                continue
            importers = np.array(sorted(set(importers_all[rows])), dtype=object)
            at = {m: i for i, m in enumerate(importers)}
            values = np.zeros((len(PART_FIGURES), len(importers), len(self.demand_types)))
            present = np.zeros((len(importers), len(self.demand_types)), dtype=bool)
            for r in rows:
                i, j = at[importers_all[r]], codes[demands_all[r]]
                if present[i, j]:  # two rows for one cell: pivot_table's "first" is not worth copying
                    break
                present[i, j] = True
                values[:, i, j] = figures[r]
            else:
                self._blocks[sector] = (importers, values, present)
        self._memo: dict[tuple[str, tuple[str, ...]], tuple | None] = {}
        for sector in self._blocks:
            for types in demand_type_sets:
                self._by_types(sector, types)

    def parts(self, sector: str, demand_types: tuple[str, ...],
              mix: dict[str, float]) -> tuple[list[str], dict[str, np.ndarray]] | None:
        """(markets in :func:`market_parts`' row order, its columns as arrays, in its column
        order and dtypes) for ``evidence=None``; None where :func:`market_parts` must answer."""
        found = self._by_types(sector, tuple(demand_types))
        if found is None:
            return None
        markets, fixed, forecast = found
        available = [d for d in demand_types if d in forecast]
        w = {d: mix.get(d, 0.0) for d in available}
        if sum(w.values()) <= 0:  # as market_parts: the demand types count alike
            w = dict.fromkeys(available, 1.0)
        total = sum(w.values())
        out = {c: fixed[c] for c in ("current_musd", "implied_musd", "gap_musd", "peers")}
        out["forecast"] = np.asarray(sum((v / total) * forecast[d] for d, v in w.items()), float)
        out |= {c: fixed[c] for c in ("unrealised", "evidence", "peers_rank")}
        out["forecast_rank"] = _rank_first_descending(out["forecast"])
        out["n"] = fixed["n"]
        return markets, out

    def _by_types(self, sector: str, demand_types: tuple[str, ...]):
        """What a (sector, demand types) key's parts share whatever the mix: (markets, the columns
        that do not depend on it, the forecast percentile of each demand type the rows have).
        Remembered: a few sectors times three customer types. The arrays are shared; read only."""
        key = (sector, demand_types)
        if key not in self._memo:
            self._memo[key] = self._by_types_uncached(sector, demand_types)
        return self._memo[key]

    def _by_types_uncached(self, sector: str, demand_types: tuple[str, ...]):
        block = self._blocks.get(sector)
        if block is None:
            return None
        importers, values, present = block
        # the pivot's columns: the demand types asked for that the sector has, in sorted order
        types = sorted(d for d in set(demand_types) if d in self.demand_types)
        cols = [self.demand_types.index(d) for d in types]
        here = present[:, cols]
        rows = here.any(axis=1)
        if not rows.any():
            return None
        here = here[rows]
        cells = values[:, rows][:, :, cols]  # (figure, market, demand type); absent cells hold 0
        fixed: dict[str, np.ndarray] = {}
        for f, name in enumerate(("current_musd", "implied_musd", "gap_musd")):
            fixed[name] = cells[f].sum(axis=1)  # the pivot's row sum: missing cells count 0
        # a demand type is a pivot column where some row has it; its percentile is over those rows
        forecast = {d: _percentile_array(np.where(here[:, k], cells[3][:, k], np.nan))
                    for k, d in enumerate(types) if here[:, k].any()}
        fixed["peers"] = _percentile_array(fixed["current_musd"])
        fixed["unrealised"] = _percentile_array(np.where(fixed["gap_musd"] > 0, fixed["gap_musd"], np.nan))
        fixed["evidence"] = np.zeros(len(here))
        fixed["peers_rank"] = _rank_first_descending(fixed["current_musd"])
        fixed["n"] = np.full(len(here), len(here), dtype=np.int64)
        for column in (*fixed.values(), *forecast.values()):
            column.flags.writeable = False  # shared by every product of the sector
        return importers[rows].tolist(), fixed, forecast


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

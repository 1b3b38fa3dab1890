"""Registry evidence: where the Chambers' registered firms already sell.

Every firm a Chamber registers lists the markets it already serves
(``current_markets``). A first sale or a start recorded for a market the
firm was never shown (an *unprompted* outcome: it went there on its own) adds
that market to the firm's row. Across the registries this says where a
district's firms of a product sell: what public reports say for 27 districts
only.

Model. Only *exporting* firms enter (at least one market: a firm listing
none says nothing about where). Firm ``f`` serves market ``m`` or not; the
market model's score ``s`` for the firm's product and place is the prior::

    P(f serves m) ≈ exp(a) · s^β          calibrated once over all firm-market pairs
                                          (Poisson MAP, β ~ N(1, 0.25²) within [0.5, 3])

A cell's *lift* (observed / expected sellers) is a gamma-Poisson posterior,
shrunk in two levels as the outcome model's (:mod:`~recommender.outcomes.shrinkage`)::

    national (family, market)            toward 1 (the market model is right)
    local    (family, locality, market)  toward the national lift of the *other* localities

κ of each level by marginal likelihood; the national level hears each
locality with weight κ_local / (κ_local + E), so one large district moves
the rest of its product less than its own firms. Serving multiplies the
score by ``λ^(1/β)``: the ranking's expected share of sellers times λ.

Why apart from the trials of :mod:`~recommender.outcomes.trials`: a firm's
markets are self-selected (it went where it expected to sell, or a buyer
found it), so they say where similar firms sell, not what trying a market
after the advice yields. They update the prior the trials are measured
against and never enter the position-corrected trial lifts.

Never from the firm's own row: at serving, a registered firm's own row (its
markets and its expected sellers) is taken out of its locality's counts, and
the national parent is that of the other localities.

Privacy (k-anonymity): a (family, locality) cell counts for the shared view
and for other Chambers only with at least ``k_anonymity`` exporting firms; a
Chamber's view adds its own firms in full. A reason names how many firms
sell in a market only when they are at least ``k_anonymity``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.outcomes import shrinkage

KIND = "registry"
LOCAL, NATIONAL = "registry_local", "registry_national"
UNPROMPTED_STATUSES = ("first_sale", "started")
BETA_BOUNDS = (0.5, 3.0)  # a lift λ is served as λ^(1/β): at most λ², at least λ^(1/3)
FIRM_COLUMNS = (C.TENANT, C.FIRM, C.FAMILY, C.LOCALITY, C.SERVED, "prior_key", "year")
GROUP_COLUMNS = (C.TENANT, C.FAMILY, C.LOCALITY, "prior_key", "firms", "sellers", "first", "last")
REGISTRY_CELL_COLUMNS = ("view", "kind", "level", C.FAMILY, C.LOCALITY, C.MARKET, "S", "E", "wS", "wE",
                         "firms", "firms_sold", "first_year", "last_year", "lift")
SHARED_VIEW = 0


def unprompted_outcomes(impressions: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Feedback saying a firm sold or started in a market none of its impressions showed it:
    the first such row per firm and market (columns tenant, firm, market, status, date; sorted
    by tenant, firm and market).

    ``impressions`` and ``feedback`` as :func:`recommender.outcomes.database.read_outcomes` gives them."""
    columns = [C.TENANT, C.FIRM, C.MARKET, "status", C.OUTCOME_DATE]
    if feedback.empty:
        return pd.DataFrame(columns=columns)
    shown = {(int(t), int(f), m["iso3"]) for t, f, ms in zip(impressions[C.TENANT], impressions[C.FIRM],
                                                             impressions["markets"]) for m in ms}
    fb = feedback[feedback["status"].isin(UNPROMPTED_STATUSES)]
    keep = [(int(t), int(f), m) not in shown for t, f, m in zip(fb[C.TENANT], fb[C.FIRM], fb[C.MARKET])]
    out = fb[keep].sort_values([C.OUTCOME_DATE, "id"], kind="stable").drop_duplicates([C.TENANT, C.FIRM, C.MARKET])
    return out[columns].sort_values([C.TENANT, C.FIRM, C.MARKET], kind="stable").reset_index(drop=True)


def served_markets(current_markets, unprompted) -> frozenset[str]:
    """A registered firm's row: the markets it lists plus those of its unprompted outcomes."""
    return frozenset(current_markets or ()) | frozenset(unprompted or ())


def _sum_cells(parts: list[dict]) -> dict:
    """Add (family, locality) cells given as {"N", "S", "E", "first", "last"} (S, E: arrays over markets)."""
    return {"N": sum(p["N"] for p in parts), "S": sum(p["S"] for p in parts), "E": sum(p["E"] for p in parts),
            "first": min(p["first"] for p in parts), "last": max(p["last"] for p in parts)}


class RegistryModel:
    """Lifts of where registered firms sell, per view, family, locality and market.

    Parameters
    ----------
    k_anonymity : a (family, locality) cell of other Chambers' firms counts only with at least this
        many exporting firms.
    kappa_default : prior weight (expected sellers) when too few cells to fit it.
    min_cells : informative cells needed to fit κ of a level.
    random_state : unused by the closed-form fit; kept for the estimator convention.

    Learned state: ``markets_`` (the market index), ``scale_`` (a, β, how), ``kappa_`` (per level,
    with how), ``cells_`` (:data:`REGISTRY_CELL_COLUMNS`, one row per view, cell and market),
    ``counts_`` (what it learned from).
    """

    def __init__(self, k_anonymity: int = 5, kappa_default: float = 5.0, min_cells: int = 10,
                 random_state: int = 0):
        self.k_anonymity = k_anonymity
        self.kappa_default = kappa_default
        self.min_cells = min_cells
        self.random_state = random_state

    def fit(self, firms: pd.DataFrame, priors: dict) -> "RegistryModel":
        """Learn from registered firms (:data:`FIRM_COLUMNS`; ``markets`` a set of ISO3, ``prior_key``
        a key of ``priors``) and ``priors`` (key -> pd.Series of the market model's score per market)."""
        exporting = np.array([len(m) > 0 for m in firms[C.SERVED]], dtype=bool) & firms[C.LOCALITY].notna().to_numpy()
        firms = firms[exporting].reset_index(drop=True)
        markets = sorted(set().union(*(set(p.index) for p in priors.values()))) if priors else []
        pos = {m: i for i, m in enumerate(markets)}
        groups = []
        for (tenant, family, loc, key), g in firms.groupby([C.TENANT, C.FAMILY, C.LOCALITY, "prior_key"], sort=True):
            sellers = np.zeros(len(markets))
            for served in g[C.SERVED]:
                sellers[[pos[m] for m in served if m in pos]] += 1.0
            groups.append({C.TENANT: tenant, C.FAMILY: family, C.LOCALITY: loc, "prior_key": key, "firms": len(g),
                           "sellers": sellers, "first": int(g["year"].min()), "last": int(g["year"].max())})
        self.fit_counts(pd.DataFrame(groups, columns=GROUP_COLUMNS), priors, markets)
        self.counts_["firm_markets"] = int(sum(len(m) for m in firms[C.SERVED]))
        return self

    def fit_counts(self, groups: pd.DataFrame, priors: dict, markets: list[str] | None = None) -> "RegistryModel":
        """Learn from firms already counted: one row per (tenant, family, locality, prior key) with
        ``firms`` (exporting firms) and ``sellers`` (an array over ``markets``: how many of them sell
        in each), ``first``/``last`` (years registered). :meth:`fit` counts registered firms this way;
        the simulation (:mod:`recommender.outcomes.registry_simulation`) draws the counts."""
        self.markets_ = list(markets) if markets is not None else (
            sorted(set().union(*(set(p.index) for p in priors.values()))) if priors else [])
        self.counts_ = {"exporting_firms": int(groups["firms"].sum()) if len(groups) else 0,
                        "chambers": int(groups[C.TENANT].nunique()) if len(groups) else 0,
                        "firm_markets": int(sum(float(s.sum()) for s in groups["sellers"])) if len(groups) else 0}
        if groups.empty or not self.markets_:
            self.scale_: dict[str, Any] = {"a": 0.0, "beta": 1.0, "how": "none (no exporting firm registered)"}
            self.kappa_: dict[str, dict[str, Any]] = {lv: {"kappa": self.kappa_default, "how": "default (no firm)"}
                                                      for lv in (NATIONAL, LOCAL)}
            self.cells_ = pd.DataFrame(columns=REGISTRY_CELL_COLUMNS)
            self.counts_["cells"] = self.counts_["cells_shown_to_all"] = 0
            return self
        scores = np.vstack([priors[key].reindex(self.markets_).fillna(0.0).to_numpy(float)
                            for key in groups["prior_key"]])
        sellers = np.vstack(list(groups["sellers"]))
        n = groups["firms"].to_numpy(float)[:, None] * np.ones_like(scores)
        a, beta, how = shrinkage.fit_scale(sellers.ravel(), scores.ravel(), beta_bounds=BETA_BOUNDS,
                                           exposure=n.ravel())
        self.scale_ = {"a": a, "beta": beta, "how": how + f" (firm-market pairs), β within {list(BETA_BOUNDS)}"}
        expected = n * shrinkage.expected_success(a, beta, scores)

        # (tenant, family, locality) -> counts; then per view
        own: dict[tuple, dict] = {}
        for key, idx in groups.groupby([C.TENANT, C.FAMILY, C.LOCALITY], sort=True).indices.items():
            own[key] = {"N": int(groups["firms"].to_numpy()[idx].sum()), "S": sellers[idx].sum(0),
                        "E": expected[idx].sum(0), "first": int(groups["first"].to_numpy()[idx].min()),
                        "last": int(groups["last"].to_numpy()[idx].max())}
        everyone: dict[tuple, list] = {}
        for (tenant, family, loc), cell in own.items():
            everyone.setdefault((family, loc), []).append((tenant, cell))
        pooled = {key: _sum_cells([c for _, c in cells]) for key, cells in everyone.items()}
        self.kappa_ = self._kappas(pooled)
        views = {SHARED_VIEW: {key: self._disclosed(c) for key, c in pooled.items() if c["N"] >= self.k_anonymity}}
        for tenant in sorted({t for t, _, _ in own}):
            families = {f for t, f, _ in own if t == tenant}
            view = {}
            for (family, loc), cells in everyone.items():
                if family not in families:
                    continue
                mine = [c for t, c in cells if t == tenant]
                others = [c for t, c in cells if t != tenant]
                others = ([self._disclosed(total)] if others and (total := _sum_cells(others))["N"] >= self.k_anonymity
                          else [])
                if mine or others:
                    view[(family, loc)] = _sum_cells([self._per_market(c) for c in mine] + others)
            views[int(tenant)] = view
        self.cells_ = pd.concat([self._cells(v, cells) for v, cells in views.items()], ignore_index=True)
        self.counts_["cells"] = int(len({(f, loc) for f, loc in pooled}))
        self.counts_["cells_shown_to_all"] = int(len(views[SHARED_VIEW]))
        return self

    def _per_market(self, cell: dict) -> dict:
        """The cell with its firm count per market (an array), as :meth:`_disclosed` gives it."""
        return cell | {"N": np.full(len(self.markets_), float(cell["N"]))}

    def _disclosed(self, cell: dict) -> dict:
        """What of a cell other Chambers may learn from: markets where 1 to k - 1 firms sell are
        suppressed (counts 0, firms 0: those few firms are not told apart), the rest as they are."""
        few = (cell["S"] > 0) & (cell["S"] < self.k_anonymity)
        keep = ~few
        return cell | {"N": np.where(keep, float(cell["N"]), 0.0), "S": np.where(keep, cell["S"], 0.0),
                       "E": np.where(keep, cell["E"], 0.0)}

    def _kappas(self, pooled: dict) -> dict:
        """κ of both levels from all firms pooled (scalars only: no cell leaves a Chamber through them)."""
        keys = list(pooled)
        S = np.concatenate([pooled[k]["S"] for k in keys])
        E = np.concatenate([pooled[k]["E"] for k in keys])
        fam = np.repeat([k[0] for k in keys], len(self.markets_))
        mkt = np.tile(np.arange(len(self.markets_)), len(keys))
        frame = pd.DataFrame({"f": fam, "m": mkt, "S": S, "E": E})

        def national(k_low):
            w = k_low / (k_low + frame["E"])
            x = frame.assign(wS=frame["S"] * w, wE=frame["E"] * w)
            nat = x.groupby(["f", "m"])[["wS", "wE"]].transform("sum")
            return x, nat

        plain = frame.groupby(["f", "m"])[["S", "E"]].transform("sum")
        parent = shrinkage.posterior_lift(plain["S"], plain["E"], self.kappa_default)
        k_low, _ = shrinkage.fit_kappa(S, E, parent, self.kappa_default, self.min_cells)
        x, nat = national(k_low)
        firsts = ~frame.duplicated(["f", "m"])
        k_top, how_top = shrinkage.fit_kappa(nat["wS"][firsts], nat["wE"][firsts], 1.0, self.kappa_default,
                                             self.min_cells)
        others = shrinkage.posterior_lift((nat["wS"] - x["wS"]).clip(lower=0), (nat["wE"] - x["wE"]).clip(lower=0),
                                          k_top)
        k_low, how_low = shrinkage.fit_kappa(S, E, others, self.kappa_default, self.min_cells)
        return {NATIONAL: {"kappa": float(k_top), "how": how_top}, LOCAL: {"kappa": float(k_low), "how": how_low}}

    def _cells(self, view: int, cells: dict) -> pd.DataFrame:
        """One view's local and national rows (every market of every cell)."""
        if not cells:
            return pd.DataFrame(columns=REGISTRY_CELL_COLUMNS)
        k_low, k_top = self.kappa_[LOCAL]["kappa"], self.kappa_[NATIONAL]["kappa"]
        n_m = len(self.markets_)
        keys = list(cells)
        local = pd.DataFrame({
            C.FAMILY: np.repeat([k[0] for k in keys], n_m), C.LOCALITY: np.repeat([k[1] for k in keys], n_m),
            C.MARKET: np.tile(self.markets_, len(keys)),
            "S": np.concatenate([cells[k]["S"] for k in keys]), "E": np.concatenate([cells[k]["E"] for k in keys]),
            "firms": np.concatenate([cells[k]["N"] for k in keys]),
            "first_year": np.repeat([cells[k]["first"] for k in keys], n_m),
            "last_year": np.repeat([cells[k]["last"] for k in keys], n_m)})
        local = local[local["firms"] > 0].reset_index(drop=True)  # suppressed markets: no row, the prior's factor
        local["firms_sold"] = local["S"]
        w = k_low / (k_low + local["E"])
        local["wS"], local["wE"] = local["S"] * w, local["E"] * w
        national = local.groupby([C.FAMILY, C.MARKET], sort=True).agg(
            S=("wS", "sum"), E=("wE", "sum"), firms=("firms", "sum"), firms_sold=("firms_sold", "sum"),
            first_year=("first_year", "min"), last_year=("last_year", "max")).reset_index()
        national["lift"] = shrinkage.posterior_lift(national["S"], national["E"], k_top)
        national = national.assign(wS=national["S"], wE=national["E"], level=NATIONAL)
        nat = local[[C.FAMILY, C.MARKET]].merge(national[[C.FAMILY, C.MARKET, "S", "E"]], how="left")
        others = shrinkage.posterior_lift((nat["S"].to_numpy() - local["wS"]).clip(lower=0),
                                          (nat["E"].to_numpy() - local["wE"]).clip(lower=0), k_top)
        local["lift"] = shrinkage.posterior_lift(local["S"], local["E"], k_low, others)
        out = pd.concat([local.assign(level=LOCAL), national], ignore_index=True).assign(view=int(view), kind=KIND)
        for col in ("firms", "firms_sold", "first_year", "last_year"):
            out[col] = out[col].round().astype("Int64")
        return out[list(REGISTRY_CELL_COLUMNS)]

    def params(self) -> dict:
        """The fitted scalars (for the manifest and the serving lookups)."""
        return {"k_anonymity": self.k_anonymity, "scale": self.scale_, "kappa": self.kappa_}

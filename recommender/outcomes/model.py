"""The outcome model: success rates learned from trials, shrunk toward the prior.

Markets: a trial's *expected* success comes from the market model's prior
score when the market was shown, calibrated on the logit scale
(``logit P(success | tried) = c + b·log score + δ_sector·parts``, see
:func:`~recommender.outcomes.shrinkage.fit_success_logit`). Each cell's lift
(observed / expected, gamma-Poisson posterior) is shrunk in two levels::

    national  (sector, market)            toward 1 (the calibrated prior is right)
    local     (sector, locality, market)  toward its national lift

The national level hears each locality with weight κ_local / (κ_local + E):
one district's evidence, however large, counts as at most κ_local expected
successes about its whole sector.
so a district moves first where its own firms sold or failed, the same
sector elsewhere moves less (only through the national level), and another
sector does not move at all.

The calibration also re-weighs the score's parts per sector (δ, fitted on the
trials of the sector's k-anonymous cells, δ ~ N(0, 1)). A lift is tied to one
market, so it cannot reach a market nobody tried; δ can: when a sector's firms
keep selling where, say, Italy sells little, every such market rises. The
served order is the expected success ``q(score, parts) × local lift``, shown on
the score's scale: score ``prior score × re-weighting × lift`` with re-weighting
``q / (exp(a)·score)`` (``a`` set so that exp(a)·score matches q on average over
the trials). The Poisson calibration ``exp(a)·score^β``
(:func:`~recommender.outcomes.shrinkage.fit_scale`) is kept as the replay's
prior-only yardstick and for versions fitted before. With no trials nothing is
calibrated, every lift is exactly 1 and the ranking is the market model's.

Why lifts and not the calibration's own effects on the logit scale (which the
calibration estimates and drops): served in place of the lifts, on the
labelled simulation (10 simulations per variant, paired with these lifts),
they did better at 10,000 outcomes where the prior is right (+3.5 points of
the Bayes oracle's recall gain with their sd fitted by marginal likelihood,
+6.6 with δ partially pooled across sectors) but worse at 1,000 to 3,000
outcomes and where the truth contradicts the prior (−10 to −17 points at
3,000). Figures in the README (offline evaluation).

Channels: the prior is today's rule score times Eurostat's share of Italian
enterprises of the firm's size class with e-sales to the EU or the rest of
the world (``esales``: E_AESEU / E_AESWW), calibrated on the trials; lifts
shrink from (channel, sector) to (channel, market, sector, maturity level,
size class).

Privacy across Chambers (k-anonymity): each Chamber's *view* is built from
its own trials plus, per cell, the aggregate of the other Chambers' trials
only when those come from at least ``k_anonymity`` (5) distinct firms; the
shared view (no Chamber, or a Chamber with no trials) uses only cells with at
least ``k_anonymity`` firms. Rows never cross Chambers; the fitted scalars
(a, β, c, b, κ) are pooled over all trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.outcomes import shrinkage
from recommender.outcomes.trials import PART_COLUMNS, TRIAL_COLUMNS

SHARED_VIEW = 0  # the view of a caller with no Chamber or no trials of its own
MARKET, CHANNEL = "market", "channel"
MARKET_LEVELS = {"national": (C.SECTOR, C.MARKET), "local": (C.SECTOR, C.LOCALITY, C.MARKET)}
CHANNEL_LEVELS = {"channel_sector": (C.CHANNEL, C.SECTOR),
                  "channel_context": (C.CHANNEL, C.MARKET, C.SECTOR, C.MATURITY_LEVEL, C.SIZE_CLASS)}
KEY_COLUMNS = (C.SECTOR, C.LOCALITY, C.MARKET, C.CHANNEL, C.MATURITY_LEVEL, C.SIZE_CLASS)
COUNT_COLUMNS = ("S", "E", "trials", "successes", "firms", "firms_sold", "first_year", "last_year")
CELL_COLUMNS = ("view", "kind", "level", *KEY_COLUMNS, *COUNT_COLUMNS, "lift", "var")
MIN_CALIBRATION_TRIALS = 20  # market trials needed for the calibration on the logit scale
DEFAULT_SIZE = "10-49"  # Eurostat has no micro-firm (1-9) rows for Italy; unknown size uses small firms


def channel_base(esales: pd.DataFrame, countries: pd.DataFrame) -> dict:
    """{(size_class, "EU" | "WORLD"): share} from Eurostat: the latest share of Italian
    enterprises of the size class with e-sales to other EU countries (E_AESEU)
    or to the rest of the world (E_AESWW), as a fraction; and {"eu": set of EU ISO3}."""
    it = esales[(esales["geo"] == "IT") & esales["indicator"].isin(["E_AESEU", "E_AESWW"])]
    latest = it.sort_values("year").groupby(["size_class", "indicator"]).tail(1)
    base: dict[tuple[str, str] | str, Any] = {
        (r["size_class"], "EU" if r["indicator"] == "E_AESEU" else "WORLD"): r["pct_enterprises"] / 100.0
        for r in latest.to_dict("records")}
    base["years"] = sorted({int(y) for y in latest["year"]})
    base["eu"] = frozenset(countries.loc[countries["eu_member"].astype(str) == "True", "iso3"])
    return base


def channel_prior_base(base: dict, size_class: str, market: str) -> float:
    region = "EU" if market in base.get("eu", ()) else "WORLD"
    return base.get((size_class, region), base.get((DEFAULT_SIZE, region), 0.05))


class OutcomeModel:
    """Success rates per cell with hierarchical empirical-Bayes shrinkage.

    Parameters
    ----------
    k_anonymity : other Chambers' trials enter a view only as per-cell
        aggregates of at least this many distinct firms.
    kappa_default : prior weight (expected successes) when too few cells to fit it.
    min_cells : informative cells needed to fit κ of a level.
    channel_base : :func:`channel_base` (Eurostat) for the channel prior; None = 1.
    part_weight_prior_sd : sd of the prior on δ, the re-weighting of the score's parts.
    calibration_effect_sd : sd of the sector-market and district-market effects the
        calibration holds apart (``shrinkage.fit_success_logit``).
    random_state : unused by the closed-form fit; kept for the estimator convention.

    Learned state: ``scale_`` (a, β and how: the Poisson calibration, the replay's prior-only
    yardstick), ``calibration_`` (the calibration on the logit scale the lifts are measured
    against: c, b, the a that puts the served score on the prior's scale, the range of log prior
    scores it was fitted on and the slope serving uses beyond it, and how; None with too few
    trials),
    ``part_weights_`` (per sector, δ of the score's parts and how), ``channel_scale_``, ``kappa_``
    (per level, with how), ``cells_`` (one row per view and cell, with lift and
    posterior variance, the parent's uncertainty included), ``counts_`` (what it learned from).
    """

    def __init__(self, k_anonymity: int = 5, kappa_default: float = 5.0, min_cells: int = 10,
                 channel_base: dict | None = None,
                 part_weight_prior_sd: float = shrinkage.PART_WEIGHT_PRIOR_SD,
                 calibration_effect_sd: tuple[float, float] = shrinkage.CALIBRATION_EFFECT_SD, random_state: int = 0):
        self.k_anonymity = k_anonymity
        self.kappa_default = kappa_default
        self.min_cells = min_cells
        self.channel_base = channel_base
        self.part_weight_prior_sd = part_weight_prior_sd
        self.calibration_effect_sd = (float(calibration_effect_sd[0]), float(calibration_effect_sd[1]))
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------
    def _expected(self, trials: pd.DataFrame) -> pd.DataFrame:
        markets = trials[trials[C.CHANNEL].isna()].copy()
        channels = trials[trials[C.CHANNEL].notna()].copy()
        a, beta, how = shrinkage.fit_scale(markets[C.SUCCESS], markets[C.PRIOR_SCORE])
        self.scale_ = {"a": a, "beta": beta, "how": how}
        markets["E"] = shrinkage.expected_success(a, beta, markets[C.PRIOR_SCORE])
        base = np.array([channel_prior_base(self.channel_base, s, m) if self.channel_base else 1.0
                         for s, m in zip(channels[C.SIZE_CLASS], channels[C.MARKET])], dtype=float)
        x = base * channels[C.PRIOR_SCORE].astype(float).to_numpy()
        enough = len(channels) >= 20 and channels[C.SUCCESS].sum() > 0
        a_c = float(np.log(channels[C.SUCCESS].sum() / x.sum())) if enough else 0.0
        self.channel_scale_ = {"a": a_c, "how": (f"calibrated on {len(channels)} channel trials" if enough else
                                                 "Eurostat level as is (fewer than 20 channel trials)")}
        channels["E"] = np.exp(a_c) * x
        return pd.concat([markets.assign(kind=MARKET), channels.assign(kind=CHANNEL)], ignore_index=True)

    def _reweigh_parts(self, t: pd.DataFrame) -> pd.DataFrame:
        """Each market trial's expected success from the calibration on the logit scale
        (:func:`~recommender.outcomes.shrinkage.fit_success_logit`): ``logit q = c + b·log(prior)
        + δ_sector·parts`` with the sector-market and district-market effects held apart, so that
        what the loop chose to show (the markets that sold before) does not bias c, b and δ.

        δ, how much more or less each part of the market score should weigh, is learned per
        sector from the trials of k-anonymous market cells only (at least ``k_anonymity``
        distinct firms: the aggregates any Chamber may learn from), and only in a sector with at
        least ``min_cells`` of them; elsewhere it is 0. The same for every Chamber: a δ per
        Chamber, learned from every cell of its own, did worse on the labelled simulation (one
        Chamber, so every cell its own: −6.5 points [−11.9, −2.0] of the Bayes oracle's recall
        gain at 10,000 outcomes, 10 simulations paired), so there is none. The cells' lifts then say what the
        calibrated prior still misses. Unlike a lift, δ reaches the markets nobody tried yet: if
        the firms of a sector keep selling where Italy sells little, every such market rises.
        With too few trials (or no success or no failure yet) the Poisson calibration stands."""
        self.part_weights_, self.calibration_ = {}, None
        markets = t[t["kind"] == MARKET]
        y = markets[C.SUCCESS].astype(float)
        if len(markets) < MIN_CALIBRATION_TRIALS or y.min() == y.max():
            return t
        parts = markets[list(PART_COLUMNS)].astype(float)
        complete = parts.notna().all(axis=1)
        cell = (markets[C.SECTOR].astype(str) + "|" + markets[C.LOCALITY].astype(str) + "|"
                + markets[C.MARKET].astype(str))
        anonymous = complete & (markets.groupby(cell)[C.FIRM].transform("nunique") >= self.k_anonymity)
        cells_per_sector = cell[anonymous].groupby(markets.loc[anonymous, C.SECTOR]).nunique()
        learns = markets[C.SECTOR].map(cells_per_sector).fillna(0).to_numpy() >= self.min_cells
        sectors = sorted(markets[C.SECTOR].unique())
        code = markets[C.SECTOR].map({s: i for i, s in enumerate(sectors)}).to_numpy()
        X = parts.fillna(0.0).to_numpy(float)
        log_prior = np.log(np.clip(markets[C.PRIOR_SCORE].astype(float).to_numpy(), shrinkage.PRIOR_FLOOR, None))
        c, b, delta = shrinkage.fit_success_logit(
            y, log_prior, X * (anonymous.to_numpy() & learns)[:, None], code,
            pd.factorize(markets[C.SECTOR].astype(str) + "|" + markets[C.MARKET].astype(str))[0],
            pd.factorize(cell)[0], self.part_weight_prior_sd, self.calibration_effect_sd)
        q = shrinkage.logit_success(c, b, log_prior, (X * delta[code]).sum(axis=1))
        # the served score: the expected success on the prior's scale, exp(a)·prior ∝ q on average
        a = float(np.log(q.sum() / np.exp(log_prior).sum()))
        # the scores the calibration has seen: beyond them serving uses the prior's slope from the
        # nearest edge (b fitted on the tried markets says nothing there, and b < 0 would lift the
        # market model's lowest scores without bound)
        self.calibration_ = {"c": c, "b": b, "a": a,
                             "log_prior_range": [float(log_prior.min()), float(log_prior.max())],
                             "slope_outside": shrinkage.CALIBRATION_SLOPE_PRIOR[0], "how": (
            f"logistic mixed model over {len(markets)} market trials: b ~ N{shrinkage.CALIBRATION_SLOPE_PRIOR}, "
            f"sector-market and district-market effects sd {self.calibration_effect_sd}")}
        registry = C.PART_PREFIX + C.REGISTRY_PART
        for i, sector in enumerate(sectors):
            mine = (code == i) & anonymous.to_numpy()
            if not learns[code == i].any():
                continue
            # the registry part only where some market had registry evidence (else it says nothing)
            cols = [j for j, col in enumerate(PART_COLUMNS) if col != registry or (X[mine, j] != 0).any()]
            self.part_weights_[sector] = {
                "weights": {PART_COLUMNS[j][len(C.PART_PREFIX):]: round(float(delta[i, j]), 4) for j in cols},
                "how": (f"logistic MAP over {int(cells_per_sector.get(sector, 0))} cells of at least "
                        f"{self.k_anonymity} firms, δ ~ N(0, {self.part_weight_prior_sd}²)")}
        t = t.copy()
        t.loc[markets.index, "E"] = q
        return t

    @staticmethod
    def _aggregate(trials: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        t = trials.assign(_year=pd.to_datetime(trials[C.OUTCOME_DATE]).dt.year,
                          _sold=np.where(trials[C.SUCCESS] == 1, trials[C.FIRM], np.nan))
        g = t.groupby(by, dropna=False, sort=True)
        return g.agg(S=(C.SUCCESS, "sum"), E=("E", "sum"), trials=(C.SUCCESS, "size"), successes=(C.SUCCESS, "sum"),
                     firms=(C.FIRM, "nunique"), firms_sold=("_sold", "nunique"),
                     first_year=("_year", "min"), last_year=("_year", "max")).reset_index()

    @staticmethod
    def _national(local: pd.DataFrame, top_key: list[str], k_low: float) -> pd.DataFrame:
        """National cells from local ones. Each locality's evidence about the national lift is
        capped by how much localities differ (κ_low): its counts enter with weight κ_low / (κ_low + E),
        so one district with many trials cannot move its whole sector elsewhere as if it were all of
        it (the precision of a group mean in a hierarchical model). ``S``/``E`` are the weighted
        counts the lift uses; trials, firms and years the plain sums shown in reasons."""
        if local.empty:
            return local.drop(columns=[c for c in local.columns if c not in (*top_key, *COUNT_COLUMNS)])
        w = k_low / (k_low + local["E"])
        x = local.assign(S=local["S"] * w, E=local["E"] * w)
        return x.groupby(top_key, dropna=False, sort=True).agg(
            S=("S", "sum"), E=("E", "sum"), trials=("trials", "sum"), successes=("successes", "sum"),
            firms=("firms", "sum"),
            firms_sold=("firms_sold", "sum"), first_year=("first_year", "min"),
            last_year=("last_year", "max")).reset_index()

    @staticmethod
    def _sum(frames: list[pd.DataFrame], key: list[str]) -> pd.DataFrame:
        both = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(
            not f.empty for f in frames) else frames[0]
        return both.groupby(key, dropna=False, sort=True).agg(
            S=("S", "sum"), E=("E", "sum"), trials=("trials", "sum"), successes=("successes", "sum"),
            firms=("firms", "sum"),
            firms_sold=("firms_sold", "sum"), first_year=("first_year", "min"),
            last_year=("last_year", "max")).reset_index()

    def _views(self, trials: pd.DataFrame, low_key: Sequence[str], top_key: Sequence[str], k_low: float,
               tenants) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(national, local) counts per view and cell: each Chamber's own trials plus the other
        Chambers' aggregates that pass k-anonymity (at least ``k_anonymity`` distinct firms in the
        cell); view 0 (shared): only the aggregates that pass it.

        A Chamber's view holds only the groups (``top_key``: sector and market, or channel and
        sector) in which it has trials of its own. Elsewhere its own counts are zero, so its
        cells would be the other Chambers' aggregates that pass k-anonymity, which are exactly
        the shared view's: the adjuster falls back to those, and the cells grow with the
        trials, not with trials x Chambers."""
        low_key, top_key = list(low_key), list(top_key)
        k = self.k_anonymity
        everyone = self._aggregate(trials, low_key)
        nat_all = self._national(everyone, top_key, k_low)
        national = [nat_all[nat_all["firms"] >= k].assign(view=SHARED_VIEW)]
        local = [everyone[everyone["firms"] >= k].assign(view=SHARED_VIEW)]
        group = pd.MultiIndex.from_frame(trials[top_key])
        for tenant in tenants:
            mine = (trials[C.TENANT] == tenant).to_numpy()
            in_groups = group.isin(group[mine].unique())
            own = self._aggregate(trials[mine], low_key)
            others = self._aggregate(trials[in_groups & ~mine], low_key)
            nat_others = self._national(others, top_key, k_low)
            loc = self._sum([own, others[others["firms"] >= k]], low_key)
            nat = self._sum([self._national(own, top_key, k_low), nat_others[nat_others["firms"] >= k]], top_key)
            if not loc.empty:
                local.append(loc.assign(view=int(tenant)))
            if not nat.empty:
                national.append(nat.assign(view=int(tenant)))
        return pd.concat(national, ignore_index=True), pd.concat(local, ignore_index=True)

    def _kappas(self, data: pd.DataFrame, top_key: list[str], low_key: list[str]) -> tuple:
        """κ of both levels from all trials pooled (scalars only: no cell leaves a Chamber through them).

        A trial is Bernoulli: its variance is (1 - q) times the Poisson's. κ is fitted on counts divided
        by (1 - q̄), which gives the gamma-Poisson the right dispersion; the same κ on raw counts is
        then κ·(1 - q̄) (otherwise κ comes out too large and the lifts move too slowly)."""
        qbar = float(min(data[C.SUCCESS].mean(), 0.95))
        f = 1.0 / (1.0 - qbar)
        local = self._aggregate(data, low_key)
        scaled = local.assign(S=local["S"] * f, E=local["E"] * f)
        # first pass: localities pooled plainly, to get a κ_low for the weights of the national level
        plain = scaled.groupby(top_key, dropna=False).agg(S=("S", "sum"), E=("E", "sum")).reset_index()
        plain["_p"] = shrinkage.posterior_lift(plain["S"], plain["E"], self.kappa_default)
        parent = scaled.merge(plain[[*top_key, "_p"]], on=top_key, how="left")["_p"]
        k_low, _ = shrinkage.fit_kappa(scaled["S"], scaled["E"], parent, self.kappa_default, self.min_cells)
        national = self._national(scaled, top_key, k_low)
        k_top, how_top = shrinkage.fit_kappa(national["S"], national["E"], 1.0, self.kappa_default, self.min_cells)
        national["_p"] = shrinkage.posterior_lift(national["S"], national["E"], k_top)
        parent = scaled.merge(national[[*top_key, "_p"]], on=top_key, how="left")["_p"]
        k_low, how_low = shrinkage.fit_kappa(scaled["S"], scaled["E"], parent, self.kappa_default, self.min_cells)
        note = f", Bernoulli-corrected (q̄ {qbar:.2f})"
        if "default" not in how_top:
            k_top, how_top = k_top / f, how_top + note
        if "default" not in how_low:
            k_low, how_low = k_low / f, how_low + note
        return (k_top, how_top), (k_low, how_low)

    def fit(self, trials: pd.DataFrame) -> "OutcomeModel":
        """Learn from trials (columns of :data:`recommender.outcomes.trials.TRIAL_COLUMNS`)."""
        trials = trials.reindex(columns=list(TRIAL_COLUMNS))
        # a trial logged without registry evidence had registry factor 1: its log is 0, not unknown
        registry = C.PART_PREFIX + C.REGISTRY_PART
        trials[registry] = trials[registry].astype(float).fillna(0.0)
        trials[C.CHANNEL] = trials[C.CHANNEL].where(trials[C.CHANNEL].notna() & (trials[C.CHANNEL] != ""), None)
        t = self._reweigh_parts(self._expected(trials))
        tenants = sorted(int(x) for x in t[C.TENANT].unique())
        self.kappa_ = {}
        frames = []
        for kind, levels in ((MARKET, MARKET_LEVELS), (CHANNEL, CHANNEL_LEVELS)):
            data = t[t["kind"] == kind]
            (top, top_key), (low, low_key) = levels.items()
            if len(data):
                (k_top, how_top), (k_low, how_low) = self._kappas(data, list(top_key), list(low_key))
            else:
                (k_top, how_top), (k_low, how_low) = ((self.kappa_default, "default (no trials)"),) * 2
            self.kappa_[top] = {"kappa": k_top, "how": how_top}
            self.kappa_[low] = {"kappa": k_low, "how": how_low}
            if not len(data):
                continue
            vt, vl = self._views(data, low_key, top_key, k_low, tenants)
            vt["lift"] = shrinkage.posterior_lift(vt["S"], vt["E"], k_top)
            vt["var"] = shrinkage.posterior_variance(vt["S"], vt["E"], k_top)
            vl = vl.merge(vt[["view", *top_key, "lift", "var"]].rename(columns={"lift": "_p", "var": "_pv"}),
                          on=["view", *top_key], how="left")
            vl["_p"] = vl["_p"].fillna(1.0)
            vl["_pv"] = vl["_pv"].fillna(1.0 / k_top)
            vl["lift"] = shrinkage.posterior_lift(vl["S"], vl["E"], k_low, vl["_p"])
            vl["var"] = shrinkage.posterior_variance(vl["S"], vl["E"], k_low, vl["_p"], vl["_pv"])
            frames += [vt.assign(kind=kind, level=top), vl.drop(columns=["_p", "_pv"]).assign(kind=kind, level=low)]
        cells = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CELL_COLUMNS)
        for col in CELL_COLUMNS:
            if col not in cells:
                cells[col] = None
        cells = cells[list(CELL_COLUMNS)]
        cells[C.MATURITY_LEVEL] = cells[C.MATURITY_LEVEL].astype("Int64")
        cells["S"] = cells["S"].astype(float)  # national S is a weighted count
        for col in ("trials", "successes", "firms", "firms_sold", "first_year", "last_year"):
            cells[col] = cells[col].astype("Int64")
        for col in (C.SECTOR, C.LOCALITY, C.MARKET, C.CHANNEL, C.SIZE_CLASS, "kind", "level"):
            cells[col] = cells[col].astype(object).where(cells[col].notna(), None)
        self.cells_ = cells.reset_index(drop=True)
        m = trials[trials[C.CHANNEL].isna()]
        self.counts_ = {"trials": int(len(m)), "successes": int(m[C.SUCCESS].sum()),
                        "channel_trials": int(len(trials) - len(m)),
                        "firms": int(m[[C.TENANT, C.FIRM]].drop_duplicates().shape[0]),
                        "chambers": int(trials[C.TENANT].nunique())}
        return self

    def params(self) -> dict:
        """The fitted scalars (for the manifest and the adjuster)."""
        return {"k_anonymity": self.k_anonymity, "scale": self.scale_, "channel_scale": self.channel_scale_,
                "kappa": self.kappa_, "part_weights": self.part_weights_, "calibration": self.calibration_}

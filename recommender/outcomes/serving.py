"""Serving the outcome model: lifts looked up per Chamber view and context.

Built once per process from the model version's ``outcomes.parquet`` (the
fitted cells) and the manifest's ``outcomes`` section; read-only afterwards,
so thread-safe. A context with no cell gets lift 1 (the prior unchanged)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.outcomes import shrinkage
from recommender.outcomes.model import CHANNEL, MARKET, SHARED_VIEW


@dataclass(frozen=True)
class Evidence:
    """What a cell learned from: trials, successes, distinct firms (tried / sold), years."""
    level: str
    trials: int
    successes: int
    firms: int
    firms_sold: int
    first_year: int
    last_year: int

    def to_dict(self) -> dict:
        return {"level": self.level, "trials": self.trials, "successes": self.successes, "firms": self.firms,
                "firms_sold": self.firms_sold, "years": [self.first_year, self.last_year]}


@dataclass(frozen=True)
class Lift:
    value: float                  # posterior mean lift (the served score is prior × value^(1/β))
    variance: float               # its posterior variance (exploration)
    evidence: tuple[Evidence, ...]  # the cells it rests on, most specific first (empty: prior only)


PRIOR_FLOOR = shrinkage.PRIOR_FLOOR  # a prior score is taken as at least this, as in the fit


class Cell(NamedTuple):
    """What serving keeps of a fitted cell (a tuple, not the table's row: a few hundred
    thousand cells per worker must stay small)."""
    lift: float
    var: float
    trials: int
    successes: int
    firms: int
    firms_sold: int
    first_year: int
    last_year: int


CELL_FIELDS = Cell._fields


def _evidence(level: str, cell: Cell) -> Evidence:
    return Evidence(level, cell.trials, cell.successes, cell.firms, cell.firms_sold, cell.first_year,
                    cell.last_year)


class OutcomeAdjuster:
    """Lifts for markets and channels from fitted cells.

    ``cells``: :data:`recommender.outcomes.model.CELL_COLUMNS`; ``params``: the
    model's :meth:`~recommender.outcomes.model.OutcomeModel.params`."""

    def __init__(self, cells: pd.DataFrame, params: dict, version: str | None = None,
                 learned_from: dict | None = None):
        self.params = params
        self.version = version
        self.learned_from = learned_from or {}
        self.kappa = {level: v["kappa"] for level, v in params["kappa"].items()}
        self.part_weights = {sector: v["weights"] for sector, v in (params.get("part_weights") or {}).items()}
        self.calibration = params.get("calibration")  # None: a version fitted before the logit calibration
        # the served score is prior × (re-weighting × lift)^(1/β): the order of the expected success.
        # With the logit calibration β is 1 (the score is the expected success on the prior's scale:
        # the Poisson β, which can be ~0.1 where the prior says little, would raise it to the 10th power)
        self.beta = 1.0 if self.calibration is not None else float(params["scale"]["beta"])
        self._base_a = float(self.calibration["a"] if self.calibration is not None else params["scale"].get("a", 0.0))
        cells = cells[cells["kind"].isin((MARKET, CHANNEL))]  # registry rows: recommender.outcomes.registry_lifts
        self.views = frozenset(int(v) for v in cells["view"].unique())
        self._national: dict[tuple, dict[str, Cell]] = {}
        self._local: dict[tuple, dict[str, Cell]] = {}
        self._ch_sector: dict[tuple, Cell] = {}
        self._ch_context: dict[tuple, Cell] = {}
        keys = cells[["view", "kind", "level", C.SECTOR, C.LOCALITY, C.MARKET, C.CHANNEL, C.MATURITY_LEVEL,
                      C.SIZE_CLASS]].itertuples(index=False, name=None)
        values = zip(cells["lift"].astype(float).tolist(), cells["var"].astype(float).tolist(),
                     *(cells[c].astype(int).tolist() for c in CELL_FIELDS[2:]))
        for (view, kind, level, sector, loc, market, channel, maturity, size), value in zip(keys, values):
            v, cell = int(view), Cell(*value)
            if kind == MARKET and level == "national":
                self._national.setdefault((v, sector), {})[market] = cell
            elif kind == MARKET:
                self._local.setdefault((v, sector, loc), {})[market] = cell
            elif level == "channel_sector":
                self._ch_sector[(v, channel, sector)] = cell
            else:
                self._ch_context[(v, channel, market, sector, int(maturity), size)] = cell
        self._channel_views = frozenset(v for v, *_ in self._ch_sector)

    def view_of(self, tenant: int | None) -> int:
        """The Chamber's own view if it has trials, else the shared (k-anonymous) one."""
        return int(tenant) if tenant is not None and int(tenant) in self.views else SHARED_VIEW

    def has_channel_cells(self, view: int) -> bool:
        return view in self._channel_views or SHARED_VIEW in self._channel_views

    def has_market_cells(self, view: int, sector: str) -> bool:
        """Whether outcomes adjust this sector's markets at all (cells, or re-weighted parts)."""
        return ((view, sector) in self._national or (SHARED_VIEW, sector) in self._national
                or sector in self.part_weights)

    def reweighs(self, view: int, sector: str) -> bool:
        """Whether the sector's markets get a re-weighting factor: where outcomes adjust them at all
        and the version has a calibration on the logit scale or δ for the sector."""
        return self.has_market_cells(view, sector) and (self.calibration is not None or sector in self.part_weights)

    def _part_term(self, sector: str, parts) -> float:
        """δ · parts for the sector (0 without δ; a part missing or unknown counts 0: a market
        without registry evidence has registry part 0)."""
        weights = self.part_weights.get(sector)
        if not weights:
            return 0.0
        total = 0.0
        for p, d in weights.items():
            value = parts.get(p, 0.0)
            if value is not None and value == value:  # NaN: a trial logged without its parts
                total += d * float(value)
        return total

    def base_success(self, prior) -> np.ndarray:
        """``exp(a)·prior^β``: the expected success the served score is proportional to
        (``a`` and β = 1 of the calibration on the logit scale; the Poisson calibration's for older
        versions). The re-weighting is relative to it."""
        log_prior = np.log(np.clip(np.asarray(prior, float), PRIOR_FLOOR, None))
        return np.exp(self._base_a + self.beta * log_prior)

    def _calibrated_q(self, log_prior: float, term: float = 0.0) -> float:
        """q of the calibration on the logit scale. Outside the range of log prior scores it was
        fitted on, the slope is the prior's own (``slope_outside``, 1: beyond the trials the score
        means what the market model says) from the nearest edge; versions fitted before the range
        was kept use b throughout."""
        assert self.calibration is not None
        c, b = self.calibration["c"], self.calibration["b"]
        seen = self.calibration.get("log_prior_range")
        if not seen:
            return float(shrinkage.logit_success(c, b, log_prior, term))
        edge = min(max(log_prior, seen[0]), seen[1])
        return float(shrinkage.logit_success(c, b, edge, term + self.calibration["slope_outside"] * (log_prior - edge)))

    def reweighting(self, sector: str, parts, prior: float) -> float:
        """The factor on :meth:`base_success`: the calibration on the logit scale with the
        sector's δ, ``q(prior, parts) / (exp(a)·prior)`` (``parts``: a mapping with the score's
        parts; ``prior``: the prior score the trial would log, registry factor included), so that
        prior × factor × lift orders markets by their expected success. Versions fitted before that
        calibration: ``exp(δ · parts)``. Fitted on k-anonymous cells only, so the same for every view.
        Beyond the scores of the trials it was fitted on, b is not extrapolated (see
        :meth:`_calibrated_q`)."""
        term = self._part_term(sector, parts)
        if self.calibration is None:
            return float(math.exp(term))
        log_prior = math.log(max(float(prior), PRIOR_FLOOR))
        return self._calibrated_q(log_prior, term) / math.exp(self._base_a + log_prior)

    def part_effect(self, sector: str, parts, prior: float) -> float:
        """What the sector's δ alone does to the market's expected success (the factor the reason
        says): ``q(prior, parts) / q(prior, no re-weighting)``; ``exp(δ · parts)`` for older versions."""
        term = self._part_term(sector, parts)
        if self.calibration is None:
            return float(math.exp(term))
        log_prior = math.log(max(float(prior), PRIOR_FLOOR))
        return self._calibrated_q(log_prior, term) / self._calibrated_q(log_prior)

    def _market_cells(self, view: int, sector: str, locality: str | None) -> tuple[dict, dict]:
        """(national, local) cells per market of a view. A Chamber's view holds only the markets
        where it has trials of its own (the whole group: national and every locality); for the
        others its cells are the shared view's (see ``OutcomeModel._views``)."""
        national = self._national.get((SHARED_VIEW, sector), {})
        local = self._local.get((SHARED_VIEW, sector, locality), {}) if locality else {}
        if view == SHARED_VIEW:
            return national, local
        own_national = self._national.get((view, sector), {})
        own_local = self._local.get((view, sector, locality), {}) if locality else {}
        return ({**national, **own_national},
                {**{m: r for m, r in local.items() if m not in own_national}, **own_local})

    def market_lifts(self, view: int, sector: str, locality: str | None) -> dict[str, Lift]:
        """Lift per market with evidence for this sector (and locality); others are 1."""
        national, local = self._market_cells(view, sector, locality)
        out = {}
        for iso3 in set(national) | set(local):
            n, l_ = national.get(iso3), local.get(iso3)
            ev = tuple(e for e in (_evidence("local", l_) if l_ else None,
                                   _evidence("national", n) if n else None) if e is not None)
            if l_ is not None:
                out[iso3] = Lift(l_.lift, l_.var, ev)
            else:
                assert n is not None  # a market of the cells: national if not local
                out[iso3] = Lift(n.lift, float(shrinkage.posterior_variance(0, 0, self.kappa["local"], n.lift, n.var)),
                                 ev)
        return out

    def exploration_bounds(self, view: int, sector: str, locality: str | None) -> tuple[dict[str, float], float]:
        """Upper confidence bounds of the lifts for exploration (Bayes-UCB: the
        1 - 1/t quantile, t = 1 + trials already recorded in this sector and
        locality, so the bound widens as the context accumulates evidence and
        markets left untried look more worth a try); and the bound of a market
        with no evidence at all."""
        lifts = self.market_lifts(view, sector, locality)
        _, local = self._market_cells(view, sector, locality)
        t = 1 + sum(c.trials for c in local.values())
        q = min(max(1.0 - 1.0 / t, 0.5), 0.995)
        k_l, k_n = self.kappa["local"], self.kappa["national"]
        default = float(shrinkage.lift_quantile(1.0, 1.0 / k_l + 1.0 / k_n, q))
        return {iso3: float(shrinkage.lift_quantile(l_.value, l_.variance, q)) for iso3, l_ in lifts.items()}, default

    def channel_lift(self, view: int, channel: str, market: str, sector: str, level: int,
                     size_class: str) -> Lift:
        if (view, channel, sector) not in self._ch_sector:  # no trials of its own here: the shared cells
            view = SHARED_VIEW
        parent = self._ch_sector.get((view, channel, sector))
        cell = self._ch_context.get((view, channel, market, sector, level, size_class))
        ev = tuple(e for e in (_evidence("channel_context", cell) if cell else None,
                               _evidence("channel_sector", parent) if parent else None) if e is not None)
        if cell is not None:
            return Lift(cell.lift, cell.var, ev)
        if parent is not None:
            return Lift(parent.lift, parent.var, ev)
        return Lift(1.0, 0.0, ())

"""Serving registry evidence (:mod:`recommender.outcomes.registry`): the factor on a market's score
from where registered firms of the same product already sell, per Chamber view.

Built once per process from the registry rows of the version's ``outcomes.parquet`` and the
manifest's ``outcomes.params.registry``; read-only afterwards, so thread-safe."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.outcomes import shrinkage
from recommender.outcomes.registry import KIND, LOCAL, NATIONAL, SHARED_VIEW


@dataclass(frozen=True)
class RegistryEvidence:
    """What the factor on one market rests on: ``level`` local (the firm's district or province) or
    national (the same product elsewhere), the exporting firms of the cell and how many sell in
    the market (the firm's own row left out), the lift and the factor served (lift^(1/β))."""
    level: str
    firms: int
    firms_selling: int
    lift: float
    factor: float
    shown: bool  # firms_selling reaches k-anonymity: the count may be said in a reason

    def to_dict(self) -> dict:
        return {"level": self.level, "firms": self.firms, "firms_selling": self.firms_selling if self.shown else None,
                "lift": round(self.lift, 4), "factor": round(self.factor, 4)}


class RegistryLifts:
    """Registry factors per view, product family and locality.

    ``cells``: rows of kind ``registry`` (:data:`~recommender.outcomes.registry.REGISTRY_CELL_COLUMNS`);
    ``params``: :meth:`RegistryModel.params` plus ``as_of`` (the date the registries were read, shown
    in reasons) and ``read_at`` (when, to the microsecond: firms registered later are not in it)."""

    def __init__(self, cells: pd.DataFrame, params: dict):
        self.params = params
        self.k = int(params["k_anonymity"])
        self.beta = float(params["scale"]["beta"])
        self.a = float(params["scale"]["a"])
        self.kappa_local = float(params["kappa"][LOCAL]["kappa"])
        self.kappa_national = float(params["kappa"][NATIONAL]["kappa"])
        self._national: dict[tuple, dict[str, tuple]] = {}
        self._local: dict[tuple, dict[str, tuple]] = {}
        rows = cells[cells["kind"] == KIND]
        values = zip(rows["view"].astype(int), rows["level"], rows[C.FAMILY], rows[C.LOCALITY], rows[C.MARKET],
                     rows["S"].astype(float), rows["E"].astype(float), rows["wS"].astype(float),
                     rows["wE"].astype(float), rows["firms"].astype(int), rows["firms_sold"].astype(int))
        for view, level, family, loc, market, S, E, wS, wE, firms, sold in values:
            if level == NATIONAL:
                self._national.setdefault((view, family), {})[market] = (S, E, firms, sold)
            else:
                self._local.setdefault((view, family, loc), {})[market] = (S, E, wS, wE, firms, sold)
        self._families = frozenset(f for _, f in self._national)

    def view_of(self, tenant: int | None, family: str) -> int:
        """The Chamber's own view where it registered firms of the family, else the shared one."""
        if tenant is not None and (int(tenant), family) in self._national:
            return int(tenant)
        return SHARED_VIEW

    def covers(self, view: int, family: str) -> bool:
        return (view, family) in self._national

    def expected(self, prior_scores) -> np.ndarray:
        """A firm's expected sellers per market from its prior scores: exp(a)·s^β."""
        return shrinkage.expected_success(self.a, self.beta, prior_scores)

    def factors(self, view: int, family: str, locality: str | None, own: dict | None = None
                ) -> dict[str, RegistryEvidence]:
        """Per market with registry evidence, the factor on the score and what it rests on.

        ``own``: a registered firm's own row to leave out, ``{"markets": set, "expected": {iso3: q}}``
        (its markets and its expected sellers), None for a firm the registry did not count."""
        national = self._national.get((view, family), {})
        local = self._local.get((view, family, locality), {}) if locality else {}
        mine = own["markets"] if own else frozenset()
        out = {}
        for iso3, (S_n, E_n, n_firms, n_sold) in national.items():
            cell = local.get(iso3)
            if cell is None:
                lift, level, firms, sold = float(shrinkage.posterior_lift(S_n, E_n, self.kappa_national)), \
                    "national", n_firms, n_sold
            else:
                S, E, wS, wE, firms, sold = cell
                others = shrinkage.posterior_lift(max(S_n - wS, 0.0), max(E_n - wE, 0.0), self.kappa_national)
                if own:
                    taken = iso3 in mine
                    S, sold = max(S - taken, 0.0), max(sold - taken, 0)
                    E, firms = max(E - own["expected"].get(iso3, 0.0), 0.0), max(firms - 1, 0)
                lift, level = float(shrinkage.posterior_lift(S, E, self.kappa_local, others)), "local"
            out[iso3] = RegistryEvidence(level, int(firms), int(sold), lift, lift ** (1.0 / self.beta),
                                         int(sold) >= self.k)
        return out

"""SIMULATION, not data: what the Chambers' registries teach, by number of registered firms,
against the Bayes oracle. Nothing it produces is shipped or stored as data.

- **Units and hidden truth**: those of :mod:`~recommender.outcomes.simulator` (the 49
  district-sector units, firms entered with the unit's product; ``q(u, m)``, the chance that a
  firm of unit u trying market m sells there, in the scenarios ``aligned``, ``district_noise`` and ``disagree``; in ``disagree`` the
  truth contradicts the public evidence and Italy's exports the prior is built on, so the
  registries disagree with the public evidence).
- **Registries, self-selected**: a registered firm of unit u tried market m at some time with
  probability ``t_u(m) = min(0.9, τ·exp(γ·z_u(m)))`` (``z``: the standardised log of Italy's
  2022 exports of the sector to m, as in the truth; ``γ`` 1: firms go first where Italy already
  sells; ``τ`` sets the mean to 8 % of the markets), and serves it if that try succeeded. Per unit
  of ``N`` registered firms the sellers of m are Binomial(N, t·q). All N count as exporting (a
  firm trying 8 % of ~190 markets and serving none is rare).
- **Learners**: ``none`` (the prior), ``registry`` (:class:`~recommender.outcomes.registry.RegistryModel`
  on the counts, one Chamber, served through the real engine) and ``oracle``: the Bayes posterior
  of :mod:`~recommender.outcomes.oracle`, which knows how the truth and ``t`` were made and sees
  the same counts: what those registries could teach at best.
- **Metrics**: :func:`~recommender.outcomes.simulator.score_lists` at each registry size; the share
  of the prior's gap to the truth closed, and the registry model's share of the oracle's gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.outcomes import oracle
from recommender.outcomes.registry import RegistryModel
from recommender.outcomes.registry_lifts import RegistryLifts
from recommender.outcomes.simulator import (METRICS, SCENARIOS, TENANT, _unit_key, evaluate, hidden_truth,
                                            score_lists, simulation_units)
from recommender.recommend.engine import product_of

SIZES = (50, 200, 1_000, 5_000)  # registered firms per unit (district-sector)
MEAN_TRIED = 0.08                # share of the markets a registered firm tried at some time, on average


@dataclass
class RegistrySimulationConfig:
    scenario: str = "aligned"
    sizes: tuple[int, ...] = SIZES
    gamma: float = 1.0           # self-selection: how much more often firms tried markets Italy sells more to
    random_state: int = 0


def propensity(u: dict, markets: list[str], gamma: float) -> pd.Series:
    """The SIMULATED chance that a registered firm of unit ``u`` tried each market at some time."""
    logx = np.log1p(u["exports"].reindex(markets).fillna(0.0))
    z = (logx - logx.mean()) / (logx.std() or 1.0)
    raw = np.exp(gamma * z)
    return (MEAN_TRIED * raw / raw.mean()).clip(upper=0.9)


def draw_registry(recommender, units: list[dict], truth: dict, markets: list[str], firms: int, gamma: float,
                  rng: np.random.Generator, random_state: int = 0) -> tuple[RegistryLifts, pd.DataFrame]:
    """SIMULATED registries of ``firms`` firms per unit, all of one Chamber (:data:`TENANT`): the
    registry lifts the engine serves (a :class:`RegistryModel` fitted on them) and the counts as the
    oracle takes them (unit, market, trials = firms, successes = sellers, propensity)."""
    groups, counts = [], []
    model_markets = sorted(recommender.market_index)
    priors = {}
    for u in units:
        key = _unit_key(u)
        tried = propensity(u, markets, gamma)
        sellers = pd.Series(rng.binomial(firms, (tried * truth[key]).to_numpy(float)).astype(float), index=markets)
        priors[key] = pd.Series(recommender.prior_scores(u["profile"]))
        product = product_of(u["profile"])
        assert product is not None  # the units are firms of goods
        groups.append({C.TENANT: TENANT, C.FAMILY: product.family, C.LOCALITY: u["locality"],
                       "prior_key": key, "firms": firms,
                       "sellers": sellers.reindex(model_markets).fillna(0.0).to_numpy(float),
                       "first": 2026, "last": 2026})
        counts.append(pd.DataFrame({"unit": key, "market": markets, "trials": float(firms),
                                    "successes": sellers.to_numpy(float), "propensity": tried.to_numpy(float)}))
    model = RegistryModel(random_state=random_state).fit_counts(pd.DataFrame(groups), priors, model_markets)
    lifts = RegistryLifts(model.cells_, model.params() | {"as_of": "simulation", "read_at": "2026-01-01T00:00:00+00:00"})
    return lifts, pd.concat(counts, ignore_index=True)


def _oracle_lists(hidden, counts: pd.DataFrame) -> dict[str, list[str]]:
    logits = oracle.posterior_logits(hidden.fixed, hidden.sector_of, hidden.sigma_sector, hidden.sigma_district,
                                     counts)
    return {key: list(v.sort_values(ascending=False, kind="stable").index[:10]) for key, v in logits.items()}


def run(recommender, units: list[dict], config: RegistrySimulationConfig) -> pd.DataFrame:
    """One simulation: per-unit metrics of each learner at each registry size (columns unit, firms,
    method, and :data:`~recommender.outcomes.simulator.METRICS`)."""
    rng = np.random.default_rng(config.random_state)
    markets = sorted(m for m in recommender.market_index
                     if (recommender.restricted.get(m) or {}).get("level") != "embargo")
    hidden = hidden_truth(units, markets, config.scenario, np.random.default_rng(config.random_state + 1000))
    truth = hidden.success
    no_counts = pd.DataFrame(columns=["unit", "market", "trials", "successes"])
    results = [evaluate(recommender.with_outcomes(None), units, truth).assign(firms=0, method="none"),
               score_lists(_oracle_lists(hidden, no_counts), truth).assign(firms=0, method="oracle")]
    for n in config.sizes:
        lifts, counts = draw_registry(recommender, units, truth, markets, n, config.gamma, rng, config.random_state)
        results.append(evaluate(recommender.with_outcomes(None, lifts), units, truth).assign(firms=n,
                                                                                            method="registry"))
        results.append(score_lists(_oracle_lists(hidden, counts), truth).assign(firms=n, method="oracle"))
    return pd.concat(results, ignore_index=True).assign(scenario=config.scenario, seed=config.random_state)


def learning_curves(recommender, units: list[dict], config: RegistrySimulationConfig) -> pd.DataFrame:
    """Mean metrics per learner and registry size for one simulation, with the share of the prior's
    gap to the truth closed (``gap_closed_<metric>``; the prior is ``none``'s level)."""
    per_unit = run(recommender, simulation_units(recommender, units), config)
    curves = per_unit.groupby(["scenario", "seed", "method", "firms"])[[*METRICS, "best_success@10"]].mean()
    curves = curves.reset_index()
    prior = curves[curves["method"] == "none"].iloc[0]
    best = {m: 1.0 for m in METRICS} | {"success@10": float(prior["best_success@10"])}
    for metric in METRICS:
        gap = best[metric] - prior[metric]
        curves[f"gap_closed_{metric}"] = (curves[metric] - prior[metric]) / gap if gap > 0 else 0.0
    return curves


__all__ = ["RegistrySimulationConfig", "SCENARIOS", "SIZES", "draw_registry", "learning_curves", "propensity",
           "run"]

"""SIMULATION, not data: offline learning curves for the outcome model.

No real outcomes exist yet, so the loop is evaluated on a simulator whose
hidden truth is built from real data and whose behaviour has the biases
the model must survive. Nothing it produces is shipped or stored as data.

- **Units**: the district-sector pairs of ``district_destinations`` (49;
  public reports naming where Italian districts sell). A simulated firm of a
  unit is entered with the unit's product, as the validation scores it (the
  ATECO class or sub-category of the district's reports, province and
  district), maturity level 4, the product's default customer type. (Entered
  by its division alone, a firm gets the division's largest class as a
  stand-in: a Prosecco winery became a spirits maker, whose own district's
  wine reports were not its evidence, while the truth below is made of them.)
- **Hidden truth**: a firm of unit u that tries market m sells there with
  ``q(u, m) = logistic(b0 + b_named·[m named for u] + b_exports·z(log Italy's
  2022 exports of the sector to m) + σ_s·ε(sector, m) + σ_d·ε(u, m))``, ε
  standard normal, drawn once: what the sector's districts share in a market
  and what is the district's own. ``aligned`` (default): b_named 1.5,
  b_exports 0.5, σ_s 0.6, σ_d 0.45 (total noise sd 0.75); ``district_noise``:
  the same noise all the district's own (σ_s 0, σ_d 0.75), so nothing learned
  in one district carries to another; ``disagree``: the exports term's sign
  flipped and the named destinations dropped, so the truth contradicts the
  prior.
- **Behaviour, with position bias**: a firm shown a list tries the market at
  position p with probability ``trial_rate / log2(p + 1)`` (what is shown
  first gets tried first), once per firm and market; each trial is one
  recorded outcome (first sale or abandoned).
- **Loop**: firms arrive at random; the recommender in use serves the list
  through the real engine (:meth:`Recommender.recommend` with the current
  lifts and the exploration share); the model is refitted as outcomes
  accumulate (every 10 %, at least every 100).
- **Methods**: ``learned`` (:class:`OutcomeModel`, trials with shrinkage),
  ``naive`` (successes per impression, position-biased, no shrinkage, same
  exploration, its interval the Poisson one of its counts), ``none`` (the prior,
  no learning); and, as a yardstick,
  ``oracle``: the Bayes posterior of a learner that knows how the truth was
  made, on the ``learned`` loop's own trials (:mod:`~recommender.outcomes.oracle`):
  how much of the gap those outcomes could close at all; and ``oracle_limited``,
  the same posterior knowing only the best linear function of the market
  model's score and parts in place of the truth's fixed part
  (:func:`feature_limited_truth`): what a learner with the service's own
  information could reach.
- **Metrics** at 0, 100, 1k, 10k, 100k outcomes, of the served top 10 (no
  exploration) against the truth (see :func:`score_lists`): recall@10 and
  NDCG@10 against the truth's top 10, NDCG@10 graded by the true success
  probability, and the mean true success probability of the ten markets
  served; for each, the share of the prior's gap to the truth closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.model import metrics as M
from recommender.outcomes import oracle
from recommender.outcomes.impressions import locality
from recommender.outcomes.model import CELL_COLUMNS, MARKET, OutcomeModel
from recommender.outcomes.serving import OutcomeAdjuster
from recommender.outcomes.shrinkage import PRIOR_FLOOR
from recommender.outcomes.impressions import impression_market
from recommender.outcomes.trials import REWEIGHED_PARTS, TRIAL_COLUMNS
from recommender.recommend.profile import FirmProfile

TENANT = 1
CHECKPOINTS = (0, 100, 1_000, 10_000, 100_000)
SCENARIOS = {
    # noise split between what a sector's districts share (sector x market) and what is each district's own
    "aligned": {"b0": -1.5, "b_named": 1.5, "b_exports": 0.5, "sigma_sector": 0.6, "sigma_district": 0.45},
    "district_noise": {"b0": -1.5, "b_named": 1.5, "b_exports": 0.5, "sigma_sector": 0.0, "sigma_district": 0.75},
    "disagree": {"b0": -1.5, "b_named": 0.0, "b_exports": -1.0, "sigma_sector": 0.6, "sigma_district": 0.45},
}


@dataclass
class SimulationConfig:
    scenario: str = "aligned"
    trial_rate: float = 0.5
    explore_share: float = 0.1
    firms_per_unit: int = 400
    k: int = 10
    checkpoints: tuple[int, ...] = CHECKPOINTS
    random_state: int = 0
    oracle: bool = True  # score the Bayes oracle on the learned loop's trials (what was attainable)
    registry_firms: int = 0   # firms per unit registered before the loop starts (registry_simulation), 0: none
    part_weight_prior_sd: float = 1.0  # the outcome model's prior sd of δ
    registry_gamma: float = 1.0  # their self-selection (registry_simulation.propensity)
    truth: dict = field(default_factory=dict)  # overrides of the scenario's coefficients


def simulation_units(recommender, units: list[dict]) -> list[dict]:
    """Units with a firm profile (the unit's product code, province and district), the eligible
    markets and Italy's sector exports to each."""
    serving = recommender.serving
    out = []
    for u in units:
        product = u["product"]
        data = {"ateco": product.subcategory or product.ateco_class, "province": u["province"], "maturity_level": 4}
        if u.get("district_slug"):
            data["district"] = u["district_slug"]
        profile = FirmProfile.from_dict(data)
        exports = serving[serving[C.SECTOR] == u["sector"]].groupby(C.IMPORTER)["current_musd"].sum()
        out.append({**u, "profile": profile, "exports": exports,
                    "locality": locality(u.get("district_slug"), u["province"])})
    return out


def _unit_key(u: dict) -> str:
    return u["district"] + "|" + u["division"]


@dataclass(frozen=True)
class HiddenTruth:
    """The SIMULATED truth: ``success`` per unit (``district|division``) and market, and how it
    was made (what only the Bayes oracle of :mod:`~recommender.outcomes.oracle` may know):
    each unit's fixed logit part, its sector and the two noise scales."""
    success: dict[str, pd.Series]
    fixed: dict[str, pd.Series]
    sector_of: dict[str, str]
    sigma_sector: float
    sigma_district: float


def hidden_truth(units: list[dict], markets: list[str], scenario: str, rng: np.random.Generator,
                 overrides: dict | None = None) -> HiddenTruth:
    """SIMULATED success probability per unit and market (see the module docstring)."""
    b = SCENARIOS[scenario] | (overrides or {})
    success, fixed = {}, {}
    shared = {sector: rng.standard_normal(len(markets)) for sector in sorted({u["sector"] for u in units})}
    for u in units:
        logx = np.log1p(u["exports"].reindex(markets).fillna(0.0))
        z = (logx - logx.mean()) / (logx.std() or 1.0)
        named = pd.Series([1.0 if m in u["named"] else 0.0 for m in markets], index=markets)
        fixed[_unit_key(u)] = b["b0"] + b["b_named"] * named + b["b_exports"] * z
        eta = (fixed[_unit_key(u)] + b["sigma_sector"] * shared[u["sector"]]
               + b["sigma_district"] * rng.standard_normal(len(markets)))
        success[_unit_key(u)] = 1.0 / (1.0 + np.exp(-eta))
    return HiddenTruth(success, fixed, {_unit_key(u): u["sector"] for u in units}, float(b["sigma_sector"]),
                       float(b["sigma_district"]))


def feature_limited_truth(recommender, units: list[dict], hidden: HiddenTruth) -> HiddenTruth:
    """What a Bayes oracle may know if it only had the service's own information: per sector, the
    truth's fixed logit projected (least squares over the sector's units and markets) on the market
    model's log score and its parts, the rest of the fixed part counted as noise (its mean over the
    sector's units per market added to the sector noise, the remainder to the district noise).

    The full oracle knows every unit's fixed part: which markets the simulator named for the
    district, and its exact transform of Italy's exports. No learner serving from the market
    model's score and parts can know that before any outcome; this oracle can know as much as the
    best linear function of them (fitted on the hidden truth itself), and learns the rest from the
    trials as the full one does. Same success probabilities (the truth is unchanged)."""
    rows = []
    for u in units:
        key = _unit_key(u)
        parts = recommender.prior_parts(u["profile"])
        for market, value in hidden.fixed[key].items():
            p = parts[market]
            rows.append({"unit": key, "sector": u["sector"], "market": market, "fixed": float(value),
                         "log_score": float(np.log(max(p["score"], PRIOR_FLOOR))), **{c: p[c] for c in C.SCORE_PARTS}})
    frame = pd.DataFrame(rows)
    features = ["log_score", *C.SCORE_PARTS]
    frame["projected"] = np.nan
    for _, g in frame.groupby("sector"):
        X = np.column_stack([np.ones(len(g)), g[features].to_numpy(float)])
        coef, *_ = np.linalg.lstsq(X, g["fixed"].to_numpy(float), rcond=None)
        frame.loc[g.index, "projected"] = X @ coef
    rest = frame["fixed"] - frame["projected"]
    shared = rest.groupby([frame["sector"], frame["market"]]).transform("mean")
    fixed = {unit: g.set_index("market")["projected"].reindex(hidden.fixed[unit].index)
             for unit, g in frame.groupby("unit")}
    return HiddenTruth(hidden.success, fixed, hidden.sector_of,
                       float(np.sqrt(hidden.sigma_sector ** 2 + shared.var())),
                       float(np.sqrt(hidden.sigma_district ** 2 + (rest - shared).var())))


def naive_adjuster(trials: pd.DataFrame, shown: pd.DataFrame) -> OutcomeAdjuster:
    """The naive counter: successes per impression of (sector, locality, market), relative to
    the overall rate, no shrinkage (position-biased: top positions are tried more). Its
    uncertainty, for the exploration slot, is the Poisson variance of the count, (S + 1) / E²
    (one pseudo-success, so that a cell with no sale yet keeps an interval)."""
    rate = trials[C.SUCCESS].sum() / max(len(shown), 1)
    s = trials.groupby([C.SECTOR, C.LOCALITY, C.MARKET])[C.SUCCESS].sum()
    n = shown.groupby([C.SECTOR, C.LOCALITY, C.MARKET]).size()
    cells = pd.DataFrame({"S": s.reindex(n.index).fillna(0), "n": n}).reset_index()
    cells["E"] = cells["n"] * rate
    cells["lift"] = np.where(cells["E"] > 0, cells["S"] / cells["E"].where(cells["E"] > 0, 1), 1.0)
    cells = cells.assign(view=TENANT, kind=MARKET, level="local", channel_id=None, maturity_level=None,
                         size_class=None, trials=cells["n"], successes=cells["S"], firms=cells["n"], firms_sold=cells["S"],
                         first_year=2026, last_year=2026)
    cells["var"] = np.where(cells["E"] > 0, (cells["S"] + 1) / cells["E"].where(cells["E"] > 0, 1) ** 2, 0.0)
    national = cells.drop_duplicates([C.SECTOR, C.MARKET]).assign(level="national", locality=None, lift=1.0,
                                                                  var=0.0)
    table = pd.concat([cells, national], ignore_index=True)[list(CELL_COLUMNS)]
    params = {"kappa": {"national": {"kappa": 1e9}, "local": {"kappa": 1e9}}, "scale": {"beta": 1.0}}
    return OutcomeAdjuster(table, params)


METRICS = ("recall@10", "ndcg@10", "graded_ndcg@10", "success@10")


def score_lists(served: dict[str, list[str]], truth: dict[str, pd.Series], k: int = 10) -> pd.DataFrame:
    """Each unit's served top k (unit -> iso3 codes, best first) against the truth, per unit:

    - ``recall@10``: share of the truth's top k served (a market just below
      the truth's cut counts as a full miss);
    - ``ndcg@10``: NDCG with relevance 1 for the truth's top k;
    - ``graded_ndcg@10``: NDCG with the true success probability as the
      relevance of every market (the ideal is the truth's own order);
    - ``success@10``: the mean true success probability of the k markets
      served (what a firm trying them would sell), and ``best_success@10``
      the same for the truth's top k."""
    rows = []
    for unit, markets in served.items():
        q, markets = truth[unit], list(markets)[:k]
        order = q.sort_values(ascending=False)
        best = set(order.index[:k])
        rel = [1.0 if m in best else 0.0 for m in markets]
        position = {m: k - i for i, m in enumerate(markets)}  # served first scores highest, the rest 0
        rows.append({"unit": unit, "recall@10": sum(rel) / k,
                     "ndcg@10": M.ndcg_at_k(rel + [1.0] * (k - int(sum(rel))),
                                            list(range(len(rel) + k - int(sum(rel)), 0, -1)), k),
                     "graded_ndcg@10": M.ndcg_at_k(q.to_numpy(), [position.get(m, 0) for m in q.index], k),
                     "success@10": float(q.reindex(markets).mean()),
                     "best_success@10": float(order.iloc[:k].mean())})
    return pd.DataFrame(rows)


def evaluate(recommender, units: list[dict], truth: dict[str, pd.Series], k: int = 10) -> pd.DataFrame:
    """The recommender's served top k (no exploration) per unit against the truth (:func:`score_lists`)."""
    return score_lists({_unit_key(u): [m["iso3"] for m in recommender.recommend(u["profile"], k=k, tenant=TENANT)
                                       ["markets"]] for u in units}, truth, k)


def evaluate_oracle(hidden: HiddenTruth, trials: pd.DataFrame, k: int = 10,
                    registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Bayes oracle's top k per unit (:mod:`~recommender.outcomes.oracle`), learned from
    ``trials`` (columns unit, market, success) and the ``registry`` counts if any (with their
    propensity, see :func:`~recommender.outcomes.registry_simulation.draw_registry`), against the
    truth (:func:`score_lists`)."""
    counts = (trials.groupby(["unit", "market"])["success"].agg(trials="size", successes="sum").reset_index()
              if len(trials) else pd.DataFrame(columns=["unit", "market", "trials", "successes"]))
    if registry is not None:
        counts = pd.concat([counts.assign(propensity=1.0), registry], ignore_index=True)
    logits = oracle.posterior_logits(hidden.fixed, hidden.sector_of, hidden.sigma_sector, hidden.sigma_district,
                                     counts)
    return score_lists({unit: list(v.sort_values(ascending=False, kind="stable").index[:k])
                        for unit, v in logits.items()}, hidden.success, k)


def run(recommender, units: list[dict], method: str, config: SimulationConfig) -> pd.DataFrame:
    """One closed loop; per-unit metrics at each checkpoint (columns unit, outcomes, method, ...).
    The ``learned`` loop also scores the Bayes oracle on its trials (rows with method ``oracle``)
    unless ``config.oracle`` is False."""
    rng = np.random.default_rng(config.random_state)
    # the truth over the markets the service may show (embargoed ones never are)
    markets = sorted(m for m in recommender.market_index
                     if (recommender.restricted.get(m) or {}).get("level") != "embargo")
    hidden = hidden_truth(units, markets, config.scenario, np.random.default_rng(config.random_state + 1000),
                          config.truth)
    truth = hidden.success
    # the Bayes oracles score the learned loop's trials
    limited = feature_limited_truth(recommender, units, hidden) if method == "learned" and config.oracle else None
    registry, registry_counts = None, None
    if config.registry_firms:
        from recommender.outcomes.registry_simulation import draw_registry
        registry, registry_counts = draw_registry(recommender, units, truth, markets, config.registry_firms,
                                                  config.registry_gamma, np.random.default_rng(config.random_state + 7),
                                                  config.random_state)
    current = recommender.with_outcomes(None, registry)
    results = [evaluate(current, units, truth, config.k).assign(outcomes=0, method=method)]
    if limited is not None:
        none = pd.DataFrame(columns=["unit", "market", "success"])
        results.append(evaluate_oracle(hidden, none, config.k, registry_counts).assign(outcomes=0, method="oracle"))
        results.append(evaluate_oracle(limited, none, config.k, registry_counts).assign(
            outcomes=0, method="oracle_limited"))
    if method == "none":
        for n in config.checkpoints[1:]:
            results.append(results[0].assign(outcomes=n))
        return pd.concat(results, ignore_index=True)

    trials, trial_units, shown, tried = [], [], [], set()
    next_fit, target_i = 100, 1
    positions = np.arange(1, config.k + 1)
    p_try = config.trial_rate / np.log2(positions + 1)
    while target_i < len(config.checkpoints):
        ui = int(rng.integers(len(units)))
        u, firm = units[ui], ui * config.firms_per_unit + int(rng.integers(config.firms_per_unit))
        result = current.recommend(u["profile"], k=config.k, tenant=TENANT, explore=config.explore_share)
        q = truth[_unit_key(u)]
        draws = rng.random(len(result["markets"]))
        for m, draw in zip(result["markets"], draws):
            shown.append((u["sector"], u["locality"], m["iso3"]))
            if draw >= p_try[m["rank"] - 1] or (firm, m["iso3"]) in tried:
                continue
            tried.add((firm, m["iso3"]))
            trial_units.append(_unit_key(u))
            logged = impression_market(m)  # the prior and parts the service's impression would log
            trials.append((TENANT, firm, u["sector"], u["locality"], 4, "unknown", m["iso3"], None, m["rank"],
                           logged["prior_score"], m["explored"], int(rng.random() < q[m["iso3"]]), "2026-01-01", 0,
                           *(logged["parts"].get(p, 0.0) for p in REWEIGHED_PARTS)))
        n = len(trials)
        if n >= next_fit or n >= config.checkpoints[target_i]:
            frame = pd.DataFrame(trials, columns=list(TRIAL_COLUMNS))
            if method == "learned":
                model = OutcomeModel(part_weight_prior_sd=config.part_weight_prior_sd,
                                     random_state=config.random_state).fit(frame)
                adjuster = OutcomeAdjuster(model.cells_, model.params())
            else:
                adjuster = naive_adjuster(frame, pd.DataFrame(shown, columns=[C.SECTOR, C.LOCALITY, C.MARKET]))
            current = recommender.with_outcomes(adjuster, registry)
            next_fit = max(n + 100, int(n * 1.1))
            if n >= config.checkpoints[target_i]:
                at = evaluate(current, units, truth, config.k).assign(outcomes=config.checkpoints[target_i],
                                                                      method=method)
                # how many of the truth's top k the loop has tried at all
                seen = pd.DataFrame({"unit": trial_units, "market": frame[C.MARKET], "success": frame[C.SUCCESS]})
                touched = seen.groupby("unit")["market"].agg(set).to_dict()
                at["tried@10"] = [len(set(truth[key].sort_values(ascending=False).index[:config.k])
                                      & touched.get(key, set())) / config.k for key in at["unit"]]
                results.append(at)
                if limited is not None:
                    for name, truth_known in (("oracle", hidden), ("oracle_limited", limited)):
                        results.append(evaluate_oracle(truth_known, seen, config.k, registry_counts).assign(
                            outcomes=config.checkpoints[target_i], method=name))
                target_i += 1
    return pd.concat(results, ignore_index=True)


def learning_curves(recommender, units: list[dict], config: SimulationConfig,
                    methods=("none", "learned", "naive")) -> pd.DataFrame:
    """Mean metrics per method and number of outcomes, with the share of the
    prior's gap to the truth closed (1 = the truth's own top 10). The prior is
    what every served method shows at 0 outcomes; the Bayes oracle (method
    ``oracle``, with ``learned``) knows the truth's fixed part, so it is ahead
    already at 0."""
    sim_units = simulation_units(recommender, units)
    per_unit = pd.concat([run(recommender, sim_units, m, config) for m in methods], ignore_index=True)
    per_unit["tried@10"] = per_unit.get("tried@10", pd.Series(np.nan, index=per_unit.index))
    curves = per_unit.groupby(["method", "outcomes"])[[*METRICS, "best_success@10", "tried@10"]].mean().reset_index()
    at_zero = curves[(curves["outcomes"] == 0) & ~curves["method"].str.startswith("oracle")]
    prior = at_zero.groupby("method")[list(METRICS)].first().mean()
    best = {m: 1.0 for m in METRICS} | {"success@10": float(curves["best_success@10"].iloc[0])}
    for metric in METRICS:
        gap = best[metric] - prior[metric]
        curves[f"gap_closed_{metric}"] = (curves[metric] - prior[metric]) / gap if gap > 0 else 0.0
    return curves.assign(scenario=config.scenario)

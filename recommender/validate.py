"""``python -m recommender.validate``: the market ranking against reality and as a forecast.

Two checks, side by side in one run, each with bootstrap confidence intervals:

1. **Real destinations.** For every district of ``district_destinations``
   (public reports naming where Italian districts sell), the district is
   entered as a firm would be (its ATECO division, province and district;
   default customer type) and the top 10 markets are compared with the named
   destinations: recall@10, NDCG@10 and hit rate (the first-named destination
   in the top 10). Methods: the new ranking, the previous model mp-2026.11.2
   (its score reproduced from its artifact at maturity level 4), persistence
   (Italy's current exports of the sector), the PPML-FE gravity model (what a
   model that never saw Italy expects), and the constant list of Italy's ten
   largest export markets. Leave-one-district-out: a district's own rows
   never inform its own evidence nor the weights used to rank it. To show
   how far weights alone can go, also ``recall_search`` (the weights with the
   best recall@10 on the other districts, instead of the logit's) and, as an
   in-sample upper bound that is not a result, the best recall@10 any
   weighting reaches when chosen on the scored districts themselves.
2. **Forecast.** Out of exporter and out of time (features of 2006, market
   shares of 2011, exporters held out in 5 groups): the forecast model
   against persistence, PPML-FE and the mp-2026.11.2 method, with CIs of the
   difference clustered by exporter.

Writes the figures into the README (between the ``validation`` markers) and
prints them. ``recommender.train`` runs the same code and puts the same
figures in the model card.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from recommender import columns as C
from recommender import config
from recommender.data import load_table
from recommender.district_evidence import destinations, evidence
from recommender.model import metrics as M
from recommender.recommend.score import (CUSTOMER_DEMAND_TYPES, PARTS, blend, default_customer_type, fit_weights,
                                         market_parts)

# Italy's ten largest export markets overall (ISTAT, all goods, 2023-2024),
# the same list for every firm: the "what an advisor says without a model" baseline.
ITALY_TOP10 = ("DEU", "FRA", "USA", "ESP", "CHE", "GBR", "BEL", "POL", "NLD", "TUR")
PREVIOUS_VERSION = "mp-2026.11.2"
K = 10
README_START, README_END = "<!-- validation:start -->", "<!-- validation:end -->"


# -- units ------------------------------------------------------------------
def district_units(data_dir=None) -> list[dict]:
    """One unit per (reported district, ATECO division) with its named destinations."""
    d = destinations(data_dir)
    units = []
    for (name, div), g in d.groupby(["district_name", "ateco_division"], sort=True):
        ranked = g.dropna(subset=["rank"]).sort_values(["year", "rank"], ascending=[False, True])
        first = ranked["iso3"].iloc[0] if len(ranked) else None
        slugs = [s for s in g["district_slugs"].iloc[0].split(";") if s]
        units.append({"district": name, "division": div, "sector": g["model_sector"].iloc[0],
                      "province": g["provinces"].iloc[0].split(";")[0], "district_slug": slugs[0] if slugs else None,
                      "named": set(g["iso3"]), "first": first,
                      "stand_in": ";".join(sorted(set(g["stand_in"]) - {""}))})
    return units


def unit_parts(serving: pd.DataFrame, mix: dict, unit: dict, exclude: frozenset[str], data_dir=None) -> pd.DataFrame:
    value, _ = evidence(unit["sector"], unit["division"], unit["province"], unit["district_slug"],
                        exclude=exclude, data_dir=data_dir)
    customer = default_customer_type(mix.get(unit["sector"], {}))
    return market_parts(serving, unit["sector"], CUSTOMER_DEMAND_TYPES[customer], mix.get(unit["sector"], {}), value)


# -- metrics ----------------------------------------------------------------
def unit_metrics(ranking: list[str], named: set[str], first: str | None) -> dict:
    top = ranking[:K]
    hits = len(set(top) & named)
    rel = np.array([1.0 if m in named else 0.0 for m in ranking])
    return {"hits@10": hits, "recall@10": hits / len(named) if named else 0.0,
            "ndcg@10": M.ndcg_at_k(rel, -np.arange(len(ranking)), K),
            "hit_rate@10": float((first or next(iter(sorted(named)))) in top)}


def previous_model_rankings(units: list[dict], models_dir=None) -> dict[str, list[str]] | None:
    """mp-2026.11.2's market order per unit: its own score formula
    (0.55 potential + 0.15 opportunity + 0.30 readiness fit) at maturity
    level 4 and its sector-default customer type, from its artifact."""
    from recommender.errors import ModelError
    from recommender.model.artifact import load_version
    from recommender.recommend.potential import query_tables
    from recommender.recommend.readiness import LEVEL_CAPABILITY, demand_parts, demandingness, fit
    try:
        old = load_version(PREVIOUS_VERSION, models_dir)
    except ModelError:
        return None
    shares = old.manifest["serving"]["demand_mix"]["shares"]
    tables = query_tables(old.serving)
    countries = load_table("countries")
    fits = fit(demandingness(demand_parts(countries)), LEVEL_CAPABILITY[4]).set_axis(countries["iso3"])
    out = {}
    for u in units:
        s = shares.get(u["sector"], {})
        inter, hh, inv = (s.get(d, 0.0) for d in (C.INTERMEDIATE, C.HOUSEHOLD, C.INVESTMENT))
        customer = default_customer_type(s)
        w = ({C.HOUSEHOLD: 1.0} if customer == "b2c" else
             {C.INTERMEDIATE: inter, C.INVESTMENT: inv} if customer == "b2b" else
             {C.INTERMEDIATE: inter, C.HOUSEHOLD: hh, C.INVESTMENT: inv})
        pot = pd.Series(0.0, index=fits.index)
        opp = pd.Series(0.0, index=fits.index)
        wsum = pd.Series(0.0, index=fits.index)
        for d, wd in w.items():
            q = tables.get((u["sector"], d))
            if q is None or wd <= 0:
                continue
            pot = pot.add(wd * q["potential"], fill_value=0)
            opp = opp.add(wd * q["opportunity"], fill_value=0)
            wsum = wsum.add(pd.Series(wd, index=q.index), fill_value=0)
        covered = wsum > 0
        score = 100 * (0.55 * pot[covered] / wsum[covered] + 0.15 * opp[covered] / wsum[covered]
                       + 0.30 * fits.reindex(wsum[covered].index).fillna(0))
        out[u["district"] + "|" + u["division"]] = score.sort_values(ascending=False, kind="stable").index.tolist()
    return out


# -- how far weights alone can go ------------------------------------------
SEARCH_STEP = 0.05  # grid step of the weight simplex searched for recall@10


def weight_simplex(n: int, step: float = SEARCH_STEP) -> np.ndarray:
    """Every non-negative weight vector of ``n`` parts summing to 1 on a grid of ``step``."""
    m = int(round(1 / step))
    rows = [c + (m - sum(c),) for c in itertools.product(range(m + 1), repeat=n - 1) if sum(c) <= m]
    return np.array(rows, dtype=float) / m


def grid_recall(frames: list[pd.DataFrame], named: list[set[str]], grid: np.ndarray, k: int = K) -> np.ndarray:
    """Mean recall@k over the units for every weight vector of ``grid`` (rows), ties in the
    frames' market order (as :func:`blend` ranks)."""
    total = np.zeros(len(grid))
    for frame, names in zip(frames, named):
        scores = grid @ frame[list(PARTS)].to_numpy(float).T
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        total += frame.index.isin(list(names))[top].sum(axis=1) / len(names)
    return total / len(frames)


def district_validation(serving: pd.DataFrame, mix: dict, data_dir=None, models_dir=None,
                        progress: bool = True) -> dict:
    """Leave-one-district-out validation on the public destinations; also
    fits the serving weights on every district (each with its own rows
    excluded from its evidence). Returns per-unit metrics, summaries, CIs,
    the LODO weights of each unit and the final weights."""
    units = district_units(data_dir)
    names = [u["district"] for u in units]
    # parts of every unit with only its own rows excluded (for the final fit)
    own_out = [unit_parts(serving, mix, u, frozenset({u["district"]}), data_dir) for u in units]
    previous = previous_model_rankings(units, models_dir)
    rows, lodo = [], {}
    grid = weight_simplex(len(PARTS))
    for i, u in enumerate(tqdm(units, desc="districts (leave one out)", unit="district", disable=None if progress else True)):
        held = frozenset({u["district"]})
        train = [(unit_parts(serving, mix, v, held | {v["district"]}, data_dir), v["named"])
                 for v in units if v["district"] != u["district"]]
        w = fit_weights(train)
        lodo[u["district"] + "|" + u["division"]] = w
        parts = own_out[i]
        weights = {p: w[p] for p in PARTS}
        # the alternative to the logit: the weights with the best recall@10 on the other districts
        searched = grid[int(np.argmax(grid_recall([f for f, _ in train], [n for _, n in train], grid)))]
        rankings = {
            "new_ranking": blend(parts, weights).sort_values(ascending=False, kind="stable").index.tolist(),
            "persistence": parts["current_musd"].sort_values(ascending=False, kind="stable").index.tolist(),
            "ppml_fe": parts["implied_musd"].sort_values(ascending=False, kind="stable").index.tolist(),
            "forecast_only": parts["forecast"].sort_values(ascending=False, kind="stable").index.tolist(),
            "recall_search": blend(parts, dict(zip(PARTS, searched))).sort_values(
                ascending=False, kind="stable").index.tolist(),
            "constant_top10": list(ITALY_TOP10) + [m for m in parts.index if m not in ITALY_TOP10],
        }
        if previous is not None:
            rankings[PREVIOUS_VERSION] = previous[u["district"] + "|" + u["division"]]
        for method, ranking in rankings.items():
            rows.append({"district": u["district"], "division": u["division"], "sector": u["sector"],
                         "named": len(u["named"]), "stand_in": u["stand_in"], "method": method,
                         "top10": " ".join(ranking[:K]),
                         "missed": " ".join(f"{m} #{ranking.index(m) + 1}" if m in ranking else f"{m} -"
                                            for m in sorted(u["named"] - set(ranking[:K]))),
                         **unit_metrics(ranking, u["named"], u["first"])})
    per_unit = pd.DataFrame(rows)
    final = fit_weights(list(zip(own_out, [u["named"] for u in units])))
    # an upper bound, not a result: the best any weighting reaches when chosen on the very districts scored
    in_sample = grid_recall(own_out, [u["named"] for u in units], grid)
    ceiling = {"recall@10": float(in_sample.max()), "weights": dict(zip(PARTS, grid[int(np.argmax(in_sample))]))}
    summary = per_unit.groupby("method", sort=False)[["recall@10", "ndcg@10", "hit_rate@10", "hits@10"]].mean()
    cis = [unit_bootstrap(per_unit, "new_ranking", b) for b in per_unit["method"].unique() if b != "new_ranking"]
    return {"units": len(units), "districts": len(set(names)), "per_unit": per_unit, "summary": summary.reset_index(),
            "ci": pd.DataFrame(cis), "lodo_weights": lodo, "weights": final, "ceiling": ceiling}


def unit_bootstrap(per_unit: pd.DataFrame, method: str, baseline: str, metric: str = "recall@10",
                   n_boot: int = 2000, seed: int = 42) -> dict:
    """Mean difference over districts with a 95% percentile bootstrap CI (districts resampled)."""
    wide = per_unit.pivot_table(index=["district", "division"], columns="method", values=metric)
    d = (wide[method] - wide[baseline]).to_numpy()
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"method": method, "baseline": baseline, "metric": metric, "mean_difference": float(d.mean()),
            "ci_low": float(lo), "ci_high": float(hi), "units": int(len(d)),
            "ratio": float(wide[method].mean() / wide[baseline].mean()) if wide[baseline].mean() > 0 else None}


# -- report -----------------------------------------------------------------
def markdown(district: dict, forecast: dict | None) -> str:
    """The validation figures as Markdown (README and model card)."""
    s = district["summary"].set_index("method")
    lines = [f"**Real destinations** ({district['units']} district-sectors from {district['districts']} districts of "
             "`district_destinations`, leave-one-district-out, default customer type):", "",
             "| method | recall@10 | NDCG@10 | hit rate | named found in top 10 |", "|---|---|---|---|---|"]
    for m, r in s.iterrows():
        lines.append(f"| {'**' + m + '**' if m == 'new_ranking' else m} | {r['recall@10']:.3f} | {r['ndcg@10']:.3f} | "
                     f"{r['hit_rate@10']:.3f} | {r['hits@10']:.2f} |")
    lines += ["", "Difference in recall@10, new ranking minus each method, 95% bootstrap CI over districts:", "",
              "| baseline | difference | 95% CI | ratio |", "|---|---|---|---|"]
    for r in district["ci"].to_dict("records"):
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] else "-"
        lines.append(f"| {r['baseline']} | {r['mean_difference']:+.3f} | [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] | {ratio} |")
    pu = district["per_unit"].pivot_table(index=["district", "division"], columns="method", values="hits@10")
    big = district["per_unit"].groupby(["district", "division"])["named"].first() >= 5
    worse = pu[big.reindex(pu.index).to_numpy() & (pu["new_ranking"] < pu["constant_top10"] - 1)]
    new_rows = district["per_unit"][district["per_unit"]["method"] == "new_ranking"].set_index(["district", "division"])
    lines += ["", f"Districts with >= 5 named destinations where the new ranking finds more than one fewer than "
                  f"the constant list: {len(worse)}" + (f" ({', '.join(n for n, _ in worse.index)})" if len(worse) else ""),
              *[f"- {n} ({div}): named destinations outside the top 10, with their rank: {new_rows.loc[(n, div), 'missed']}"
                for n, div in worse.index],
              "", "Weights fitted on all districts (conditional logit, non-negative, each district's own rows "
                  "excluded from its evidence): " + ", ".join(f"{p} {district['weights'][p]:.3f}" for p in PARTS)]
    ceiling, const = district["ceiling"], s.loc["constant_top10", "recall@10"]
    if "recall_search" in s.index:
        lines += ["", f"How far weights alone can go: `recall_search` picks, for each district, the weights (grid of "
                      f"step {SEARCH_STEP} on the simplex) with the best recall@10 on the *other* districts: "
                      f"{s.loc['recall_search', 'recall@10']:.3f}, below the logit. The best any weighting reaches "
                      f"when chosen on the scored districts themselves is {ceiling['recall@10']:.3f} "
                      f"({ceiling['recall@10'] / const:.2f}x the constant list; "
                      + ", ".join(f"{p} {w:.2f}" for p, w in ceiling["weights"].items())
                      + "): an in-sample upper bound, not a result. The distance between the two is what "
                        f"{district['units']} districts can teach about weights without overfitting."]
    if forecast is not None:
        lines += ["", f"**Forecast** (features of 2006 -> market shares of 2011, out of exporter in "
                      f"{forecast['folds']} groups, {forecast['queries']} queries):", "",
                  "| method | NDCG@10 all | NDCG@10 Italy | recall@10 all |", "|---|---|---|---|"]
        for r in forecast["summary"]:
            lines.append(f"| {'**' + r['method'] + '**' if r['method'] == forecast['model'] else r['method']} | "
                         f"{r['ndcg@10']:.3f} | {r.get('italy_ndcg@10', float('nan')):.3f} | {r['recall@10']:.3f} |")
        lines += ["", "Difference in NDCG@10, forecast model minus each baseline, 95% CI clustered by exporter:", "",
                  "| baseline | difference | 95% CI | exporters won |", "|---|---|---|---|"]
        for r in forecast["ci"]:
            lines.append(f"| {r['baseline']} | {r['mean_difference']:+.4f} | [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}] | "
                         f"{r['share_of_clusters_won']:.0%} |")
    return "\n".join(lines) + "\n"


def write_readme_block(text: str, readme: Path) -> None:
    body = readme.read_text()
    block = f"{README_START}\n{text}{README_END}"
    if README_START in body:
        body = re.sub(re.escape(README_START) + r".*?" + re.escape(README_END), lambda _: block, body, flags=re.S)
    else:
        body += "\n" + block + "\n"
    readme.write_text(body)


def main(argv: list[str] | None = None) -> int:
    from recommender.errors import DataError, ModelError
    from recommender.model.artifact import load_current
    from recommender.training.forecast_report import forecast_validation
    from recommender.training.dataset import Tables

    p = argparse.ArgumentParser(prog="python -m recommender.validate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--no-forecast", action="store_true", help="skip the forecast check (about 2 minutes)")
    p.add_argument("--no-readme", action="store_true", help="print only; do not rewrite the README block")
    args = p.parse_args(argv)
    try:
        model = load_current(args.models_dir)
        if model.format < 2:
            print(f"error: current model {model.version} is format 1; train a v2 model first", file=sys.stderr)
            return 2
        district = district_validation(model.serving, model.manifest["serving"]["demand_mix"], args.data_dir,
                                       args.models_dir)
        forecast = None if args.no_forecast else forecast_validation(Tables.load(args.data_dir), args.folds, args.seed)
    except (DataError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = markdown(district, forecast)
    print(f"model {model.version}\n")
    print(text)
    print(district["per_unit"][district["per_unit"]["method"].isin(["new_ranking", "constant_top10"])]
          .pivot_table(index=["district", "division"], columns="method", values="hits@10").to_string())
    if not args.no_readme:
        write_readme_block(f"Model `{model.version}`, written by `python -m recommender.validate`.\n\n" + text,
                           config.PROJECT_ROOT / "README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m recommender.validate``: the market ranking against reality and as a forecast.

Three checks, side by side in one run, each with bootstrap confidence intervals:

1. **Real destinations, by product.** For every (district, product) unit of
   ``district_destinations`` (public reports naming where Italian districts
   sell; each unit with its ATECO class and product family), the district is
   entered as a firm of that product would be (its class, province and
   district; the product's default customer type) and the top 10 markets are
   compared with the named destinations (RUS and BLR left out: the service
   never shows them): recall@10, NDCG@10 and hit rate, overall, for district
   figures only and by product family. Methods: the product ranking, today's
   division ranking (mr-2026.11.29.4's method), Italy's exports in the
   product's finest ICIO sector, persistence in the harmonised sector, the
   PPML-FE gravity model, the product evidence alone, the constant list of
   Italy's ten largest markets, the previous model mp-2026.11.2 and the same
   parts with conditional-logit weights. Leave-one-district-out: a district's
   own rows never inform its evidence, and the sources its figures come from
   never inform the product evidence nor the weights used to rank it. The
   weights are searched for recall@10 on the other districts (a grid on the
   simplex); what each part adds is the same search without it. No market
   under an import ban for the product may be shown (counted).
2. **Re-export hubs**: the 2022 estimates for HKG, SGP, ARE, NLD, BEL (and
   CHE) beside public figures for the product.
3. **Forecast.** Out of exporter and out of time (features of 2006, market
   shares of 2011, exporters held out in 5 groups): the forecast model
   against persistence, PPML-FE and the mp-2026.11.2 method, with CIs of the
   difference clustered by exporter.

Also the channel validation table (recommender.channel_cases): pass rate and
coverage by product family. Writes the figures into the README (between the
``validation`` markers) and prints them. ``recommender.train`` runs the same
code and puts the same figures in the model card.
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
from recommender.products import banned_markets, product_evidence, product_for
from recommender.recommend.score import (CUSTOMER_DEMAND_TYPES, PARTS, blend, default_customer_type, fit_weights,
                                         market_parts, percentile, product_demand_weights)

# Italy's ten largest export markets overall (ISTAT, all goods, 2023-2024),
# the same list for every firm: the "what an advisor says without a model" baseline.
ITALY_TOP10 = ("DEU", "FRA", "USA", "ESP", "CHE", "GBR", "BEL", "POL", "NLD", "TUR")
PREVIOUS_VERSION = "mp-2026.11.2"
K = 10
README_START, README_END = "<!-- validation:start -->", "<!-- validation:end -->"


# markets the service never shows (EU embargo, restricted_markets): a named destination there cannot be found
# by any ranking the service could serve, so recall leaves them out (the report says so)
NEVER_SHOWN = frozenset({"RUS", "BLR"})
DIVISION_PARTS = ("peers", "forecast", "unrealised", "evidence")  # today's (mr-2026.11.29.4) division ranking


# -- units ------------------------------------------------------------------
def district_units(data_dir=None) -> list[dict]:
    """One unit per (reported district, ATECO division) with its named destinations (RUS and BLR left
    out: never shown), its product (the curated ATECO class of the unit, recommender.products) and
    the source URLs of its rows (their product lists are left out when it is scored)."""
    d = destinations(data_dir)
    units = []
    for (name, div), g in d.groupby(["district_name", "ateco_division"], sort=True):
        named = set(g["iso3"]) - NEVER_SHOWN
        if not named:
            continue
        ranked = g[g["iso3"].isin(named)].dropna(subset=["rank"]).sort_values(["year", "rank"],
                                                                              ascending=[False, True])
        first = ranked["iso3"].iloc[0] if len(ranked) else None
        slugs = [s for s in g["district_slugs"].iloc[0].split(";") if s]
        slug = slugs[0] if slugs else None
        product = product_for(g["ateco_class"].iloc[0], "2022", slug, data_dir=data_dir)
        units.append({"district": name, "division": div, "sector": g["model_sector"].iloc[0],
                      "province": g["provinces"].iloc[0].split(";")[0], "district_slug": slug,
                      "named": named, "first": first, "product": product, "family": g["product_family"].iloc[0],
                      "urls": frozenset(g["source_url"]), "never_shown": ";".join(sorted(set(g["iso3"]) & NEVER_SHOWN)),
                      "stand_in": ";".join(sorted(set(g["stand_in"]) - {""}))})
    return units


def unit_parts(serving: pd.DataFrame, mix: dict, unit: dict, exclude: frozenset[str], data_dir=None,
               exclude_urls: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The unit's market parts as the service computes them for a firm of its product (finest ICIO
    sector, the product's customer type and demand mix, district evidence on the product family,
    product evidence), with the districts in ``exclude`` and the sources in ``exclude_urls`` left out."""
    p = unit["product"]
    value, _ = evidence(p.model_sector, unit["division"], unit["province"], unit["district_slug"],
                        exclude=exclude, data_dir=data_dir, family=p.family)
    parts = _product_parts(serving, mix, p).copy()
    parts["evidence"] = value.reindex(parts.index).fillna(0.0)
    product_value, _, _ = product_evidence(p.evidence_keys, exclude_urls, data_dir)
    parts["product"] = product_value.reindex(parts.index).fillna(0.0)
    parts["banned"] = parts.index.isin(banned_markets(p.family, p.family_group, data_dir))
    return parts


_BASE: dict = {}


def _sectors(serving: pd.DataFrame) -> frozenset:
    key = ("sectors", id(serving))
    if key not in _BASE:
        _BASE[key] = frozenset(serving[C.SECTOR])
    return _BASE[key]


def _base_parts(serving: pd.DataFrame, sector: str, customer: str, mix: tuple) -> pd.DataFrame:
    """market_parts without evidence, remembered per serving table, sector, customer type and mix (the
    leave-one-out folds recompute only the evidence)."""
    key = (id(serving), sector, customer, mix)
    if key not in _BASE:
        _BASE[key] = market_parts(serving, sector, CUSTOMER_DEMAND_TYPES[customer], dict(mix))
    return _BASE[key]


def _product_parts(serving: pd.DataFrame, mix: dict, p) -> pd.DataFrame:
    """A product's parts without evidence, as the engine measures them: its finest sector (where the
    model has it), its default customer type and its demand mix."""
    sector = p.icio_sector if p.icio_sector in _sectors(serving) else p.model_sector
    weights = product_demand_weights(p.demand_mix, p.default_customer, mix.get(sector, {}))
    return _base_parts(serving, sector, p.default_customer, tuple(sorted(weights.items())))


def division_parts(serving: pd.DataFrame, mix: dict, unit: dict, exclude: frozenset[str], data_dir=None) -> pd.DataFrame:
    """Today's division-level parts (model sector, the sector's customer type, sector-wide district evidence)."""
    value, _ = evidence(unit["sector"], unit["division"], unit["province"], unit["district_slug"],
                        exclude=exclude, data_dir=data_dir)
    customer = default_customer_type(mix.get(unit["sector"], {}))
    parts = _base_parts(serving, unit["sector"], customer, tuple(sorted(mix.get(unit["sector"], {}).items()))).copy()
    parts["evidence"] = value.reindex(parts.index).fillna(0.0)
    return parts


def _order(values: pd.Series, drop: pd.Series | None = None) -> list[str]:
    if drop is not None:
        values = values[~drop]
    return values.sort_values(ascending=False, kind="stable").index.tolist()


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
SEARCH_STEP = 0.1  # grid step of the weight simplex searched for recall@10 (1,001 weightings of 5 parts)


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
                        progress: bool = True, max_units: int | None = None) -> dict:
    """Leave-one-district-out validation on the public destinations; also
    fits the serving weights on every district (each with its own rows
    excluded from its evidence and its own sources from the product evidence).
    Returns per-unit metrics, summaries, CIs (differences and ratios), the
    weights of each fold, what each part adds (refit without it), figures by
    product family and the final weights. ``max_units`` keeps the first units only (quick test runs)."""
    units = district_units(data_dir)[:max_units]
    names = [u["district"] for u in units]
    # parts of every unit with only its own rows and sources excluded (for the final fit)
    own_out = [unit_parts(serving, mix, u, frozenset({u["district"]}), data_dir, u["urls"]) for u in units]
    previous = previous_model_rankings(units, models_dir)
    rows, lodo = [], {}
    grid = weight_simplex(len(PARTS))
    for i, u in enumerate(tqdm(units, desc="districts (leave one out)", unit="district", disable=None if progress else True)):
        held = frozenset({u["district"]})
        others = [v for v in units if v["district"] != u["district"]]
        # the held-out unit's sources never inform the weights either
        train = [(unit_parts(serving, mix, v, held | {v["district"]}, data_dir, u["urls"] | v["urls"]), v["named"])
                 for v in others]
        train_frames, train_named = [f for f, _ in train], [n for _, n in train]
        train_recall = grid_recall(train_frames, train_named, grid)
        # the serving weights' procedure: the weighting with the best recall@10 on the other districts
        weights = dict(zip(PARTS, grid[int(np.argmax(train_recall))]))
        lodo[u["district"] + "|" + u["division"]] = weights
        w = fit_weights(train)  # the conditional logit, reported beside it
        parts = own_out[i]
        today = fit_weights([(division_parts(serving, mix, v, held | {v["district"]}, data_dir), v["named"])
                             for v in others], parts=DIVISION_PARTS)
        dparts = division_parts(serving, mix, u, held, data_dir)
        rankings = {
            "new_ranking": _order(blend(parts, weights), parts["banned"]),
            "logit_weights": _order(blend(parts, {p: w[p] for p in PARTS}), parts["banned"]),
            "division_ranking": _order(blend(dparts, {p: today[p] for p in DIVISION_PARTS})),
            "finest_sector_exports": _order(parts["current_musd"]),
            "persistence": _order(dparts["current_musd"]),
            "ppml_fe": _order(parts["implied_musd"]),
            "product_evidence_only": _order(parts["product"] + 1e-6 * percentile(parts["current_musd"])),
            "constant_top10": list(ITALY_TOP10) + [m for m in parts.index if m not in ITALY_TOP10],
        }
        for j, dropped in enumerate(PARTS):  # what each part adds: the same search among weightings without it
            without = np.where(grid[:, j] == 0, train_recall, -1.0)
            rankings[f"without_{dropped}"] = _order(blend(parts, dict(zip(PARTS, grid[int(np.argmax(without))]))),
                                                    parts["banned"])
        if previous is not None:
            rankings[PREVIOUS_VERSION] = previous[u["district"] + "|" + u["division"]]
        banned = set(parts.index[parts["banned"]])
        for method, ranking in rankings.items():
            rows.append({"district": u["district"], "division": u["division"], "sector": u["sector"],
                         "family": u["family"], "named": len(u["named"]), "stand_in": u["stand_in"],
                         "method": method, "top10": " ".join(ranking[:K]),
                         "banned_shown": len(banned & set(ranking)),
                         "missed": " ".join(f"{m} #{ranking.index(m) + 1}" if m in ranking else f"{m} -"
                                            for m in sorted(u["named"] - set(ranking[:K]))),
                         **unit_metrics(ranking, u["named"], u["first"])})
    per_unit = pd.DataFrame(rows)
    # the serving weights: the same search on every district (each with its own rows and sources left out)
    in_sample = grid_recall(own_out, [u["named"] for u in units], grid)
    final = {p: round(float(v), 4) for p, v in zip(PARTS, grid[int(np.argmax(in_sample))])}
    logit = fit_weights(list(zip(own_out, [u["named"] for u in units])))
    # what the search reaches on the districts it was chosen on: in-sample, not a result
    ceiling = {"recall@10": float(in_sample.max()), "weights": final}
    metrics = ["recall@10", "ndcg@10", "hit_rate@10", "hits@10"]
    summary = per_unit.groupby("method", sort=False)[metrics].mean()
    district_level = per_unit[per_unit["stand_in"] == ""].groupby("method", sort=False)[metrics].mean()
    cis = [unit_bootstrap(per_unit, "new_ranking", b) for b in per_unit["method"].unique() if b != "new_ranking"]
    ndcg_cis = [unit_bootstrap(per_unit, "new_ranking", b, metric="ndcg@10")
                for b in ("constant_top10", "finest_sector_exports", "division_ranking")]
    fam = per_unit[per_unit["method"].isin(FAMILY_METHODS)]
    by_family = fam.pivot_table(index="family", columns="method", values="recall@10", aggfunc="mean")
    by_family_ndcg = fam.pivot_table(index="family", columns="method", values="ndcg@10", aggfunc="mean")
    units_per_family = per_unit[per_unit["method"] == "new_ranking"].groupby("family").size()
    return {"units": len(units), "districts": len(set(names)), "per_unit": per_unit, "summary": summary.reset_index(),
            "district_level": district_level.reset_index(), "ci": pd.DataFrame(cis), "ndcg_ci": pd.DataFrame(ndcg_cis),
            "by_family": by_family, "by_family_ndcg": by_family_ndcg, "units_per_family": units_per_family,
            "lodo_weights": lodo, "weights": final, "logit_weights": logit, "ceiling": ceiling,
            "never_shown": sorted(NEVER_SHOWN),
            "hubs": hub_check(serving, mix),
            "banned_shown": int(per_unit.loc[per_unit["method"] == "new_ranking", "banned_shown"].sum())}


FAMILY_METHODS = ("new_ranking", "division_ranking", "finest_sector_exports", "constant_top10")


def unit_bootstrap(per_unit: pd.DataFrame, method: str, baseline: str, metric: str = "recall@10",
                   n_boot: int = 2000, seed: int = 42) -> dict:
    """Mean difference over districts with a 95% percentile bootstrap CI (districts resampled), and the
    ratio of the means with its CI from the same resamples."""
    wide = per_unit.pivot_table(index=["district", "division"], columns="method", values=metric)
    a, b = wide[method].to_numpy(), wide[baseline].to_numpy()
    d = a - b
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(d), size=(n_boot, len(d)))
    boot = d[idx].mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    base_means = b[idx].mean(axis=1)
    ratios = a[idx].mean(axis=1) / np.where(base_means > 0, base_means, np.nan)
    rlo, rhi = np.nanpercentile(ratios, [2.5, 97.5])
    return {"method": method, "baseline": baseline, "metric": metric, "mean_difference": float(d.mean()),
            "ci_low": float(lo), "ci_high": float(hi), "units": int(len(d)),
            "ratio": float(a.mean() / b.mean()) if b.mean() > 0 else None,
            "ratio_ci_low": float(rlo), "ratio_ci_high": float(rhi)}


# -- report -----------------------------------------------------------------
METHOD_NOTES = {
    "new_ranking": "product ranking (this model): finest ICIO sector, product customer type, product and district evidence, import bans applied, weights searched for recall@10 on the other districts",
    "division_ranking": "today's division ranking (mr-2026.11.29.4 method: model sector, sector evidence, 4 parts)",
    "finest_sector_exports": "Italy's 2022 exports in the product's finest ICIO sector",
    "persistence": "Italy's 2022 exports in the harmonised sector (last observed shares)",
    "ppml_fe": "PPML with fixed effects (gravity), fitted without Italy, finest sector",
    "product_evidence_only": "the product evidence part alone",
    "logit_weights": "the same parts with conditional-logit weights (the previous method of fitting them)",
    "constant_top10": "constant list of Italy's ten largest markets",
}


def markdown(district: dict, forecast: dict | None) -> str:
    """The validation figures as Markdown (README and model card)."""
    s = district["summary"].set_index("method")
    main = [m for m in s.index if not m.startswith("without_")]
    lines = [f"**Real destinations** ({district['units']} district-products from {district['districts']} districts of "
             "`district_destinations`, leave-one-district-out: a district's own rows never inform its evidence, and "
             "the sources its figures come from never inform the product evidence nor the weights used to rank it; "
             "default customer type of the product). Named destinations in "
             f"{', '.join(district['never_shown'])} are left out of recall: the service never shows them (EU embargo).",
             "", "| method | recall@10 | NDCG@10 | hit rate | named found in top 10 |", "|---|---|---|---|---|"]
    for m in main:
        r = s.loc[m]
        label = f"**{m}**" if m == "new_ranking" else m
        lines.append(f"| {label} | {r['recall@10']:.3f} | {r['ndcg@10']:.3f} | {r['hit_rate@10']:.3f} | "
                     f"{r['hits@10']:.2f} |")
    lines += ["", "; ".join(f"`{m}`: {METHOD_NOTES[m]}" for m in main if m in METHOD_NOTES) + ".", "",
              "New ranking minus each method, 95% bootstrap CI over district-products (resampled):", "",
              "| baseline | recall@10 difference | 95% CI | ratio | ratio 95% CI |", "|---|---|---|---|---|"]
    for r in district["ci"].to_dict("records"):
        if r["baseline"].startswith("without_"):
            continue
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] else "-"
        lines.append(f"| {r['baseline']} | {r['mean_difference']:+.3f} | [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] | "
                     f"{ratio} | [{r['ratio_ci_low']:.2f}, {r['ratio_ci_high']:.2f}] |")
    lines += ["", "| baseline | NDCG@10 difference | 95% CI |", "|---|---|---|"]
    for r in district["ndcg_ci"].to_dict("records"):
        lines.append(f"| {r['baseline']} | {r['mean_difference']:+.3f} | [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] |")
    new_recall = s.loc["new_ranking", "recall@10"]
    lines += ["", "What each part adds (the same leave-one-district-out fit without it; recall@10 lost):",
              ", ".join(f"{p} {new_recall - s.loc['without_' + p, 'recall@10']:+.3f}" for p in PARTS
                        if "without_" + p in s.index) + "."]
    dl = district["district_level"].set_index("method")
    if "new_ranking" in dl.index:
        lines += ["", "District figures only (rows tagged as national, regional or province stand-ins left out): "
                      + ", ".join(f"{m} {dl.loc[m, 'recall@10']:.3f}" for m in FAMILY_METHODS if m in dl.index)
                      + " recall@10."]
    lines += ["", "By product family (recall@10; NDCG@10 in the card's per-unit table):", "",
              "| family | units | " + " | ".join(FAMILY_METHODS) + " |", "|---|---|" + "---|" * len(FAMILY_METHODS)]
    bf = district["by_family"]
    for fam, r in bf.iterrows():
        lines.append(f"| {fam} | {int(district['units_per_family'].get(fam, 0))} | "
                     + " | ".join(f"{r[m]:.2f}" for m in FAMILY_METHODS) + " |")
    pu = district["per_unit"]
    wide = pu.pivot_table(index=["district", "division"], columns="method", values="hits@10")
    losing = wide[(wide["new_ranking"] < wide["constant_top10"]) | (wide["new_ranking"] < wide["finest_sector_exports"])]
    new_rows = pu[pu["method"] == "new_ranking"].set_index(["district", "division"])
    lines += ["", f"Where the product ranking still finds fewer named destinations than the constant list or "
                  f"Italy's exports in the finest sector: {len(losing)} of {len(wide)} district-products"]
    for n, div in losing.index:
        r = wide.loc[(n, div)]
        lines.append(f"- {n} ({div}, {new_rows.loc[(n, div), 'family']}): {int(r['new_ranking'])} found vs "
                     f"{int(r['constant_top10'])} (constant) and {int(r['finest_sector_exports'])} (finest sector); "
                     f"missed: {new_rows.loc[(n, div), 'missed']}")
    lines += ["", f"Markets under an import ban for the product shown by the product ranking, all district-products, "
                  f"full ranking: {district['banned_shown']}.",
              "", f"Serving weights, searched on all districts (the {len(weight_simplex(len(PARTS)))} weightings of a "
                  f"grid of step {SEARCH_STEP} on the simplex, the one with the best mean recall@10; each district's "
                  "own rows and sources left out of its evidence): "
                  + ", ".join(f"{p} {district['weights'][p]:.2f}" for p in PARTS)
                  + f" (recall@10 {district['ceiling']['recall@10']:.3f} on those same districts: in-sample, not a "
                    "result; the leave-one-district-out figure above is the result). The conditional logit, "
                    "the previous way of fitting them, gives " + ", ".join(
                      f"{p} {district['logit_weights'][p]:.3f}" for p in PARTS) + " and the `logit_weights` row."]
    if "hubs" in district and len(district["hubs"]):
        lines += ["", hub_markdown(district["hubs"]).rstrip("\n")]
    lines += ["", channels_markdown().rstrip("\n")]
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


HUB_CHECKS = config.PROJECT_ROOT / "recommender" / "data" / "curated" / "hub_checks_public.csv"
HUB_CLASSES = {"jewellery": "32.12", "leather_goods": "15.12", "wine": "11.02", "boats": "30.12", "apparel": "14.13",
               "eyewear": "32.50.5", "cosmetics": "20.42", "footwear": "15.20"}


def hub_check(serving: pd.DataFrame, mix: dict) -> pd.DataFrame:
    """The 2022 estimate of Italy's sales of a product's finest sector to re-export hubs and Switzerland,
    beside the latest public figure for the product (curated/hub_checks_public.csv, each with its source):
    where the hubs' estimates are weak, the model card shows how weak."""
    public = pd.read_csv(HUB_CHECKS, dtype=str, keep_default_na=False)
    rows = []
    for (family, iso3), g in public.groupby(["product_family", "iso3"]):
        if family not in HUB_CLASSES:
            continue
        latest = g.sort_values("year").iloc[-1]
        p = product_for(HUB_CLASSES[family], "2022")
        assert p is not None  # HUB_CLASSES are goods
        parts = _product_parts(serving, mix, p)
        sector = p.icio_sector if p.icio_sector in _sectors(serving) else p.model_sector
        rows.append({"family": family, "market": iso3, "sector": sector,
                     "model_2022_musd": round(float(parts.loc[iso3, "current_musd"]), 1) if iso3 in parts.index else None,
                     "model_rank": int(parts.loc[iso3, "peers_rank"]) if iso3 in parts.index else None,
                     "public_year": latest["year"], "public_figure": latest["value_or_share"],
                     "source": latest["source_title"], "url": latest["source_url"]})
    return pd.DataFrame(rows)


def hub_markdown(hubs: pd.DataFrame) -> str:
    lines = ["**Re-export hubs and Switzerland, checked** (model: Italy's 2022 sales of the product's finest ICIO "
             "sector, consumer and investment parts estimated; public: the latest figure found for the product, "
             "in the source's own units). Where the public figure dwarfs the estimate, the estimate is flagged as "
             "weak in every reason (`reexport_hub`); the product evidence part, which names these markets from "
             "the sources, carries the ranking there.", "",
             "| product | market | sector | model 2022 (MUSD, rank of 79) | public figure (year) | source |",
             "|---|---|---|---|---|---|"]
    for r in hubs.to_dict("records"):
        lines.append(f"| {r['family']} | {r['market']} | {r['sector']} | {r['model_2022_musd']} (#{r['model_rank']}) | "
                     f"{r['public_figure']} ({r['public_year']}) | [{r['source'][:60]}]({r['url']}) |")
    return "\n".join(lines) + "\n"


COVERAGE_FAMILIES = ("wine", "pork_meat", "dairy", "apparel", "footwear", "eyewear", "jewellery", "furniture",
                     "tiles_building", "textiles", "machinery", "medical_devices", "cosmetics", "boats")


def channels_markdown() -> str:
    """The channel validation table's pass rate and the channels' coverage by product family."""
    from recommender.channel_cases import check_cases, coverage
    cases = check_cases()
    failed = cases[~cases["passed"]]
    markets = [m for m in load_table("countries")["iso3"] if m != "ITA"]
    cov = coverage(markets, list(COVERAGE_FAMILIES))
    lines = [f"**Channels** (`recommender/data/curated/channel_cases.csv`: {len(cases)} cases of product family x "
             f"customer type x market, each with the channels that must and must not be proposed and the cited "
             f"seller rule): {int(cases['passed'].sum())} of {len(cases)} pass"
             + (": failing " + ", ".join(failed["case_id"]) if len(failed) else "") + ".", "",
             f"Coverage of the {len(markets)} markets by product family: share with at least one fitting B2C and one "
             "B2B channel (generic channels such as the own e-shop included), and with a channel that lists the "
             "family itself (a marketplace, a fair, a directory or a platform of the product), B2C and B2B:", "",
             "| family | B2C and B2B | B2C, product-specific | B2B, product-specific |", "|---|---|---|---|"]
    for r in cov.to_dict("records"):
        lines.append(f"| {r['family']} | {r['b2c_and_b2b']:.0%} | {r['b2c_specific']:.0%} | {r['b2b_specific']:.0%} |")
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

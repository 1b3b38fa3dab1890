"""``python -m recommender.train``: train, evaluate and publish the market ranking (v2).

One run, on the derived tables only (no network, no raw files):

1. **Final demand 2022.** Learns on WIOD 1995-2011 how household and
   investment flows relate to what ICIO observes (intermediate flows, size,
   income, distance), checks it out of time and out of country against
   ranking by intermediate flows, and estimates 2022 household and
   investment flows for every ICIO pair (flagged as estimates).
2. **Forecast.** Features of year t, market shares of t + 5 (WIOD), out of
   exporter and out of time (2006 -> 2011): the forecast model (LightGBM on
   top of a PPML share model and persistence) against persistence, PPML with
   importer x sector x demand fixed effects, the PPML share model alone and
   the mp-2026.11.2 method, with exporter-clustered bootstrap CIs.
3. **Serving table** for Italy, 2022: current exports (peers), the 2027
   forecast, the unrealised potential from a PPML-FE model that never saw
   Italy.
4. **Score weights** fitted on the public district destinations (the
   weighting with the best recall@10, searched on a grid; leave-one-district-out
   for the reported figures), validated by product against the constant list
   of Italy's largest markets, Italy's exports in the finest sector, today's
   division ranking, persistence, PPML-FE and mp-2026.11.2.
5. Writes ``models/<version>/`` and promotes it to ``models/CURRENT`` only if
   the forecast model beats persistence, PPML-FE and the current model's
   method with a CI that excludes zero, and the new ranking finds at least
   as many named destinations as the constant list (``--force`` overrides,
   loudly, and records why in the manifest).

``python -m recommender.train --outcomes DATABASE_URL`` learns instead from
the outcomes recorded by the service (see :mod:`recommender.outcomes.training`).

Exit codes: 0 trained (and promoted unless --no-promote), 1 not promoted
because the gate failed, 2 bad input (paths, tables failing their schema).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

import pandas as pd

from recommender import config
from recommender.data import load_table
from recommender.data.tables import TABLES, sha256_file, table_path
from recommender.errors import DataError, ModelError
from recommender.forecast.dataset import BASE_YEARS, HORIZON, build_forecast_dataset
from recommender.forecast.final_demand import FinalDemandEstimator
from recommender.forecast.models import BoostedOnTop
from recommender.forecast.serving import (build_fine_serving_table, build_serving_table, demand_mix, implied_model,
                                          with_estimated_final_demand)
from recommender.model import artifact
from recommender.recommend.score import PARTS
from recommender.sectors import ICIO_TO_MODEL
from recommender.training.card import model_card
from recommender.training.dataset import Tables
from recommender.training.forecast_report import (FINAL_DEMAND_YEARS, FORECAST_MODEL, final_demand_rows,
                                                  final_demand_validation, forecast_validation)
from recommender.validate import district_validation, markdown

FORMAT = 2
USED_TABLES = ("flows", "flows_fine", "country_year", "pairs", "countries", "district_destinations",
               "product_profiles", "product_destinations", "product_rules")
FORECAST_GATE_BASELINES = ("persistence", "ppml_fe", "nowcast_ranker_v1")
VINTAGES = {
    "peers": "OECD ICIO 2022 (intermediate); household and investment: 2022 estimates",
    "forecast": "forecast model, features of 2022, horizon 2027 (trained on WIOD 1995-2011)",
    "unrealised": "PPML-FE on OECD ICIO 2022 without Italy",
    "district_evidence": "public reports 2003-2025 (district_destinations)",
    "product_evidence": "public sources on Italian products 2001-2025 (product_destinations)",
    "product_rules": "import bans and requirements, sourced and dated per row (product_rules)",
    "online_purchase": "World Bank Global Findex 2021",
    "logistics": "World Bank LPI 2016",
    "gravity": "CEPII GeoDist",
    "gdp": "World Bank WDI (latest 2023)",
    "trade_agreements": "European Commission DG Trade list, curated 2025",
    "restrictions": "EU restrictive measures, curated (see restricted_markets.as_of)",
}


def _bar(it, **kw):
    return tqdm(it, disable=None, **kw)


def promotion_gate(forecast: dict, district: dict) -> dict:
    """Passes when the forecast model beats each gate baseline with a CI
    above zero and the new ranking's mean recall@10 on the district
    destinations is at least the constant list's."""
    ci = {r["baseline"]: r for r in forecast["ci"]}
    failures = [f"forecast vs {b}: CI [{ci[b]['ci_low']:+.4f}, {ci[b]['ci_high']:+.4f}] does not exclude zero"
                for b in FORECAST_GATE_BASELINES if ci[b]["ci_low"] <= 0]
    s = district["summary"].set_index("method")["recall@10"]
    if s["new_ranking"] < s["constant_top10"]:
        failures.append(f"districts: recall@10 {s['new_ranking']:.3f} below the constant list's {s['constant_top10']:.3f}")
    if "finest_sector_exports" in s and s["new_ranking"] < s["finest_sector_exports"]:
        failures.append(f"districts: recall@10 {s['new_ranking']:.3f} below Italy's exports in the finest sector "
                        f"({s['finest_sector_exports']:.3f})")
    if district.get("banned_shown", 0) > 0:  # the product check: an import ban is never recommended
        failures.append(f"products: {district['banned_shown']} markets under an import ban shown")
    return {"passed": not failures, "failures": failures}


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=config.PROJECT_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _versions() -> dict:
    return {p: importlib.metadata.version(p) for p in ("lightgbm", "scikit-learn", "pandas", "numpy", "scipy")}


def run(data_dir: Path, models_dir: Path, seed: int, folds: int, promote: bool, force: bool,
        version: str | None = None, force_reason: str | None = None, base_years=BASE_YEARS,
        final_demand_years=FINAL_DEMAND_YEARS, forecast_params: dict | None = None,
        district_units: int | None = None) -> int:
    """The whole run (see the module docstring); the keyword knobs exist so
    tests can train a small model quickly."""
    tables = Tables.load(data_dir)
    print("1/5 final demand: fit and check out of time and out of country", flush=True)
    fd_rows = final_demand_rows(tables, final_demand_years)
    fd_check = final_demand_validation(fd_rows, folds, seed)
    final_demand = FinalDemandEstimator().fit(fd_rows)
    tables_2022 = with_estimated_final_demand(tables, final_demand)

    print("2/5 forecast: out of exporter and out of time", flush=True)
    data = build_forecast_dataset(tables, base_years, progress=_bar)
    forecast = forecast_validation(tables, folds, seed, data=data, forecast_params=forecast_params)

    print("3/5 serving table for Italy, 2022", flush=True)
    forecaster = BoostedOnTop(random_state=seed, **(forecast_params or {})).fit(data)
    implied = implied_model(tables_2022)
    serving = build_serving_table(tables_2022, forecaster, implied)
    fine_2022 = with_estimated_final_demand(tables.with_flows(load_table("flows_fine", data_dir)), final_demand,
                                            parent=ICIO_TO_MODEL)
    serving = pd.concat([serving, build_fine_serving_table(fine_2022, implied_model(fine_2022), serving,
                                                           ICIO_TO_MODEL)], ignore_index=True)
    mix = demand_mix(serving)

    print("4/5 score weights and validation on the public district destinations", flush=True)
    district = district_validation(serving, mix, data_dir, models_dir, max_units=district_units)
    gate = promotion_gate(forecast, district)

    print("5/5 writing the model version", flush=True)
    trained_at = datetime.now(timezone.utc)
    version = version or "mr-" + trained_at.strftime("%Y%m%dT%H%M%SZ")
    weights = district["weights"]
    manifest = {
        "format": FORMAT,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "seed": seed,
        "forecast": {"horizon_years": HORIZON, "model": FORECAST_MODEL, "params": {
            k: getattr(forecaster, k) for k in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples",
                                                "random_state")},
            "columns": forecaster.columns(), "share_logit_coefficients": forecaster.base_.model_.coefficients(),
            "training_rows": int(len(data)), "training_queries": int(data["qid"].nunique())},
        "final_demand": {"coefficients": final_demand.coefficients(), "check": fd_check},
        "implied": {"model": "PPML, importer x sector x demand fixed effects, OECD ICIO 2022 without ITA",
                    "coefficients": implied.model_.coefficients()},
        "score": {"parts": list(PARTS), "weights": {p: weights[p] for p in PARTS},
                  "fitted_on": f"the weighting with the best recall@10 on the named destinations of {district['units']} "
                               "district-products (public reports), searched on a grid of the simplex, each district's "
                               "own rows and sources excluded from its evidence; leave-one-district-out figures in the card",
                  "logit_weights": {p: district["logit_weights"][p] for p in PARTS},
                  "leave_one_district_out_weights": district["lodo_weights"]},
        "serving": {"exporter": "ITA", "year": 2022, "demand_mix": mix, "vintages": VINTAGES},
        "data_tables": {name: {"file": TABLES[name].filename, "sha256": sha256_file(table_path(name, data_dir))}
                        for name in USED_TABLES},
        "library_versions": _versions(),
        "git_commit": _git_commit(),
        "metrics": {"forecast": forecast,
                    "districts": {"summary": district["summary"].round(4).to_dict("records"),
                                  "ci": district["ci"].round(4).to_dict("records"),
                                  "ndcg_ci": district["ndcg_ci"].round(4).to_dict("records"),
                                  "district_level": district["district_level"].round(4).to_dict("records"),
                                  "by_family": {f: {m: round(float(v), 4) for m, v in r.items()}
                                                for f, r in district["by_family"].iterrows()},
                                  "never_shown": district["never_shown"], "banned_shown": district["banned_shown"],
                                  "per_unit": district["per_unit"].round(4).to_dict("records")}},
        "promotion": gate | {"forced": bool(force and not gate["passed"]),
                             "force_reason": force_reason if force and not gate["passed"] else None},
    }
    report = markdown(district, forecast)
    curves = config.LEARNING_CURVES_FILE.read_text() if config.LEARNING_CURVES_FILE.exists() else None
    card = model_card(manifest, version, report, curves)
    path = artifact.save_version(models_dir, version, forecaster.booster_, serving, manifest, card)
    print()
    print(report)
    print(f"wrote {path}")
    if not promote:
        print("--no-promote: CURRENT left alone")
        return 0
    if gate["passed"]:
        artifact.promote(version, models_dir)
        print(f"promotion gate passed; promoted {version} to CURRENT")
        return 0
    if force:
        artifact.promote(version, models_dir)
        print("!" * 78 + f"\nFORCED promotion of {version} although the gate failed:\n  "
              + "\n  ".join(gate["failures"]) + f"\nreason recorded in the manifest: {force_reason!r}\n" + "!" * 78)
        return 0
    print("NOT promoted, the gate failed:\n  " + "\n  ".join(gate["failures"]) + "\n(use --force to promote anyway)")
    return 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recommender.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder with the derived tables (default: data/ or $RECOMMENDER_DATA_DIR)")
    p.add_argument("--models-dir", type=Path, default=None,
                   help="where model versions are written (default: models/ or $RECOMMENDER_MODELS_DIR)")
    p.add_argument("--seed", type=int, default=42, help="random seed for LightGBM and the fold shuffle (default 42)")
    p.add_argument("--folds", type=int, default=5, help="number of exporter-grouped folds, >= 2 (default 5)")
    p.add_argument("--no-promote", action="store_true", help="write the new version but never touch models/CURRENT")
    p.add_argument("--force", action="store_true", help="promote even if the gate fails (recorded in the manifest)")
    p.add_argument("--force-reason", default=None, help="why --force was used (recorded in the manifest)")
    p.add_argument("--version", default=None, help="version folder name (default: mr-<UTC timestamp>)")
    p.add_argument("--outcomes", metavar="DATABASE_URL", default=None,
                   help="instead of the market model: learn from the outcomes recorded in the service's database "
                        "(impressions and feedback; see recommender/outcomes/training.py) and write a new version "
                        "on top of the serving market model")
    args = p.parse_args(argv)
    if args.outcomes:
        from recommender.outcomes.training import train_outcomes
        try:
            return train_outcomes(args.outcomes, args.models_dir or config.models_dir(), args.data_dir,
                                  promote=not args.no_promote, force=args.force, force_reason=args.force_reason,
                                  version=args.version)
        except (DataError, ModelError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    data_dir = args.data_dir or config.data_dir()
    models_dir = args.models_dir or config.models_dir()
    if not Path(data_dir).is_dir():
        print(f"error: data folder not found: {data_dir}", file=sys.stderr)
        return 2
    if args.folds < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return 2
    try:
        return run(Path(data_dir), Path(models_dir), args.seed, args.folds, not args.no_promote, args.force,
                   args.version, args.force_reason)
    except (DataError, ModelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

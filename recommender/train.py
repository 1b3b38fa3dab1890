"""``python -m recommender.train``: train, evaluate and publish the market-potential model.

Builds the learning-to-rank dataset from the derived tables, evaluates the
LightGBM ranker against five baselines out of exporter (grouped K-fold) and
out of time (train <= 2006, test 2011 and ICIO 2022), runs the opportunity
backtest, fits the final model on everything, writes models/<version>/ and
promotes it to models/CURRENT only if it beats the best baseline on
out-of-exporter NDCG@10 (or with --force).

Exit codes: 0 trained (and promoted unless --no-promote), 1 not promoted
because a baseline won, 2 bad input (paths, tables failing their schema).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from recommender import columns as C
from recommender import config
from recommender.data.tables import TABLES, sha256_file, table_path
from recommender.errors import DataError, ModelError
from recommender.features.market import FEATURE_MEANINGS, ID_COLUMNS
from recommender.model import artifact
from recommender.model.ranker import MarketRanker
from recommender.training.dataset import MIN_QUERY_FLOW_MUSD, Tables, build_dataset, group_sizes
from recommender.training.evaluate import opportunity_backtest, out_of_exporter, out_of_time, summarise
from recommender.training.report import model_card, summary_table

# Odd years plus 2006 (the out-of-time cut): every regime of the 1995-2011
# panel is seen, and a full train + evaluation stays under 3 minutes on 2 cores.
TRAIN_WIOD_YEARS = (1995, 1997, 1999, 2001, 2003, 2005, 2006, 2007, 2009, 2011)
DEFAULT_PARAMS = {"n_estimators": 200, "learning_rate": 0.08, "num_leaves": 31, "min_child_samples": 100}
SERVING_SLICES = {  # demand type -> freshest (source, year) that has it
    C.INTERMEDIATE: (C.ICIO2022, 2022),
    C.HOUSEHOLD: (C.WIOD2013, 2011),
    C.INVESTMENT: (C.WIOD2013, 2011),
}
PROMOTION_METRIC = "ndcg@10"
USED_TABLES = ("flows", "country_year", "pairs", "countries")


def serving_rows(tables: Tables, exporter: str = "ITA") -> pd.DataFrame:
    """Feature rows for ``exporter`` from the freshest slice of each demand type."""
    parts = [tables.slice_rows(src, yr, exporters=[exporter], demand_types=[d])
             for d, (src, yr) in SERVING_SLICES.items()]
    return pd.concat(parts, ignore_index=True).sort_values(ID_COLUMNS).reset_index(drop=True)


def demand_mix(tables: Tables, exporter: str = "ITA", source: str = C.WIOD2013, year: int = 2011) -> dict:
    """Share of each demand type in the exporter's foreign sales, per sector
    (WIOD: the only source with all three). The recommender uses it to weight
    demand types for B2B / B2C / both firms and to pick a default customer type."""
    f = tables.flows
    f = f[(f[C.SOURCE] == source) & (f[C.YEAR] == year) & (f[C.EXPORTER] == exporter) & (f[C.PARTNER] == C.FOREIGN)
          & f[C.DEMAND].isin(list(SERVING_SLICES))]
    by = f.groupby([C.SECTOR, C.DEMAND])[C.VALUE].sum().unstack(fill_value=0.0)
    shares = by.div(by.sum(axis=1), axis=0).round(4)
    return {"source": source, "year": year, "shares": {s: row.to_dict() for s, row in shares.iterrows()}}


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.round(4).to_json(orient="records"))


def evaluate_all(data: pd.DataFrame, params: dict, folds: int, seed: int) -> dict:
    pq = out_of_exporter(data, params, folds, seed, progress=lambda x, **k: tqdm(x, disable=None, **k))
    oot, ranker_2006, _ = out_of_time(data, params)
    return {
        "out_of_exporter": {
            "all": _records(summarise(pq)),
            "italy": _records(summarise(pq[pq[C.EXPORTER] == "ITA"])),
            "by_demand_type": _records(summarise(pq, [C.DEMAND])),
            "italy_by_demand_type": _records(summarise(pq[pq[C.EXPORTER] == "ITA"], [C.DEMAND])),
        },
        "out_of_time": {"by_test_set": _records(summarise(oot, ["test_set"])),
                        "by_test_set_and_demand_type": _records(summarise(oot, ["test_set", C.DEMAND]))},
        "backtest": opportunity_backtest(data, ranker_2006),
    }


def promotion_decision(results: dict, metric: str = PROMOTION_METRIC) -> tuple[bool, str, float, float]:
    """(beats, best baseline name, model score, best baseline score) on out-of-exporter ``metric``."""
    rows = {r["method"]: r[metric] for r in results["out_of_exporter"]["all"]}
    model = rows.pop("model")
    best = max(rows, key=rows.get)
    return model > rows[best], best, model, rows[best]


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=config.PROJECT_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _versions() -> dict:
    return {p: importlib.metadata.version(p) for p in ("lightgbm", "scikit-learn", "pandas", "numpy", "scipy")}


def run(data_dir: Path, models_dir: Path, seed: int, folds: int, promote: bool, force: bool,
        version: str | None = None, params: dict | None = None, wiod_years=TRAIN_WIOD_YEARS) -> int:
    params = dict(DEFAULT_PARAMS, **(params or {}), random_state=seed)
    tables = Tables.load(data_dir)
    data = build_dataset(tables, wiod_years=wiod_years, progress=lambda x, **k: tqdm(x, disable=None, **k))
    results = evaluate_all(data, params, folds, seed)

    final = MarketRanker(**params).fit(data, data["label"], group_sizes(data))
    trained_at = datetime.now(timezone.utc)
    version = version or trained_at.strftime("%Y%m%dT%H%M%SZ")
    manifest = {
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "seed": seed,
        "params": final.get_params(),
        "lightgbm_params": final.lgb_params(),
        "features": FEATURE_MEANINGS,
        "categories": final.categories_,
        "training": {"queries": int(data["qid"].nunique()), "rows": int(len(data)),
                     "wiod_years": list(wiod_years), "icio_years": [2022],
                     "min_query_flow_musd": MIN_QUERY_FLOW_MUSD},
        "evaluation": {"folds": folds, "promotion_metric": PROMOTION_METRIC},
        "serving": {"exporter": "ITA", "slices": {d: {"source": s, "year": y} for d, (s, y) in SERVING_SLICES.items()},
                    "demand_mix": demand_mix(tables)},
        "data_tables": {name: {"file": TABLES[name].filename, "sha256": sha256_file(table_path(name, data_dir))}
                        for name in USED_TABLES},
        "library_versions": _versions(),
        "git_commit": _git_commit(),
        "metrics": results,
    }
    manifest["version"] = version
    card = model_card(manifest, results)
    path = artifact.save_version(models_dir, version, final.booster_, serving_rows(tables), manifest, card)

    print()
    print(summary_table(results).to_string())
    bt = results["backtest"]
    print(f"\nbacktest: spearman(gap, growth) = {bt['spearman_gap_growth']:.3f}; "
          f"top-decile log growth {bt['mean_log_growth_top_decile_gap']:.3f} vs all {bt['mean_log_growth_all']:.3f} "
          f"vs market-growth-only {bt['mean_log_growth_top_decile_market_growth']:.3f}")
    print(f"\nwrote {path}")

    beats, best, m, b = promotion_decision(results)
    verdict = f"model {PROMOTION_METRIC} {m:.4f} vs best baseline {best} {b:.4f}"
    if not promote:
        print(f"{verdict}; --no-promote: CURRENT left alone")
        return 0
    if beats or force:
        artifact.promote(version, models_dir)
        print(f"{verdict}; promoted {version} to CURRENT" + (" (forced)" if force and not beats else ""))
        return 0
    print(f"{verdict}; NOT promoted: the model does not beat the best baseline (use --force to promote anyway)")
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
    p.add_argument("--force", action="store_true", help="promote even if a baseline scores better")
    p.add_argument("--version", default=None, help="version folder name (default: UTC timestamp)")
    args = p.parse_args(argv)

    data_dir = args.data_dir or config.data_dir()
    models_dir = args.models_dir or config.models_dir()
    if not Path(data_dir).is_dir():
        print(f"error: data folder not found: {data_dir}", file=sys.stderr)
        return 2
    if args.folds < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return 2
    try:
        return run(Path(data_dir), Path(models_dir), args.seed, args.folds, not args.no_promote, args.force, args.version)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ModelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

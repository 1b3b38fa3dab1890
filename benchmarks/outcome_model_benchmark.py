"""Outcome model at scale, on SYNTHETIC trials (random contexts and outcomes,
never used outside this benchmark): the time to fit :class:`OutcomeModel`, the
cells it writes (the shared view, plus each Chamber's cells where it has trials
of its own) and what serving them costs a worker (:class:`OutcomeAdjuster`
build time and memory), for a growing number of Chambers.

    .venv/bin/python benchmarks/outcome_model_benchmark.py [--trials 100000] [--chambers 10 60 120]
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommender import columns as C  # noqa: E402
from recommender.outcomes.model import OutcomeModel  # noqa: E402
from recommender.outcomes.serving import OutcomeAdjuster  # noqa: E402
from recommender.outcomes.trials import TRIAL_COLUMNS  # noqa: E402

SECTORS = ("A01T03", "B05T09", "C10T12", "C13T15", "C16", "C17_18", "C20T21", "C22", "C23", "C24T25", "C26T27",
           "C28", "C29T30", "C31T33", "C19")


def synthetic_trials(n: int, chambers: int, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC market trials shaped like the service's: each Chamber has two districts
    (localities) of one sector each, 20,000 firms, and its firms try 60 markets, the first
    ones far more often; success 30 %."""
    rng = np.random.default_rng(seed)
    tenant = rng.integers(1, chambers + 1, n)
    district = tenant * 2 + rng.integers(0, 2, n)
    district_sector = np.array(SECTORS)[np.random.default_rng(seed + 1).integers(0, len(SECTORS), 2 * chambers + 2)]
    markets = np.array([f"M{i:02d}" for i in range(60)])
    popularity = 1.0 / np.arange(1, 61)
    return pd.DataFrame({
        C.TENANT: tenant, C.FIRM: tenant * 100_000 + rng.integers(0, 20_000, n), C.SECTOR: district_sector[district],
        C.LOCALITY: np.char.add("sintetico-", district.astype(str)), C.MATURITY_LEVEL: 3,
        C.SIZE_CLASS: "10-49", C.MARKET: rng.choice(markets, n, p=popularity / popularity.sum()), C.CHANNEL: None,
        C.POSITION: rng.integers(1, 11, n), C.PRIOR_SCORE: rng.uniform(40, 95, n), C.EXPLORED: False,
        C.SUCCESS: (rng.random(n) < 0.3).astype(int), C.OUTCOME_DATE: "2026-06-01", C.IMPRESSION: 1,
    }).reindex(columns=list(TRIAL_COLUMNS))  # no score parts: the re-weighting is not exercised here


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=100_000)
    p.add_argument("--chambers", type=int, nargs="+", default=[10, 60, 120])
    args = p.parse_args()
    print(f"SYNTHETIC trials: {args.trials:,}")
    print("| Chambers | fit | cells | adjuster build | adjuster memory |\n|---|---|---|---|---|")
    for chambers in args.chambers:
        trials = synthetic_trials(args.trials, chambers)
        t = time.perf_counter()
        model = OutcomeModel().fit(trials)
        fit_s = time.perf_counter() - t
        cells, params = model.cells_, model.params()
        del model, trials
        gc.collect()
        tracemalloc.start()
        t = time.perf_counter()
        adjuster = OutcomeAdjuster(cells, params)
        build_s = time.perf_counter() - t
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"| {chambers} | {fit_s:.1f} s | {len(cells):,} | {build_s:.1f} s | {held / 2**20:,.0f} MiB |", flush=True)
        del adjuster, cells
        gc.collect()
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

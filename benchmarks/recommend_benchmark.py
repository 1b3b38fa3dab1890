"""In-process latency of one recommendation after warm-up (p50, p99), and a
batch of 100,000 varied firm profiles (sectors, provinces, maturities,
customer types, current/excluded markets), with peak RSS.

Targets on the 2-core reference machine: p99 <= 2 ms; 100k firms <= 60 s.

    .venv/bin/python benchmarks/recommend_benchmark.py [--firms 100000]
"""

import argparse
import random
import resource
import time

import numpy as np

from recommender.data import load_table
from recommender.model.artifact import load_current
from recommender.recommend import FirmProfile, Recommender


def profiles(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    sectors = load_table("sectors")
    goods = sectors[sectors["model_sector"].notna()]["ateco_division"].tolist()
    provinces = load_table("provinces")["sigla"].tolist()
    markets = ["DE", "FR", "ES", "US", "GB", "CH", "AT", "NL", "BE", "PL", "CN", "JP"]
    out = []
    for _ in range(n):
        out.append({
            "ateco": rng.choice(goods), "province": rng.choice(provinces),
            "customer_type": rng.choice([None, "b2b", "b2c", "both"]),
            "maturity_level": rng.randint(1, 4),
            "current_markets": rng.sample(markets, rng.randint(0, 2)),
            "excluded_markets": rng.sample(markets, rng.randint(0, 1)),
            "languages": rng.choice([[], ["en"], ["en", "de"], ["fr"]]),
        })
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=100_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rec = Recommender(load_current())
    print(f"start-up (load + verify model, precompute): {time.perf_counter() - t0:.2f} s")

    sample = profiles(2000, seed=1)
    for p in sample[:200]:  # warm-up
        rec.recommend(FirmProfile.from_dict(p))
    lat = []
    for p in sample:
        t = time.perf_counter()
        rec.recommend(FirmProfile.from_dict(p), k=10)
        lat.append((time.perf_counter() - t) * 1000)
    print(f"one recommendation (validation + scoring + reasons + channels + steps), n={len(lat)}: "
          f"p50 {np.percentile(lat, 50):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms (target p99 <= 2 ms)")

    batch = profiles(args.firms, seed=2)
    t = time.perf_counter()
    for p in batch:
        rec.recommend(FirmProfile.from_dict(p), k=10)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"batch of {args.firms:,} firms: {wall:.1f} s ({args.firms / wall:,.0f} firms/s; target <= 60 s), "
          f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()

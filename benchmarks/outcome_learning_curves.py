"""Learning curves of the outcome model on the labelled SIMULATION
(recommender/outcomes/simulator.py): recall@10 and NDCG@10 of the served top
10 against the simulator's hidden truth, vs the number of recorded outcomes,
for no learning, the outcome model and a naive counter, in two scenarios
(truth aligned with the data behind the prior, and truth contradicting it).

Prints the table, writes docs/outcome_learning_curves.md (the model card's
outcome section includes it) and the README block between the
``outcomes:start/end`` markers. Takes about 15 minutes on 2 cores.

    .venv/bin/python benchmarks/outcome_learning_curves.py [--max-outcomes 100000] [--explore 0.1]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender.model.artifact import load_current  # noqa: E402
from recommender.outcomes.simulator import CHECKPOINTS, SCENARIOS, SimulationConfig, learning_curves  # noqa: E402
from recommender.recommend import Recommender  # noqa: E402
from recommender.validate import district_units  # noqa: E402

START, END = "<!-- outcomes:start -->", "<!-- outcomes:end -->"


def table(curves: pd.DataFrame, explore: float, seeds: int, seconds: float) -> str:
    lines = [f"SIMULATION (not data): 31 district-sector units, exploration share {explore} while learning, "
             f"evaluated without exploration; mean of {seeds} simulations per scenario (each its own hidden truth "
             f"and firms); gap closed = share of the distance from no learning to the truth's own top 10; "
             f"{seconds:.0f} s on this machine.", "",
             "| scenario | outcomes | no learning recall / NDCG | outcome model recall / NDCG (gap closed) "
             "| truth's top 10 ever tried | naive counter recall / NDCG (gap closed) |", "|---|---|---|---|---|---|"]
    for (scenario, n), g in curves.groupby(["scenario", "outcomes"], sort=False):
        row = g.set_index("method")
        cell = {m: f"{row.loc[m, 'recall@10']:.3f} / {row.loc[m, 'ndcg@10']:.3f}" for m in row.index}
        gap = {m: f" ({row.loc[m, 'gap_closed_recall@10']:+.0%} / {row.loc[m, 'gap_closed_ndcg@10']:+.0%})"
               for m in row.index}
        tried = row.loc["learned", "tried@10"]
        lines.append(f"| {scenario} | {n:,} | {cell['none']} | {cell['learned']}{gap['learned']} "
                     f"| {'' if pd.isna(tried) else f'{tried:.2f}'} | {cell['naive']}{gap['naive']} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-outcomes", type=int, default=CHECKPOINTS[-1])
    p.add_argument("--explore", type=float, default=0.1)
    p.add_argument("--seeds", type=int, default=3, help="simulations per scenario (different truths and firms)")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    rec = Recommender(load_current())
    units = district_units()
    checkpoints = tuple(c for c in CHECKPOINTS if c <= args.max_outcomes)
    t = time.perf_counter()
    runs = pd.concat([learning_curves(rec, units, SimulationConfig(scenario=s, explore_share=args.explore,
                                                                  checkpoints=checkpoints, random_state=seed))
                      for s in SCENARIOS for seed in range(args.seeds)], ignore_index=True)
    curves = runs.groupby(["scenario", "outcomes", "method"], sort=False).mean(numeric_only=True).reset_index()
    text = table(curves, args.explore, args.seeds, time.perf_counter() - t)
    print(text)
    if not args.no_write:
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "outcome_learning_curves.md").write_text(text + "\n")
        readme = ROOT / "README.md"
        body = readme.read_text()
        if START in body:
            body = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: f"{START}\n{text}\n{END}", body,
                          flags=re.S)
            readme.write_text(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Learning curves of the outcome model on the labelled SIMULATION
(recommender/outcomes/simulator.py): the served top 10 against the
simulator's hidden truth (recall@10, NDCG@10, NDCG@10 graded by the true
success probability, the true success rate of the ten served) vs the number
of recorded outcomes, for no learning, the outcome model and a naive
counter, with the Bayes oracle on the outcome model's trials as the yardstick
of what those outcomes could teach, in three scenarios (truth aligned with the data behind the prior,
the same noise all district-specific, truth contradicting the prior), with
95% CIs over independent simulations.

Prints the table, writes docs/outcome_learning_curves.md (the next trained
model's card includes it) and the README block between the
``outcomes:start/end`` markers. Takes about 60 minutes on 2 cores with 10 simulations per scenario
and the 100,000 checkpoint, most of it past 10,000 outcomes (``--max-outcomes 10000`` stops there);
``--scenario`` runs one or a few scenarios and ``--noise-scale`` scales the truth's noise; both only print.

    .venv/bin/python benchmarks/outcome_learning_curves.py [--max-outcomes 100000] [--explore 0.1] [--scenario aligned] [--noise-scale 0.5]
"""

from __future__ import annotations

import argparse
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
from report import mean_ci, ratio_ci, signed_pct, write_block  # noqa: E402

START, END = "<!-- outcomes:start -->", "<!-- outcomes:end -->"


GAPS = (("recall@10", "recall@10"), ("ndcg@10", "NDCG@10"), ("graded_ndcg@10", "graded NDCG@10"),
        ("success@10", "success rate of the 10"))
SHORT = ("recall@10", "graded_ndcg@10", "success@10")  # the oracle's and naive counter's columns
PAIRED = ("recall@10", "graded_ndcg@10")  # the outcome model's gain as a share of the oracle's


def table(runs: pd.DataFrame, explore: float, seeds: int, seconds: float, n_units: int,
          noise_scale: float = 1.0) -> str:
    """Markdown: the share of the gap closed per scenario and number of outcomes (mean ± 95% CI over
    the simulations), then the levels behind it."""
    noise = "" if noise_scale == 1.0 else f"the truth's noise scales x{noise_scale}, "
    lines = [f"SIMULATION (not data): {n_units} district-sector units (firms entered with the district's "
             f"product), {noise}exploration share {explore} while learning, "
             f"evaluated without exploration; {seeds} simulations per scenario (each its own hidden truth and "
             f"firms), mean ± 95% CI over them; {seconds:.0f} s on this machine.", "",
             "Share of the gap between no learning and the truth closed by the outcome model (naive counter "
             "in the last column). *recall@10* and *NDCG@10* count the truth's top 10 as relevant (a market "
             "just below the truth's cut is a full miss); *graded NDCG@10* takes each market's true success "
             "probability as its relevance; *success rate of the 10* is the mean true success probability of "
             "the ten markets served (what firms trying them would sell), against the truth's own ten. "
             "The *Bayes oracle* learns from the same trials as the outcome model but knows how the simulator "
             "made its truth (the fixed part of every logit, both noise scales, which districts share a sector): "
             "what those outcomes could teach at best (it starts ahead, knowing the fixed part; "
             "recommender/outcomes/oracle.py).", "",
             "*Share of the oracle's gain* is the outcome model's gain over no learning divided by the "
             "oracle's (recall@10 / graded NDCG@10; summed over the simulations, 95% bootstrap interval over "
             "them); *of its gain from the outcomes* divides by the oracle's gain beyond where it already "
             "stands with no outcome at all (what knowing the truth's fixed part gives it before any trial "
             "is no lesson of the outcomes); *of the feature-limited oracle's* divides by the gain of the same "
             "posterior knowing, instead of the truth's fixed part, only the best linear function of the market "
             "model's score and parts (fitted on the hidden truth): what a learner with the service's own "
             "information could reach (recommender/outcomes/simulator.py, feature_limited_truth); "
             "\"–\" where the oracle gained less than 10 points.", "",
             "| scenario | outcomes | " + " | ".join(label for _, label in GAPS)
             + " | truth's top 10 ever tried | Bayes oracle: recall@10 / graded NDCG@10 / success"
             " | share of the oracle's gain | of its gain from the outcomes | of the feature-limited oracle's"
             " | naive counter: recall@10 / graded NDCG@10 / success |",
             "|---|---|" + "---|" * (len(GAPS) + 6)]
    start = runs[(runs["method"] == "oracle") & (runs["outcomes"] == 0)].set_index(["scenario", "seed"])
    for (scenario, n), g in runs[runs["outcomes"] > 0].groupby(["scenario", "outcomes"], sort=False):
        learned, naive, oracle, limited = (g[g["method"] == m].set_index("seed")
                                           for m in ("learned", "naive", "oracle", "oracle_limited"))
        tried, _ = mean_ci(learned["tried@10"])
        ahead = start.loc[scenario]
        seeds = learned.index
        shares = [ratio_ci(learned[f"gap_closed_{m}"], oracle.loc[seeds, f"gap_closed_{m}"]) for m in PAIRED]
        taught = [ratio_ci(learned[f"gap_closed_{m}"],
                           oracle.loc[seeds, f"gap_closed_{m}"] - ahead.loc[seeds, f"gap_closed_{m}"]) for m in PAIRED]
        feasible = [ratio_ci(learned[f"gap_closed_{m}"], limited.loc[seeds, f"gap_closed_{m}"]) for m in PAIRED]
        lines.append(f"| {scenario} | {n:,} | " + " | ".join(signed_pct(learned[f"gap_closed_{m}"]) for m, _ in GAPS)
                     + f" | {tried:.2f} | "
                     + " / ".join(signed_pct(oracle[f"gap_closed_{m}"]) for m in SHORT) + " | "
                     + " / ".join(shares) + " | " + " / ".join(taught) + " | " + " / ".join(feasible) + " | "
                     + " / ".join(signed_pct(naive[f"gap_closed_{m}"]) for m in SHORT) + " |")
    lines += ["", "Levels (means over the simulations): no learning, and the outcome model and the Bayes oracle at the largest number "
                  "of outcomes, against the truth's own top 10.", "",
              "| scenario | | recall@10 | NDCG@10 | graded NDCG@10 | success rate of the 10 |", "|---|---|---|---|---|---|"]
    top = runs["outcomes"].max()
    for scenario, g in runs.groupby("scenario", sort=False):
        none = g[(g["method"] == "none") & (g["outcomes"] == 0)].mean(numeric_only=True)
        last = g[(g["method"] == "learned") & (g["outcomes"] == top)].mean(numeric_only=True)
        best = g[(g["method"] == "oracle") & (g["outcomes"] == top)].mean(numeric_only=True)
        feasible = g[(g["method"] == "oracle_limited") & (g["outcomes"] == top)].mean(numeric_only=True)
        lines.append(f"| {scenario} | no learning | " + " | ".join(f"{none[m]:.3f}" for m, _ in GAPS) + " |")
        lines.append(f"| {scenario} | outcome model, {top:,} outcomes | "
                     + " | ".join(f"{last[m]:.3f}" for m, _ in GAPS) + " |")
        lines.append(f"| {scenario} | Bayes oracle, {top:,} outcomes | "
                     + " | ".join(f"{best[m]:.3f}" for m, _ in GAPS) + " |")
        lines.append(f"| {scenario} | feature-limited Bayes oracle, {top:,} outcomes | "
                     + " | ".join(f"{feasible[m]:.3f}" for m, _ in GAPS) + " |")
        lines.append(f"| {scenario} | truth | 1 | 1 | 1 | {none['best_success@10']:.3f} |")
    return "\n".join(lines)


def _noise(scenario: str, scale: float) -> dict:
    """Truth overrides: the scenario's two noise scales times ``scale``."""
    return {key: SCENARIOS[scenario][key] * scale for key in ("sigma_sector", "sigma_district")}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-outcomes", type=int, default=CHECKPOINTS[-1])
    p.add_argument("--explore", type=float, default=0.1)
    p.add_argument("--seeds", type=int, default=10, help="simulations per scenario (different truths and firms)")
    p.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                   help="run only this scenario (repeatable); the table is then printed, not written")
    p.add_argument("--noise-scale", type=float, default=1.0,
                   help="multiply the truth's noise scales (σ_s, σ_d) by this: how the figures depend on the "
                        "noise assumed; the table is then printed, not written")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    rec = Recommender(load_current())
    units = district_units()
    checkpoints = tuple(c for c in CHECKPOINTS if c <= args.max_outcomes)
    t = time.perf_counter()
    runs = pd.concat([learning_curves(rec, units, SimulationConfig(scenario=s, explore_share=args.explore,
                                                                  checkpoints=checkpoints, random_state=seed,
                                                                  truth=_noise(s, args.noise_scale))).assign(seed=seed)
                      for s in (args.scenario or SCENARIOS) for seed in range(args.seeds)], ignore_index=True)
    text = table(runs, args.explore, args.seeds, time.perf_counter() - t, len(units), args.noise_scale)
    print(text)
    if not args.no_write and not args.scenario and args.noise_scale == 1.0:
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "outcome_learning_curves.md").write_text(text + "\n")
        write_block(ROOT / "README.md", START, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Learning curves of the registry evidence on the labelled SIMULATION
(recommender/outcomes/registry_simulation.py): the served top 10 against the
simulator's hidden truth by number of registered firms per district-sector
(50 to 5,000), for the registry model and the Bayes oracle that knows how the
truth and the firms' self-selection were made and sees the same registries;
in three scenarios (``disagree``: the registries contradict the public
evidence the prior is built on), with the firms' self-selection (γ = 1) and
without it (γ = 0); then registries and outcomes together (the outcome loop of
recommender/outcomes/simulator.py started on 1,000 registered firms per unit).
95% CIs over independent simulations.

Prints the tables, writes docs/registry_learning_curves.md (the next outcome
training's model card includes it) and the README block between the
``registry:start/end`` markers. About 5 minutes on 2 cores.

    .venv/bin/python benchmarks/registry_learning_curves.py [--seeds 5] [--combined-seeds 3] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender import config  # noqa: E402
from recommender.model.artifact import load_current  # noqa: E402
from recommender.outcomes import registry_simulation as RS  # noqa: E402
from recommender.outcomes import simulator  # noqa: E402
from recommender.recommend import Recommender  # noqa: E402
from recommender.validate import district_units  # noqa: E402
from report import signed_pct, write_block  # noqa: E402

START, END = "<!-- registry:start -->", "<!-- registry:end -->"
SHOWN = (("recall@10", "recall@10"), ("graded_ndcg@10", "graded NDCG@10"), ("success@10", "success rate"))
COMBINED_REGISTRY, COMBINED_OUTCOMES = 1_000, (1_000, 10_000)


def registry_table(runs: pd.DataFrame, seeds: int) -> str:
    lines = ["| scenario | self-selection γ | firms per unit | registry model: " + " / ".join(l for _, l in SHOWN)
             + " | Bayes oracle: " + " / ".join(l for _, l in SHOWN)
             + " | registry model's share of the oracle's gain: recall@10 / graded NDCG@10 |",
             "|---|---|---|---|---|---|"]
    for (scenario, gamma, firms), g in runs[runs["firms"] > 0].groupby(["scenario", "gamma", "firms"], sort=False):
        reg = g[g["method"] == "registry"].set_index("seed")
        orc = g[g["method"] == "oracle"].set_index("seed")
        shares = [signed_pct(reg[f"gap_closed_{m}"] / orc[f"gap_closed_{m}"]) for m in ("recall@10", "graded_ndcg@10")]
        lines.append(f"| {scenario} | {gamma:g} | {firms:,} | "
                     + " / ".join(signed_pct(reg[f"gap_closed_{m}"]) for m, _ in SHOWN) + " | "
                     + " / ".join(signed_pct(orc[f"gap_closed_{m}"]) for m, _ in SHOWN) + " | " + " / ".join(shares) + " |")
    return "\n".join(lines)


def combined_table(runs: pd.DataFrame) -> str:
    lines = ["| scenario | registered firms per unit | outcomes | learned: " + " / ".join(l for _, l in SHOWN)
             + " | Bayes oracle: " + " / ".join(l for _, l in SHOWN) + " |", "|---|---|---|---|---|"]
    for (scenario, reg, n), g in runs.groupby(["scenario", "registry", "outcomes"], sort=False):
        learned, orc = g[g["method"] == "learned"], g[g["method"] == "oracle"]
        lines.append(f"| {scenario} | {reg:,} | {n:,} | " + " / ".join(signed_pct(learned[f"gap_closed_{m}"]) for m, _ in SHOWN)
                     + " | " + " / ".join(signed_pct(orc[f"gap_closed_{m}"]) for m, _ in SHOWN) + " |")
    return "\n".join(lines)


def combined(rec, units, scenario: str, seed: int) -> pd.DataFrame:
    """The outcome loop without and with registries, the gaps measured from the same prior (no
    registry, no outcome), so that what registries add at the start counts."""
    out = []
    for reg in (0, COMBINED_REGISTRY):
        cfg = simulator.SimulationConfig(scenario=scenario, checkpoints=(0, *COMBINED_OUTCOMES), random_state=seed,
                                         registry_firms=reg)
        out.append(simulator.run(rec, simulator.simulation_units(rec, units), "learned", cfg).assign(registry=reg))
    runs = pd.concat(out, ignore_index=True)
    curves = runs.groupby(["registry", "method", "outcomes"])[[*simulator.METRICS, "best_success@10"]].mean()
    curves = curves.reset_index()
    prior = curves[(curves["registry"] == 0) & (curves["method"] == "learned") & (curves["outcomes"] == 0)].iloc[0]
    best = {m: 1.0 for m in simulator.METRICS} | {"success@10": float(prior["best_success@10"])}
    for metric in simulator.METRICS:
        curves[f"gap_closed_{metric}"] = (curves[metric] - prior[metric]) / (best[metric] - prior[metric])
    return curves.assign(scenario=scenario, seed=seed)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=5, help="simulations per scenario and γ")
    p.add_argument("--combined-seeds", type=int, default=3, help="simulations of registries + outcomes (0: skip)")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    rec = Recommender(load_current())
    units = district_units()
    t = time.perf_counter()
    runs = pd.concat([RS.learning_curves(rec, units, RS.RegistrySimulationConfig(scenario=s, gamma=gamma,
                                                                                 random_state=seed)).assign(gamma=gamma)
                      for s in RS.SCENARIOS for gamma in (1.0, 0.0) for seed in range(args.seeds)], ignore_index=True)
    seconds = time.perf_counter() - t
    text = [f"SIMULATION (not data): {len(units)} district-sector units (firms entered with the district's product), registries of one Chamber, {args.seeds} simulations "
            f"per scenario and γ (each its own hidden truth and registries), mean ± 95% CI over them; "
            f"{seconds:.0f} s on this machine. Share of the gap between the prior (no registry) and the truth "
            "closed; the *Bayes oracle* knows how the truth and the firms' self-selection were made and sees the "
            "same registries (it starts ahead: at 0 firms it already knows the truth's fixed part).", "",
            registry_table(runs, args.seeds)]
    if args.combined_seeds:
        t = time.perf_counter()
        both = pd.concat([combined(rec, units, s, seed) for s in ("aligned", "disagree")
                          for seed in range(args.combined_seeds)], ignore_index=True)
        text += ["", f"Registries and outcomes together ({args.combined_seeds} simulations per scenario, "
                     f"{time.perf_counter() - t:.0f} s): the outcome loop of the outcome model's curves, without and "
                     f"with {COMBINED_REGISTRY:,} self-selected (γ = 1) registered firms per unit before it starts; the "
                     "gap is measured from the same prior (no registry, no outcome).", "", combined_table(both)]
    text = "\n".join(text)
    print(text)
    if not args.no_write:
        config.REGISTRY_CURVES_FILE.parent.mkdir(exist_ok=True)
        config.REGISTRY_CURVES_FILE.write_text(text + "\n")
        write_block(ROOT / "README.md", START, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The model card of a market ranking v2 version (pure formatting)."""

from __future__ import annotations

from recommender.recommend.score import PARTS


CURVES_HEADING = "## Learning from outcomes"


def model_card(manifest: dict, version: str, validation_markdown: str, outcome_curves: str | None = None) -> str:
    """The card as Markdown; ``outcome_curves`` (the simulated learning curves of the outcome
    model, Markdown) adds a section saying how the version will learn from outcomes."""
    fd = manifest["final_demand"]["check"]
    w = manifest["score"]["weights"]
    gate = manifest["promotion"]
    lines = [
        f"# Model card: market ranking `{version}`", "",
        "Ranks foreign markets for an Italian firm from its sector (ATECO -> model sector), its district and "
        "the demand types its customers stand for. Trained on public data only (OECD ICIO 2022, WIOD 1995-2011, "
        "CEPII, World Bank, public district reports); see `data/SOURCES.md`.", "",
        "## What the score is", "",
        "`score = 100 * (" + " + ".join(f"{w[p]:.3f} * {p}" for p in PARTS) + ")`", "",
        "- **peers**: Italy's 2022 exports of the sector to the market (ICIO for B2B; household and investment "
        "flows *estimated*), percentile over the 79 markets.",
        "- **forecast**: the forecast model's position of the market in 2027 (features of 2022), percentile.",
        "- **unrealised**: unrealised potential in USD from a PPML-FE model fitted without Italy, percentile (0 where "
        "Italy already sells what is expected). An out-of-sample residual, not in-sample error.",
        "- **evidence**: the market is named for the firm's district by a public report (1), else the share of the "
        "sector's other districts naming it.", "",
        f"Weights: {manifest['score']['fitted_on']}. The firm's web maturity does not change the score: it sets the "
        "horizon (start now / prepare, with the maturity level needed).", "",
        "## Validation (same run)", "", validation_markdown, "",
        "## Final-demand estimates (household, investment) for 2022", "",
        "PPML with sector x demand fixed effects on WIOD; ranked each exporter's markets (NDCG@10, graded shares):", "",
        "| check | estimator | by intermediate flows | Italy, estimator | Italy, intermediate |", "|---|---|---|---|---|",
    ]
    for name, r in fd.items():
        lines.append(f"| {name} | {r['estimator']['ndcg@10']:.3f} | {r['intermediate_flow']['ndcg@10']:.3f} | "
                     f"{r['estimator']['italy_ndcg@10']:.3f} | {r['intermediate_flow']['italy_ndcg@10']:.3f} |")
    lines += [
        "", "## Limits", "",
        "- Household and investment flows of 2022 are estimates (flagged in every reason that uses them).",
        "- WIOD and ICIO group textiles, apparel, leather and footwear together (C13T15), and furniture with "
        "jewellery and other manufacturing (C31T33): a shoe or a gold district is ranked on its whole group.",
        "- The forecast is validated on 2006 -> 2011 (40 WIOD countries); its transfer to ICIO 2022 (79 markets) "
        "cannot be checked out of time with the data at hand.",
        "- District evidence covers the districts in `district_destinations`; some rows are national, regional or "
        "province-wide stand-ins (flagged).", "",
        "## Promotion", "",
        ("Gate passed." if gate["passed"] else "Gate FAILED: " + "; ".join(gate["failures"])
         + (f". Forced: {gate['force_reason']!r}" if gate.get("forced") else "")), "",
    ]
    if outcome_curves:
        lines += [CURVES_HEADING, "",
                  "This version ranks without outcomes. `python -m recommender.train --outcomes DATABASE_URL` "
                  f"learns from those the service records and writes `{version}.o<timestamp>`, with its own "
                  "section below. How the outcome model learns, on a labelled simulation "
                  "(`benchmarks/outcome_learning_curves.py`):", "", outcome_curves.strip(), ""]
    return "\n".join(lines)

"""Metric tables and the model card text (pure formatting)."""

from __future__ import annotations

import pandas as pd

from recommender.features.market import FEATURE_MEANINGS
from recommender.model.labels import SHARE_THRESHOLDS
from recommender.training.evaluate import METRICS


def summary_table(results: dict) -> pd.DataFrame:
    """Model vs each baseline, NDCG@10 by split: all exporters, Italy only,
    per demand type, and out of time."""
    cols = {}
    oox = pd.DataFrame(results["out_of_exporter"]["all"]).set_index("method")
    cols["OOX all"] = oox["ndcg@10"]
    cols["OOX Italy"] = pd.DataFrame(results["out_of_exporter"]["italy"]).set_index("method")["ndcg@10"]
    by_d = pd.DataFrame(results["out_of_exporter"]["by_demand_type"])
    for d, g in by_d.groupby("demand_type", sort=False):
        cols[f"OOX {d}"] = g.set_index("method")["ndcg@10"]
    oot = pd.DataFrame(results["out_of_time"]["by_test_set"])
    for t, g in oot.groupby("test_set", sort=False):
        cols[f"OOT {t}"] = g.set_index("method")["ndcg@10"]
    return pd.DataFrame(cols).round(3)


def _md_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join([df.index.name or ""] + list(df.columns)) + " |"
    sep = "|" + "---|" * (len(df.columns) + 1)
    body = ["| " + " | ".join([str(i)] + [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]) + " |"
            for i, row in zip(df.index, df.to_numpy())]
    return "\n".join([head, sep, *body])


def model_card(manifest: dict, results: dict) -> str:
    table = summary_table(results)
    table.index.name = "method (NDCG@10)"
    full = pd.DataFrame(results["out_of_exporter"]["all"]).set_index("method")[METRICS].round(3)
    full.index.name = "method (out of exporter, all)"
    ita = pd.DataFrame(results["out_of_exporter"]["italy"]).set_index("method")[METRICS].round(3)
    ita.index.name = "method (out of exporter, Italy)"
    bt = results["backtest"]
    feats = "\n".join(f"- `{k}`: {v}" for k, v in FEATURE_MEANINGS.items())
    thresholds = ", ".join(f"{t:.2%}" for t in SHARE_THRESHOLDS)
    return f"""# Model card: market-potential ranker `{manifest['version']}`

**What it does.** For an exporting country, a sector (one of 15 harmonised
goods sectors) and a demand type (intermediate = what firms buy, household =
what consumers buy, investment = capital goods), it ranks importing countries
by export potential. The service asks it for Italy in the firm's sector.

**Model.** LightGBM `lambdarank`, seed {manifest['seed']}, params in
`manifest.json`. Trained on {manifest['training']['queries']} queries
({manifest['training']['rows']} query-market rows): WIOD 2013 release years
{manifest['training']['wiod_years']} (intermediate, household, investment) and
OECD ICIO 2022 (intermediate).

**Relevance.** Grade 0-6 = how many of the share thresholds ({thresholds}) the
market reaches in the exporter's flows of that sector and demand type. Shares
make exporters of any size comparable; the log-like steps mirror the
multiplicative nature of trade; few top grades make NDCG reward getting the
main markets right. Queries where the exporter sold under
{manifest['training']['min_query_flow_musd']} USD million in all are dropped
(WIOD rounds to whole millions, so their shares are noise).

**Features** (all structural, same year; none contains the target flows, see
`tests/test_features.py`):
{feats}

## Evaluation (held-out data only)

Out of exporter: grouped {manifest['evaluation']['folds']}-fold CV by exporter
(an exporter's queries never straddle train and test; Italy is in one test
fold). Out of time: trained on WIOD up to 2006 only, tested on WIOD 2011 and on
ICIO 2022 (intermediate; 80 countries, 40 of them never seen as exporters).
Precision@5, recall@10 and MAP count the actual top-10 markets as relevant.
A query with no relevant market would score NDCG 0 (scikit-learn convention).

{_md_table(table)}

{_md_table(full)}

{_md_table(ita)}

**Opportunity backtest** (ITC idea: unrealised potential predicts growth).
With the up-to-2006 model, gap = log(share implied by the model's rank) -
log(actual 2006 share); growth = log change of the flow 2006-2011, over
{bt['pairs']} exporter-sector-demand-market flows positive in both years.
Spearman(gap, growth) = {bt['spearman_gap_growth']:.3f} (market's own past
demand growth 2001-06: {bt['spearman_market_growth_only']:.3f}). Mean log
growth: top decile by gap {bt['mean_log_growth_top_decile_gap']:.3f}; all
flows ("no change" in relative terms) {bt['mean_log_growth_all']:.3f}; top
decile by market growth only {bt['mean_log_growth_top_decile_market_growth']:.3f}.
Caveat: part of this is regression to the mean (small flows grow faster in
relative terms); it supports, not proves, reading the gap as opportunity.

## Limits, stated plainly
- WIOD ends in 2011 and covers 40 countries (+ rest of world): household and
  investment potential is ranked over those 40 only; Switzerland, Norway, the
  Gulf, most of Asia, Africa and Latin America are invisible there.
- ICIO 2022 has intermediate flows only and one year: consumer-goods and
  capital-goods demand for its extra 40 countries is not observed.
- Sectors are 15 goods groups (WIOD's detail); no HS product detail: tiles
  and glass share "non-metallic minerals", shoes and fabrics share "textiles,
  apparel, leather".
- No Italian sub-national flows: a Sassuolo and a Palermo firm in the same
  sector get the same market potential; the district enters only through the
  sector and the recommender's readiness and channel parts.
- LPI stops at 2016 and Findex online purchases are 2021: used as static
  importer traits across years. FTA coverage is known only for pairs
  involving the EU (curated list); elsewhere it is missing.
- Values are current USD; exchange-rate swings move shares a little.
"""

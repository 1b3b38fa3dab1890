"""Build ``channels`` and ``channel_rules`` from the curated catalogue ``curated/channels.json`` (v2).

The catalogue is hand-maintained from public sources (``curated/README`` in
the README's "Channel catalogue" section says how to update it): each channel
with the product families and end uses it carries, its audience, the
countries where it operates (from a real list where one exists, with its
source, quote and as-of date), what it costs, what it takes to open and how
long, and the product rules the platform applies (``family_rules``: a family
it cannot carry in some markets, each with its source; ``countries`` ``*`` with
``except_countries`` where the platform lists only the markets it allows). The build validates
both tables (families must be product families, countries ISO3) and fails
naming the channel.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from recommender.errors import DataError

CURATED = Path(__file__).resolve().parent.parent / "curated" / "channels.json"
FAMILIES = Path(__file__).resolve().parent.parent / "curated" / "product_families.csv"
NULLABLE = ("excluded_countries", "prerequisites", "italy_programme", "source_url", "quote")


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    try:
        doc = json.loads(CURATED.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(CURATED, f"invalid JSON: {exc.msg}", row=exc.lineno) from None
    families = set(pd.read_csv(FAMILIES, dtype=str)["family"])
    rows, rules = [], []
    for ch in doc["channels"]:
        listed = [f for f in ch["families"].split(";") if f != "*"]
        unknown = sorted(set(listed) - families)
        if unknown:
            raise DataError(CURATED, f"channel {ch['channel_id']}: unknown product families {unknown}")
        for r in ch.get("family_rules", []):
            if r["family"] not in families:
                raise DataError(CURATED, f"channel {ch['channel_id']}: rule on unknown family {r['family']!r}")
            rules.append({"channel_id": ch["channel_id"], **{k: r[k] for k in ("family", "countries", "rule_it",
                                                                             "rule_en", "source_url", "quote",
                                                                             "as_of")},
                          "except_countries": r.get("except_countries") or None})
        rows.append({k: v for k, v in ch.items() if k != "family_rules"})
    df = pd.DataFrame(rows)
    for col in NULLABLE:
        df[col] = df[col].replace("", None)
    rules_df = pd.DataFrame(rules, columns=["channel_id", "family", "countries", "rule_it", "rule_en", "source_url",
                                            "quote", "as_of", "except_countries"])
    return {"channels": df, "channel_rules": rules_df}

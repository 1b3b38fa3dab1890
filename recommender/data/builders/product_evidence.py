"""Build ``product_destinations`` and ``product_rules``: what public sources say of
Italian products abroad, row by row with its source.

- ``curated/product_destinations_public.csv``: the foreign markets public
  reports name as the main destinations of an Italian product (national
  statistics as reported by industry associations, consortia, ICE, press
  quoting ISTAT), one row per (source, destination), with the year, the rank
  where the source orders them, the value or share as stated and a verbatim
  quote of at most 200 characters. ``product_family`` is an evidence key
  (a product family, or a finer list such as ``machine_tools``).
- ``curated/product_market_rules.csv``: import bans and heavy requirements by
  product family x market (alcohol and pork bans, state monopolies, animal
  health bans on Italian products, registrations that gate a first sale),
  each with its source URL, quote and as-of date.

Both are compiled by hand from public pages (never invented: a fact without a
verbatim quote from its source is not a row); the build checks every row
(known markets, quote length, URL, families) and fails naming the line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recommender.data.builders.trends import apply_trends
from recommender.errors import DataError

CURATED = Path(__file__).resolve().parent.parent / "curated"
DESTINATIONS = CURATED / "product_destinations_public.csv"
RULES = CURATED / "product_market_rules.csv"
FAMILIES = CURATED / "product_families.csv"
MAX_QUOTE = 200
RULE_KINDS = ("ban", "animal_health_ban", "monopoly", "requirement", "lifted")
RULE_GROUPS = ("*food*", "*all*")  # a rule on every food and drink, or on every good


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise DataError(path, f"malformed CSV: {exc}") from None


def _check_common(df: pd.DataFrame, path: Path, countries: set[str]) -> None:
    for line, r in enumerate(df.to_dict("records"), start=2):
        if not r["source_url"].startswith(("http://", "https://")):
            raise DataError(path, "source_url must be an http(s) address", row=line, column="source_url")
        if not r["quote"].strip() or len(r["quote"]) > MAX_QUOTE:
            raise DataError(path, f"quote must be 1-{MAX_QUOTE} characters (verbatim from the source)", row=line,
                            column="quote")
        if r["iso3"] not in countries:
            raise DataError(path, f"unknown country {r['iso3']!r}", row=line, column="iso3")


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    from recommender.data.builders.district_destinations import _reference
    countries = set(_reference(built, "countries")["iso3"])
    families = set(pd.read_csv(FAMILIES, dtype=str)["family"])
    # destinations outside the 79 ranked markets (e.g. the Cayman Islands for yachts) are kept, not ranked
    dest = _read(DESTINATIONS)
    iso_ok = {c for c in dest["iso3"] if len(c) == 3 and c.isupper()}
    _check_common(dest, DESTINATIONS, countries | iso_ok)
    dest["in_model"] = dest["iso3"].isin(countries)
    dest["rank"] = pd.to_numeric(dest["rank"].replace("", None)).astype("Int64")
    dest["year"] = dest["year"].astype(int)
    rules = _read(RULES)
    _check_common(rules, RULES, countries)
    for line, r in enumerate(rules.to_dict("records"), start=2):
        if r["product_family"] not in families and r["product_family"] not in RULE_GROUPS:
            raise DataError(RULES, f"unknown product family {r['product_family']!r}", row=line, column="product_family")
        if r["kind"] not in RULE_KINDS:
            raise DataError(RULES, f"kind must be one of {', '.join(RULE_KINDS)}", row=line, column="kind")
        if r["kind"] in ("requirement", "monopoly") and not (r["step_it"] and r["step_en"]):
            raise DataError(RULES, "a requirement names its step (step_it, step_en)", row=line, column="step_it")
        excepted = [f for f in r["except_families"].split(";") if f]
        if excepted and r["product_family"] not in RULE_GROUPS:
            raise DataError(RULES, "only a rule on a group (*food*, *all*) can leave families out", row=line,
                            column="except_families")
        unknown = sorted(set(excepted) - families)
        if unknown:
            raise DataError(RULES, f"unknown product families {unknown}", row=line, column="except_families")
    for df, cols in ((dest, ("hs_prefixes", "area", "value_or_share")),
                     (rules, ("hs_prefixes", "step_it", "step_en", "scope_note", "except_families"))):
        for col in cols:
            df[col] = df[col].replace("", None)
    dest = apply_trends(dest, "product", "product_family")
    return {"product_destinations": dest, "product_rules": rules}

"""Product evidence: the markets public sources name as destinations of the firm's
product (``product_destinations``), as one part of the market score.

For a product with evidence keys ``(k1, k2, ...)`` (most specific first, e.g.
``footwear_machinery``, ``textile_machinery``, ``machinery``) the first key
with any source speaks. Each source (one report or statistic, i.e. one URL)
gives every market it names a weight: 1 for its first-ranked destination,
down to 0.5 for its last; 0.75 where it does not rank them. The market's
value is the mean weight over the key's sources (0 where a source does not
name it), in [0, 1].

Only product-wide lists speak (``scope`` national or association: Italy's
exports of the product). Consortium and regional figures describe one area
(the Prosecco DOC, Tuscany): they stay in the table, with their citations, as
district-like evidence, and never enter the product part, so a district's own
figures cannot reach it through its consortium.

``exclude_urls`` drops sources, for leave-one-district-out validation: the
sources a held-out district's own figures come from never inform its ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from recommender.data import load_table, optional_text

UNRANKED_WEIGHT = 0.75
PRODUCT_WIDE = ("national", "association")


@dataclass(frozen=True)
class ProductCitation:
    key: str
    product: str          # as the source names it, in the reader's language at render time (it)
    product_en: str
    scope: str            # national | regional | consortium | association | district
    year: int
    rank: int | None
    value: str
    source_title: str
    source_url: str
    quote: str
    trend: str = ""       # what the quote says of the market: "down" (a fall), "up", "" (none read)
    trend_said: str = ""  # the quote's words that say it


@lru_cache(maxsize=4)
def destinations(data_dir=None) -> pd.DataFrame:
    d = load_table("product_destinations", data_dir)
    return d[d["in_model"] & d["scope"].isin(PRODUCT_WIDE)].copy()


def source_weights(rows: pd.DataFrame) -> pd.Series:
    """Weight of each row within its source: 1 (first) .. 0.5 (last), UNRANKED_WEIGHT if unranked."""
    n = rows.groupby("source_url")["rank"].transform("max")
    w = 1.0 - 0.5 * (rows["rank"].astype(float) - 1) / (n.astype(float) - 1).where(n > 1, 1.0)
    return w.where(rows["rank"].notna(), UNRANKED_WEIGHT).astype(float)


def product_evidence(keys: tuple[str, ...], exclude_urls: frozenset[str] = frozenset(),
                     data_dir=None) -> tuple[pd.Series, dict[str, list[ProductCitation]], str | None]:
    """(value per iso3 in [0, 1], citations per iso3 best first, the key that spoke or None)."""
    table = destinations(data_dir)
    if exclude_urls:
        table = table[~table["source_url"].isin(exclude_urls)]
    for key in keys:
        rows = table[table["product_family"] == key]
        if rows.empty:
            continue
        rows = rows.assign(weight=source_weights(rows))
        n_sources = rows["source_url"].nunique()
        value = (rows.groupby(["iso3", "source_url"])["weight"].max().groupby(level=0).sum() / n_sources).clip(0, 1)
        value.attrs["sources"] = int(n_sources)
        cites: dict[str, list[ProductCitation]] = {}
        for r in rows.sort_values(["year", "rank"], ascending=[False, True]).to_dict("records"):
            cites.setdefault(r["iso3"], []).append(ProductCitation(
                key, r["product_it"], r["product_en"], r["scope"], int(r["year"]),
                None if pd.isna(r["rank"]) else int(r["rank"]),
                optional_text(r["value_or_share"]), r["source_title"],
                r["source_url"], r["quote"], optional_text(r.get("trend")), optional_text(r.get("trend_said"))))
        return value, cites, key
    empty = pd.Series(dtype=float)
    empty.attrs["sources"] = 0
    return empty, {}, None


class ProductEvidenceIndex:
    """:func:`product_evidence` for any key list, from the results of the families with sources,
    computed once (~2 ms each through pandas; a few dozen families): the first key with any
    source speaks, so a key list's evidence is its first such key's own."""

    def __init__(self, data_dir=None):
        self.data_dir = data_dir
        self._by_key = {key: product_evidence((key,), data_dir=data_dir)
                        for key in destinations(data_dir)["product_family"].dropna().unique().tolist()}

    def evidence(self, keys: tuple[str, ...]) -> tuple[pd.Series, dict[str, list[ProductCitation]], str | None]:
        """``product_evidence(keys)`` (shared results: read them, do not change them)."""
        for key in keys:
            if key in self._by_key:
                return self._by_key[key]
        return product_evidence((), data_dir=self.data_dir)  # no key has a source: the empty evidence

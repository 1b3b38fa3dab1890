"""District evidence: which foreign markets public reports name for a district.

Read from the derived table ``district_destinations`` (each row with its
source, URL, year and quote). For a firm:

- its own district's rows (the district it gave, or, without one, reports on
  a district of its province and ATECO division) make a market's evidence 1
  and are shown with their citation;
- otherwise the evidence is the share of the *sector's other districts* whose
  reports name the market (what similar districts found), in [0, 1].

``exclude`` drops reported districts entirely, for leave-one-district-out
validation: a district's own rows never inform its own ranking there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from recommender.data import load_table


@dataclass(frozen=True)
class Citation:
    district: str
    year: int
    rank: int | None
    value: str
    source_title: str
    source_url: str
    quote: str
    stand_in: str  # "" (district figure) | national | regional | province_total


@lru_cache(maxsize=4)
def destinations(data_dir=None) -> pd.DataFrame:
    d = load_table("district_destinations", data_dir)
    d = d[d["in_model"]].copy()
    d["district_slugs"] = d["district_slugs"].fillna("")
    d["stand_in"] = d["stand_in"].fillna("")
    return d


def own_rows(table: pd.DataFrame, division: str, province: str | None, district_slug: str | None) -> pd.DataFrame:
    """Rows reporting on the firm's own district."""
    same_div = table["ateco_division"] == division
    if district_slug:
        mine = table["district_slugs"].str.split(";").map(lambda s: district_slug in s)
        return table[same_div & mine]
    if province:
        return table[same_div & table["provinces"].str.split(";").map(lambda s: province in s)]
    return table.iloc[0:0]


class OwnRowIndex:
    """:func:`own_rows`' row ids for every (division, district) and (division,
    province) at once: one pass over the table instead of one filter per firm."""

    def __init__(self, table: pd.DataFrame):
        self.by_district: dict[tuple[str, str], set] = {}
        self.by_province: dict[tuple[str, str], set] = {}
        for i, division, slugs, provinces in zip(table.index, table["ateco_division"], table["district_slugs"],
                                                  table["provinces"]):
            for slug in str(slugs).split(";"):
                self.by_district.setdefault((division, slug), set()).add(i)
            for province in str(provinces).split(";"):
                self.by_province.setdefault((division, province), set()).add(i)

    def ids(self, division: str, province: str | None, district_slug: str | None) -> frozenset:
        if district_slug:
            return frozenset(self.by_district.get((division, district_slug), ()))
        if province:
            return frozenset(self.by_province.get((division, province), ()))
        return frozenset()


def evidence(model_sector: str, division: str, province: str | None = None, district_slug: str | None = None,
             exclude: frozenset[str] = frozenset(), data_dir=None) -> tuple[pd.Series, dict[str, list[Citation]]]:
    """(evidence value per iso3, citations per iso3 for the firm's own district)."""
    table = destinations(data_dir)
    if exclude:
        table = table[~table["district_name"].isin(exclude)]
    return evidence_given(table, model_sector, own_rows(table, division, province, district_slug))


def evidence_given(table: pd.DataFrame, model_sector: str, mine: pd.DataFrame):
    """:func:`evidence` once the firm's own rows (``mine``, a subset of ``table``) are known."""
    others = table[(table["model_sector"] == model_sector) & ~table.index.isin(mine.index)]
    n_others = others["district_name"].nunique()
    value = (others.groupby("iso3")["district_name"].nunique() / n_others) if n_others else pd.Series(dtype=float)
    value = value.astype(float)
    value.attrs["other_districts"] = int(n_others)  # how many districts the shares are out of
    for iso3 in mine["iso3"].unique():
        value.loc[iso3] = 1.0
    cites: dict[str, list[Citation]] = {}
    for r in mine.sort_values(["year", "rank"], ascending=[False, True]).to_dict("records"):
        cites.setdefault(r["iso3"], []).append(Citation(
            r["district_name"], int(r["year"]), None if pd.isna(r["rank"]) else int(r["rank"]),
            r["value_or_share"] if isinstance(r["value_or_share"], str) else "", r["source_title"], r["source_url"],
            r["quote"] if isinstance(r["quote"], str) else "", r["stand_in"]))
    return value, cites

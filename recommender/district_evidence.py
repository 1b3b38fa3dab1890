"""District evidence: which foreign markets public reports name for a district.

Read from the derived table ``district_destinations`` (each row with its
source, URL, year and quote). For a firm:

- its own district's rows (the district it gave, or, without one, reports on
  a district of its province and ATECO division) make a market's evidence 1
  and are shown with their citation, when they report on the firm's product
  family (or on the division as a whole: a row whose family is the division's
  generic one, e.g. "other food" for a food district);
- otherwise the evidence is the share of the *other districts making the same
  product family* whose reports name the market (what similar districts
  found), in [0, 1]; without such districts, of the sector's other districts.

``exclude`` drops reported districts entirely, for leave-one-district-out
validation: a district's own rows never inform its own ranking there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from recommender.data import load_table, optional_text


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
    trend: str = ""       # what the quote says of the market: "down" (a fall), "up", "" (none read)
    trend_said: str = ""  # the quote's words that say it


@lru_cache(maxsize=4)
def destinations(data_dir=None) -> pd.DataFrame:
    d = load_table("district_destinations", data_dir)
    d = d[d["in_model"]].copy()
    d["district_slugs"] = d["district_slugs"].fillna("")
    d["stand_in"] = d["stand_in"].fillna("")
    return d


def own_rows(table: pd.DataFrame, division: str, province: str | None, district_slug: str | None,
             family: str | None = None) -> pd.DataFrame:
    """Rows reporting on the firm's own district (and product family, when given)."""
    if family is None:
        same_div = table["ateco_division"] == division
    else:  # the product family wherever it is filed (01.21 farm wineries and 11.02 wineries alike)
        same_div = (table["product_family"] == family) | ((table["ateco_division"] == division)
                                                          & table["product_family"].isin(generic_families()))
    if district_slug:
        mine = table["district_slugs"].str.split(";").map(lambda s: district_slug in s)
        return table[same_div & mine]
    if province:
        return table[same_div & table["provinces"].str.split(";").map(lambda s: province in s)]
    return table.iloc[0:0]


@lru_cache(maxsize=1)
def generic_families() -> frozenset[str]:
    """The families curated for whole ATECO divisions (other_food, machinery...): a district row
    on one of them speaks for the whole division."""
    from recommender.data.builders.products import CLASSES
    curated = pd.read_csv(CLASSES, dtype=str, keep_default_na=False)
    return frozenset(curated.loc[curated["code"].str.len() == 2, "family"])


class OwnRowIndex:
    """:func:`own_rows`' row ids for every district and province at once: one pass over the table
    instead of one filter per firm."""

    def __init__(self, table: pd.DataFrame):
        self.by_district: dict[str, set] = {}
        self.by_province: dict[str, set] = {}
        self.family = dict(zip(table.index, table["product_family"]))
        self.division = dict(zip(table.index, table["ateco_division"]))
        for i, slugs, provinces in zip(table.index, table["district_slugs"], table["provinces"]):
            for slug in str(slugs).split(";"):
                self.by_district.setdefault(slug, set()).add(i)
            for province in str(provinces).split(";"):
                self.by_province.setdefault(province, set()).add(i)

    def ids(self, division: str, province: str | None, district_slug: str | None,
            family: str | None = None) -> frozenset:
        """Rows on the firm's district (else province) that report on its product family, or on its
        whole division (a row on the division's generic family); without a family, on its division."""
        if district_slug:
            found = self.by_district.get(district_slug, ())
        elif province:
            found = self.by_province.get(province, ())
        else:
            found = ()
        generic = generic_families()
        if family is None:
            return frozenset(i for i in found if self.division[i] == division)
        return frozenset(i for i in found if self.family[i] == family
                         or (self.division[i] == division and self.family[i] in generic))


def evidence(model_sector: str, division: str, province: str | None = None, district_slug: str | None = None,
             exclude: frozenset[str] = frozenset(), data_dir=None,
             family: str | None = None) -> tuple[pd.Series, dict[str, list[Citation]]]:
    """(evidence value per iso3, citations per iso3 for the firm's own district)."""
    table = destinations(data_dir)
    if exclude:
        table = table[~table["district_name"].isin(exclude)]
    return evidence_given(table, model_sector, own_rows(table, division, province, district_slug, family), family)


def evidence_given(table: pd.DataFrame, model_sector: str, mine: pd.DataFrame, family: str | None = None):
    """:func:`evidence` once the firm's own rows (``mine``, a subset of ``table``) are known."""
    rest = table[~table.index.isin(mine.index)]
    others = rest[rest["product_family"] == family] if family is not None else rest.iloc[0:0]
    scope = "family"
    if others["district_name"].nunique() == 0:  # no other district makes the product: the sector's districts
        others, scope = rest[rest["model_sector"] == model_sector], "sector"
    n_others = others["district_name"].nunique()
    value = (others.groupby("iso3")["district_name"].nunique() / n_others) if n_others else pd.Series(dtype=float)
    value = value.astype(float)
    value.attrs["other_districts"] = int(n_others)  # how many districts the shares are out of
    value.attrs["scope"] = scope                     # "family": districts of the same product; "sector"
    for iso3 in mine["iso3"].unique():
        value.loc[iso3] = 1.0
    cites: dict[str, list[Citation]] = {}
    for r in mine.sort_values(["year", "rank"], ascending=[False, True]).to_dict("records"):
        cites.setdefault(r["iso3"], []).append(Citation(
            r["district_name"], int(r["year"]), None if pd.isna(r["rank"]) else int(r["rank"]),
            optional_text(r["value_or_share"]), r["source_title"], r["source_url"],
            optional_text(r["quote"]), r["stand_in"], optional_text(r.get("trend")),
            optional_text(r.get("trend_said"))))
    return value, cites

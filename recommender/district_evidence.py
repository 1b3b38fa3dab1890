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


class EvidenceIndex:
    """:func:`evidence_given` for the whole table at once, answered from plain Python structures.

    The recommender asks for the evidence of a (product, own rows) key the first time a firm of
    that product and place comes; through pandas (filters, a group-by, records, a sort) that
    cost 3-15 ms. Here the table's rows are read once (their districts, markets, families,
    sectors and citations), and a key's evidence is a pass over the rows of its family or
    sector: the same shares (the same integer counts and division), the same order of the
    value's entries and of the citations (tests/test_engine_cold_keys.py compares the two for
    every district and province).

    Only for a table whose rows all name their district and market (:meth:`of` gives None
    otherwise, and :func:`evidence_given` answers): how pandas counts missing names is not
    worth copying.
    """

    def __init__(self, table: pd.DataFrame):
        ids = table.index.tolist()
        self.district = dict(zip(ids, table["district_name"].tolist()))
        self.iso3 = dict(zip(ids, table["iso3"].tolist()))
        self.by_family: dict[str, list] = {}
        self.by_sector: dict[str, list] = {}
        for i, family, sector in zip(ids, table["product_family"].tolist(), table["model_sector"].tolist()):
            if not pd.isna(family):
                self.by_family.setdefault(family, []).append(i)
            if not pd.isna(sector):
                self.by_sector.setdefault(sector, []).append(i)
        # evidence_given's citation order: newest year first, then rank (unranked last), then row order
        self.sort_key = {i: (-int(year), pd.isna(rank), 0 if pd.isna(rank) else int(rank))
                         for i, year, rank in zip(ids, table["year"].tolist(), table["rank"].tolist())}
        self.citation = {i: _citation(r) for i, r in zip(ids, table.to_dict("records"))}

    @classmethod
    def of(cls, table: pd.DataFrame) -> "EvidenceIndex | None":
        """The index of ``table``, or None where a row lacks its district or market."""
        if table["district_name"].isna().any() or table["iso3"].isna().any() or not table.index.is_unique:
            return None
        return cls(table)

    def given(self, model_sector: str, own: frozenset, family: str | None = None):
        """``evidence_given(table, model_sector, table.loc[sorted(own)], family)``: (value per iso3
        as a float Series with the same entries in the same order and attrs, citations per iso3)."""
        scope = "family"
        districts = self._districts_by_market(self.by_family.get(family, ()) if family is not None else (), own)
        if not districts:  # no other district makes the product: the sector's districts
            districts, scope = self._districts_by_market(self.by_sector.get(model_sector, ()), own), "sector"
        n_others = len(set().union(*districts.values()))
        shares = {iso3: len(names) / n_others for iso3, names in sorted(districts.items())}
        mine = sorted(own)
        for i in mine:  # the firm's own district names the market: 1 (appended where new, as .loc does)
            shares[self.iso3[i]] = 1.0
        value = pd.Series(list(shares.values()), index=list(shares), dtype=float)
        if n_others:  # named as the group-by's result is (the empty one is not)
            value.index.name, value.name = "iso3", "district_name"
        value.attrs["other_districts"] = n_others
        value.attrs["scope"] = scope
        cites: dict[str, list[Citation]] = {}
        for i in sorted(mine, key=self.sort_key.__getitem__):  # a stable sort, as pandas' multi-column one
            cites.setdefault(self.iso3[i], []).append(self.citation[i])
        return value, cites

    def _districts_by_market(self, rows, own: frozenset) -> dict[str, set]:
        """iso3 -> the districts whose rows (of ``rows``, the firm's own left out) name it."""
        out: dict[str, set] = {}
        for i in rows:
            if i not in own:
                out.setdefault(self.iso3[i], set()).add(self.district[i])
        return out


def _citation(r: dict) -> Citation:
    """A district row's citation."""
    return Citation(
        r["district_name"], int(r["year"]), None if pd.isna(r["rank"]) else int(r["rank"]),
        optional_text(r["value_or_share"]), r["source_title"], r["source_url"],
        optional_text(r["quote"]), r["stand_in"], optional_text(r.get("trend")),
        optional_text(r.get("trend_said")))


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
        cites.setdefault(r["iso3"], []).append(_citation(r))
    return value, cites

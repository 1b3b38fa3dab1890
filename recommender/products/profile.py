"""The firm's product: which row of ``product_profiles`` speaks for its ATECO code.

Resolution, most specific first: the sub-category row when the code typed
reaches it (32.50.5 in ATECO 2022, 32.50.4 in 2025: eyewear), else the class
row of the code's edition. A class that holds two products (32.50: medical
devices or eyewear) takes the one of the firm's district (its product family,
``curated/district_products.csv``) when the district, or the only district of
the firm's province with a matching family, says which. A division alone
("C32", "14") has no class: the district's product stands in where the
district says which in the same way (its family, where narrower than the
division, else the class its public reports are on; among several, the one
the reports are on, else the largest by HS codes: a firm of the Prosecco
district giving "11" makes wine, not spirits), else the division's largest
class; either is flagged ``from_division`` so the page can ask for the class.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import pandas as pd

from recommender.data import load_table
from recommender.district_evidence import destinations, own_rows

CURATED = Path(__file__).resolve().parent.parent / "data" / "curated"
DEMAND_OF_END_USE = {"consumption": "household", "intermediate": "intermediate", "capital": "investment"}


@dataclass(frozen=True)
class ProductProfile:
    ateco_class: str          # "11.02"
    edition: str              # "2022" (also ATECO 2007) | "2025"
    subcategory: str | None   # "32.50.5" where a sub-category decides the product
    title_it: str             # ISTAT title of the class (or sub-category)
    isic4: str
    isic4_title_en: str
    family: str               # product family: wine, pork_meat, tiles_building, eyewear...
    family_name_it: str
    family_name_en: str
    family_group: str         # food | fashion | home | building | industrial | consumer | health | capital
    evidence_keys: tuple[str, ...]  # product lists that speak for it, best first
    hs_basis: str             # class | isic_class | division
    hs6_count: int
    end_use: str | None       # consumption | intermediate | capital (largest BEC share)
    end_use_shares: tuple[tuple[str, float], ...]
    default_customer: str     # b2b | b2c | both, from the end use
    icio_sector: str          # finest OECD ICIO 2022 sector
    model_sector: str         # harmonised sector of the forecast
    from_division: bool = False  # only a division was given: a stand-in class
    chosen_by: str = "class"  # class | subcategory | district | division

    def __hash__(self) -> int:
        """The hash of the fields (as the dataclass's own), worked out once: a dozen caches of the
        recommender key on the product, and hashing its 20 fields each time was a tenth of a request."""
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict:
        # string hashes differ between processes: a pickled copy works its own out again
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    @property
    def demand_mix(self) -> dict[str, float]:
        """Household / intermediate / investment weights from the end-use shares."""
        return {DEMAND_OF_END_USE[u]: v for u, v in self.end_use_shares if v > 0}

    def to_dict(self) -> dict:
        return {"ateco_class": self.ateco_class, "edition": self.edition, "subcategory": self.subcategory,
                "title_it": self.title_it, "isic4": self.isic4, "isic4_title_en": self.isic4_title_en,
                "family": self.family, "family_name_it": self.family_name_it, "family_name_en": self.family_name_en,
                "family_group": self.family_group,
                "evidence_keys": list(self.evidence_keys), "hs_basis": self.hs_basis, "hs6_count": self.hs6_count,
                "end_use": self.end_use, "end_use_shares": dict(self.end_use_shares),
                "default_customer": self.default_customer, "icio_sector": self.icio_sector,
                "model_sector": self.model_sector, "from_division": self.from_division, "chosen_by": self.chosen_by}


def _text(v) -> str | None:
    """A table cell's text, None where it is empty or missing (NaN)."""
    return v if isinstance(v, str) and v else None


def _row_to_profile(r: dict, **extra) -> ProductProfile:
    return ProductProfile(
        ateco_class=r["ateco_class"], edition=r["edition"], subcategory=_text(r["subcategory"]), title_it=r["title_it"],
        isic4=r["isic4"], isic4_title_en=r["isic4_title_en"], family=r["family"], family_name_it=r["family_name_it"],
        family_name_en=r["family_name_en"], family_group=r["family_group"], evidence_keys=tuple(r["evidence_keys"].split(";")),
        hs_basis=r["hs_basis"], hs6_count=int(r["hs6_count"]), end_use=_text(r["end_use"]),
        end_use_shares=(("consumption", float(r["share_consumption"])),
                        ("intermediate", float(r["share_intermediate"])), ("capital", float(r["share_capital"]))),
        default_customer=r["default_customer"], icio_sector=r["icio_sector"], model_sector=r["model_sector"],
        **extra)


@lru_cache(maxsize=4)
def _profiles(data_dir=None) -> dict[tuple[str, str, str | None], dict]:
    t = load_table("product_profiles", data_dir)
    return {(r["edition"], r["ateco_class"], r["subcategory"] if isinstance(r["subcategory"], str) else None): r
            for r in t.to_dict("records")}


@lru_cache(maxsize=1)
def district_families() -> dict[str, str]:
    """District slug -> its product family."""
    d = pd.read_csv(CURATED / "district_products.csv", dtype=str)
    return dict(zip(d["slug"], d["product_family"]))


def _edition(ed: str) -> str:
    return "2025" if ed == "2025" else "2022"


@lru_cache(maxsize=65536)
def product_for(ateco_code: str, edition: str, district_slug: str | None = None,
                district_slugs_of_province: tuple[str, ...] = (), data_dir=None) -> ProductProfile | None:
    """The product of a firm from its most specific ATECO code (``14.13.1``, ``32.50``, ``11``) and edition;
    None outside divisions 01-33 (services). See the module docstring for the order."""
    profiles = _profiles(data_dir)
    ed = _edition(edition)
    code = str(ateco_code)
    if len(code) < 5:  # a division: its class with the most HS codes stands in (of the district's product)
        rows = {(c, s): r for (e, c, s), r in profiles.items() if e == ed and c[:2] == code[:2]}  # with subs
        classes = [r for (_, s), r in rows.items() if s is None]
        if not classes:
            return None
        families = {r["family"] for r in rows.values()}
        wanted = _district_family(district_slug, district_slugs_of_province, families)
        reported = _reported_codes(district_slug or district_slugs_of_province, code[:2], data_dir)
        if not district_slug and len(reported) > 1:  # the province's districts disagree
            reported = {}
        # the district's product family, else the class its reports are on (Vigevano: footwear, but
        # its reports in division 28 are on 28.94 shoe machinery); the reported class, else the largest
        narrower = families != {wanted}  # machinery is all of 28: says nothing
        of_district = ([r for r in rows.values() if r["family"] == wanted and narrower]
                       or [r for r in rows.values() if reported.get(_code(r))])
        if of_district:
            best = max(of_district, key=lambda r: (reported.get(_code(r), 0), int(r["hs6_count"]), _code(r)))
            return _row_to_profile(best, from_division=True, chosen_by="district")
        best = max(classes, key=lambda r: (int(r["hs6_count"]), r["ateco_class"]))
        return _row_to_profile(best, from_division=True, chosen_by="division")
    cls = code[:5]
    base = profiles.get((ed, cls, None))
    if base is None:
        return None
    subs = {s: r for (e, c, s), r in profiles.items() if e == ed and c == cls and s is not None}
    for s, r in subs.items():
        if code.startswith(s):
            return _row_to_profile(r, chosen_by="subcategory")
    if subs:  # the class holds several products: the district says which
        wanted = _district_family(district_slug, district_slugs_of_province, {r["family"] for r in subs.values()})
        for r in subs.values():
            if r["family"] == wanted:
                return _row_to_profile(r, chosen_by="district")
    return _row_to_profile(base)


def _code(r: dict) -> str:
    """A product row's most specific ATECO code (its sub-category, else its class)."""
    return _text(r["subcategory"]) or r["ateco_class"]


@lru_cache(maxsize=256)
def _reported_codes(slugs: str | tuple[str, ...], division: str, data_dir=None) -> dict[str, int]:
    """ATECO code -> rows of the public district reports (``district_destinations``, as the ranking
    reads them) on the districts ``slugs`` in ``division``."""
    table = destinations(data_dir)
    ids = {i for slug in ((slugs,) if isinstance(slugs, str) else slugs)
           for i in own_rows(table, division, None, slug).index}
    return table.loc[sorted(ids), "ateco_class"].value_counts().to_dict()


def _district_family(district_slug: str | None, district_slugs_of_province: tuple[str, ...],
                     offered: set[str]) -> str | None:
    """The product family the firm's district makes (``curated/district_products.csv``), or, without
    a district, the one family among ``offered`` that the districts of its province make; None
    where neither says."""
    families = district_families()
    if district_slug:
        return families.get(district_slug)
    found = {families.get(s) for s in district_slugs_of_province} & offered
    return found.pop() if len(found) == 1 else None

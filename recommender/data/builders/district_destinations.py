"""Build ``district_destinations``: the foreign destinations public reports name
for Italian industrial districts, one row per (report, destination).

From ``districts/district_destinations_public.csv`` (press releases and
reports quoting ISTAT / Intesa Sanpaolo / Chamber figures; every row carries
its source, URL, year and a short verbatim quote, kept so the recommender can
show the citation). Re-keyed to the project's reference tables:

- ``district_slugs``: the districts of ``districts`` that share a province and
  an ATECO division with the reported district (empty if none: the row still
  counts as evidence for its provinces and division);
- ``model_sector``: the division's model sector;
- ``stand_in``: ``national`` / ``regional`` / ``province_total`` when the
  product is tagged ``[dato nazionale ...]``, ``[dato regionale ...]`` or
  ``[export totale provincia ...]``: those are not district figures.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from recommender.data.builders.trends import apply_trends
from recommender.data.raw import read_raw_csv
from recommender.errors import DataError

RAW = "districts/district_destinations_public.csv"
CURATED = Path(__file__).resolve().parent.parent / "curated"
# more districts, or newer years, compiled for this project from public pages (same columns as RAW)
EXTRA = CURATED / "district_destinations_extra.csv"
# each reported (district, division) unit's product: its ATECO class and product family
UNIT_PRODUCTS = CURATED / "district_unit_products.csv"
STAND_INS = (("dato nazionale", "national"), ("dato regionale", "regional"), ("export totale provincia", "province_total"))


def _reference(built: dict, name: str) -> pd.DataFrame:
    if name in built:
        return built[name]
    from recommender.data import load_table
    return load_table(name)


def stand_in_kind(product: str) -> str:
    """'' for a district figure, else which stand-in the product's tag says."""
    tags = " ".join(re.findall(r"\[([^\]]*)\]", str(product))).lower()
    return next((kind for marker, kind in STAND_INS if marker in tags), "")


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    raw = read_raw_csv(raw_dir, RAW, dtype=str, keep_default_na=False).assign(origin="shared")
    if EXTRA.exists():
        extra = pd.read_csv(EXTRA, dtype=str, keep_default_na=False).assign(origin="curated")
        raw = pd.concat([raw, extra], ignore_index=True)
    units = pd.read_csv(UNIT_PRODUCTS, dtype=str, keep_default_na=False)
    unit_of = {(r["district_name"], r["ateco_division"].zfill(2)): r for r in units.to_dict("records")}
    need = ["district_name", "province_siglas", "main_product", "ateco_division", "year", "rank",
            "destination_country_iso3", "value_or_share", "source_title", "source_url", "quote"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataError(raw_dir / RAW, f"missing columns {missing}", row=1)
    sectors = _reference(built, "sectors").set_index("ateco_division")["model_sector"]
    countries = set(_reference(built, "countries")["iso3"])
    districts = _reference(built, "districts")
    rows = []
    for line, r in enumerate(raw.to_dict("records"), start=2):
        div = r["ateco_division"].strip().zfill(2)
        if div not in sectors.index or not isinstance(sectors[div], str):
            raise DataError(raw_dir / RAW, f"ATECO division {div!r} is not a modelled goods division", row=line,
                            column="ateco_division")
        provinces = [p.strip() for p in r["province_siglas"].split(";") if p.strip()]
        slugs = [d["slug"] for d in districts.to_dict("records")
                 if set(d["provinces"].split(";")) & set(provinces) and div in d["ateco_divisions"].split(";")]
        iso3 = r["destination_country_iso3"].strip().upper()
        unit = unit_of.get((r["district_name"].strip(), div))
        if unit is None:
            raise DataError(UNIT_PRODUCTS, f"no product (ATECO class, family) for {r['district_name']!r} division {div}")
        rows.append({
            "district_name": r["district_name"].strip(),
            "district_slugs": ";".join(sorted(slugs)),
            "provinces": ";".join(provinces),
            "ateco_division": div,
            "model_sector": sectors[div],
            "ateco_class": unit["ateco_class"],
            "product_family": unit["product_family"],
            "origin": r["origin"],
            "product": r["main_product"].strip(),
            "stand_in": stand_in_kind(r["main_product"]),
            "year": int(r["year"]),
            "rank": int(r["rank"]) if r["rank"].strip() else None,
            "iso3": iso3,
            "in_model": iso3 in countries,  # destinations outside the 79 ICIO markets cannot be ranked
            "value_or_share": r["value_or_share"].strip(),
            "source_title": r["source_title"].strip(),
            "source_url": r["source_url"].strip(),
            "quote": r["quote"].strip(),
        })
    out = apply_trends(pd.DataFrame(rows), "district", "district_name")
    out["rank"] = out["rank"].astype("Int64")
    return {"district_destinations": out}

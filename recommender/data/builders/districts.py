"""Build ``districts``: the 20 districts of *Distretti sul web* (2013) from the
raw programme file, plus curated well-known Italian industrial districts.

Every province must exist in the ``provinces`` table and every ATECO division
in ``sectors``; the district's region must be the region of one of its
provinces. A bad row fails the build naming the file, line and column.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from recommender.data.raw import read_raw_csv
from recommender.errors import DataError

CURATED = Path(__file__).resolve().parent.parent / "curated" / "districts_curated.csv"
RAW = "districts/distretti_sul_web_2013.csv"
# English specialisation of the 20 programme districts (the raw file is Italian only)
DSW_SPECIALISATION_EN = {
    "articoli casalinghi": "household articles",
    "vini spumanti e macchine enologiche": "sparkling wines and winemaking machinery",
    "meccanica e lavorazione metalli": "mechanical engineering and metalworking",
    "abbigliamento": "apparel",
    "prodotti ittici e acquacoltura": "seafood and aquaculture",
    "componentistica ed elettrodomestici": "components and household appliances",
    "sedie e mobili in legno": "chairs and wooden furniture",
    "mobili imbottiti": "upholstered furniture",
    "piastrelle in ceramica": "ceramic tiles",
    "concia delle pelli": "leather tanning",
    "gioielleria e oreficeria": "jewellery and goldsmithing",
    "calzature": "footwear",
    "maglieria in cashmere": "cashmere knitwear",
    "ceramica sanitaria e stoviglie": "sanitary ceramics and tableware",
    "tessile e abbigliamento": "textiles and apparel",
    "pasta e conserve di pomodoro": "pasta and tomato preserves",
    "abbigliamento e calzature": "apparel and footwear",
    "prodotti in sughero": "cork products",
}


def slugify(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")


def _check(df: pd.DataFrame, path, provinces: pd.DataFrame, sectors: pd.DataFrame, line_offset: int):
    """Raise DataError at the first row naming an unknown province or division."""
    region_of = provinces.set_index("sigla")["region"]
    divisions = set(sectors["ateco_division"])
    for i, rec in enumerate(df.to_dict("records")):
        line = i + line_offset
        for sigla in rec["provinces"].split(";"):
            if sigla not in region_of.index:
                raise DataError(path, f"unknown province sigla {sigla!r}", row=line, column="provinces")
        if rec["region"] not in {region_of[s] for s in rec["provinces"].split(";")}:
            raise DataError(path, f"region {rec['region']!r} is not the region of any of {rec['provinces']}",
                            row=line, column="region")
        for div in rec["ateco_divisions"].split(";"):
            if div not in divisions:
                raise DataError(path, f"unknown ATECO division {div!r}", row=line, column="ateco_divisions")


def _reference(built: dict, name: str) -> pd.DataFrame:
    """A table from this build run, else the committed one (``--only districts``)."""
    if name in built:
        return built[name]
    from recommender.data import load_table
    return load_table(name)


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    provinces = _reference(built, "provinces")
    sectors = _reference(built, "sectors")

    dsw = read_raw_csv(raw_dir, RAW, dtype=str, keep_default_na=False)
    required = ["district_it", "provinces", "region", "specialisation_it", "ateco_divisions"]
    missing = [c for c in required if c not in dsw.columns]
    if missing:
        raise DataError(raw_dir / RAW, f"missing columns {missing}")
    _check(dsw, raw_dir / RAW, provinces, sectors, line_offset=2)
    dsw_rows = pd.DataFrame({
        "slug": dsw["district_it"].map(slugify), "name": dsw["district_it"], "provinces": dsw["provinces"],
        "region": dsw["region"], "specialisation_it": dsw["specialisation_it"],
        "specialisation_en": dsw["specialisation_it"].map(DSW_SPECIALISATION_EN),
        "ateco_divisions": dsw["ateco_divisions"], "origin": "dsw2013",
    })
    unknown = dsw_rows["specialisation_en"].isna()
    if unknown.any():
        line = int(unknown.to_numpy().nonzero()[0][0]) + 2
        raise DataError(raw_dir / RAW, "specialisation without an English translation", row=line,
                        column="specialisation_it")

    cur = pd.read_csv(CURATED, dtype=str, keep_default_na=False)
    _check(cur, CURATED, provinces, sectors, line_offset=2)
    cur["origin"] = "curated"
    # a curated district that duplicates a programme one (same slug or name, or
    # the same specialisation in the same provinces) is dropped: the 2013 row
    # is the source of record
    dsw_keys = set(zip(dsw_rows["provinces"], dsw_rows["ateco_divisions"]))
    dsw_names = set(dsw_rows["slug"]) | set(dsw_rows["name"].map(slugify))
    duplicate = [(p, a) in dsw_keys or slug in dsw_names or slugify(name) in dsw_names
                 for p, a, slug, name in zip(cur["provinces"], cur["ateco_divisions"], cur["slug"], cur["name"])]
    cur = cur[[not d for d in duplicate]]
    return {"districts": pd.concat([dsw_rows, cur], ignore_index=True)}

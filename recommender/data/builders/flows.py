"""Build ``flows`` (bilateral sector flows by demand type) and ``esales``.

- OECD ICIO 2022: intermediate flows only, 80 countries, foreign pairs only.
- WIOD 2013 release, 1995-2011: intermediate and final demand by destination.
  Demand types: ``intermediate`` = intermediate use; ``household`` = household
  final consumption; ``investment`` = gross fixed capital formation;
  ``other_final`` = government + NPISH + inventories.
Both are re-keyed to the 15 model sectors (recommender.sectors); WIOD services
(c17-c35) are not modelled and dropped. WIOD's ``ROM`` becomes ``ROU``; its
``RoW`` node becomes ``ROW`` with partner_type ``rest_of_world``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from recommender import columns as C
from recommender.data.raw import read_raw_csv
from recommender.sectors import ICIO_TO_MODEL, WIOD_TO_MODEL

WIOD_CODE_FIXES = {"ROM": "ROU", "RoW": "ROW"}
WIOD_DEMAND = {
    C.INTERMEDIATE: ["inter_musd"],
    C.HOUSEHOLD: ["fd_hh_musd"],
    C.INVESTMENT: ["fd_gfcf_musd"],
    C.OTHER_FINAL: ["fd_gov_musd", "fd_npish_musd", "fd_inv_musd"],
}
ESALES_MEANING = {
    "E_AESELL": "enterprises with e-commerce sales of at least 1% of turnover",
    "E_ESELL": "enterprises with e-commerce sales (any channel)",
    "E_AWSELL": "enterprises with web sales",
    "E_AXSELL": "enterprises with EDI-type sales",
    "E_AWS_B2BG": "web sales to businesses and government (B2B/B2G)",
    "E_AWS_CMP": "web sales via e-commerce marketplaces",
    "E_AWS_COWN": "web sales via own website or apps",
    "E_AESEU": "e-sales to other EU countries",
    "E_AESEUWW": "e-sales to other EU countries and rest of the world",
    "E_AESWW": "e-sales to the rest of the world",
    "E_AESBHM": "e-sales to customers in own country",
}


class _Icio(pa.DataFrameModel):
    sector: Series[str] = pa.Field(isin=list(ICIO_TO_MODEL) + ["D", "E", "F", "G", "H49", "H50", "H51", "H52", "H53", "I",
                                                               "J58T60", "J61", "J62_63", "K", "L", "M", "N", "O", "P", "Q",
                                                               "R", "S", "T"])
    exporter: Series[str] = pa.Field(str_matches=r"^[A-Z0-9]{3}$")
    importer: Series[str] = pa.Field(str_matches=r"^[A-Z0-9]{3}$")
    interm_flow_musd_2022: Series[float] = pa.Field(ge=0)

    class Config:
        coerce = True


class _Wiod(pa.DataFrameModel):
    year: Series[int] = pa.Field(ge=1995, le=2011)
    exporter: Series[str] = pa.Field(str_matches=r"^([A-Z]{3}|RoW)$")
    sector: Series[str] = pa.Field(str_matches=r"^c([1-9]|[12][0-9]|3[0-5])$")
    importer: Series[str] = pa.Field(str_matches=r"^([A-Z]{3}|RoW)$")
    inter_musd: Series[float] = pa.Field(ge=-1e6)  # inventories can be negative; others checked below
    fd_hh_musd: Series[float] = pa.Field(ge=-1e6)
    fd_npish_musd: Series[float] = pa.Field(ge=-1e6)
    fd_gov_musd: Series[float] = pa.Field(ge=-1e6)
    fd_gfcf_musd: Series[float] = pa.Field(ge=-1e6)
    fd_inv_musd: Series[float]

    class Config:
        coerce = True


class _ESales(pa.DataFrameModel):
    geo: Series[str] = pa.Field(str_matches=r"^[A-Z]{2}$")
    size_emp: Series[str] = pa.Field(isin=["1-9", "10-49", "50-249", "GE250"])
    indic_is: Series[str]
    year: Series[int]
    pct_enterprises: Series[float] = pa.Field(ge=0, le=100)

    class Config:
        coerce = True


def _partner_type(exporter: pd.Series, importer: pd.Series) -> pd.Series:
    out = pd.Series(C.FOREIGN, index=exporter.index)
    out[importer == "ROW"] = C.REST_OF_WORLD
    out[exporter == importer] = C.DOMESTIC
    return out


def icio_flows(raw_dir: Path) -> pd.DataFrame:
    icio = read_raw_csv(raw_dir, "icio2022/icio2022_intermediate_bilateral_by_sector.csv.gz", _Icio)
    icio = icio[icio["sector"].isin(ICIO_TO_MODEL)].copy()
    icio[C.SECTOR] = icio["sector"].map(ICIO_TO_MODEL)
    out = (icio.groupby([C.EXPORTER, C.IMPORTER, C.SECTOR], as_index=False)["interm_flow_musd_2022"].sum()
           .rename(columns={"interm_flow_musd_2022": C.VALUE}))
    out[C.SOURCE], out[C.YEAR], out[C.DEMAND] = C.ICIO2022, 2022, C.INTERMEDIATE
    out[C.PARTNER] = _partner_type(out[C.EXPORTER], out[C.IMPORTER])
    return out


def icio_fine_flows(raw_dir: Path) -> pd.DataFrame:
    """ICIO 2022 intermediate flows at ICIO's own goods sectors (C301, C24A, C21, ...), not merged:
    the finest sector a product can be ranked on (recommender.data.builders.products)."""
    icio = read_raw_csv(raw_dir, "icio2022/icio2022_intermediate_bilateral_by_sector.csv.gz", _Icio)
    icio = icio[icio["sector"].isin(ICIO_TO_MODEL)]
    out = icio.rename(columns={"interm_flow_musd_2022": C.VALUE})[[C.EXPORTER, C.IMPORTER, C.SECTOR, C.VALUE]].copy()
    out[C.SOURCE], out[C.YEAR], out[C.DEMAND] = C.ICIO2022, 2022, C.INTERMEDIATE
    out[C.PARTNER] = _partner_type(out[C.EXPORTER], out[C.IMPORTER])
    return out[out[C.VALUE] > 0]


def wiod_flows(raw_dir: Path) -> pd.DataFrame:
    wiod = read_raw_csv(raw_dir, "wiod2013/wiod2013_bilateral_sector_inter_final_1995_2011.csv.gz", _Wiod)
    wiod = wiod[wiod["sector"].isin(WIOD_TO_MODEL)].copy()
    wiod[C.SECTOR] = wiod["sector"].map(WIOD_TO_MODEL)
    for col in (C.EXPORTER, C.IMPORTER):
        wiod[col] = wiod[col].replace(WIOD_CODE_FIXES)
    for demand, cols in WIOD_DEMAND.items():
        wiod[demand] = wiod[cols].sum(axis=1)
    keys = [C.YEAR, C.EXPORTER, C.IMPORTER, C.SECTOR]
    long = (wiod.groupby(keys, as_index=False)[list(WIOD_DEMAND)].sum()
            .melt(id_vars=keys, var_name=C.DEMAND, value_name=C.VALUE))
    # Inventory changes can make other_final negative; a negative flow is not
    # demand, so it is floored at zero (documented in SOURCES.md).
    long[C.VALUE] = long[C.VALUE].clip(lower=0)
    long = long[long[C.VALUE] > 0]
    long[C.SOURCE] = C.WIOD2013
    long[C.PARTNER] = _partner_type(long[C.EXPORTER], long[C.IMPORTER])
    return long


def esales(raw_dir: Path, countries: pd.DataFrame | None) -> pd.DataFrame:
    e = read_raw_csv(raw_dir, "eurostat/isoc_ec_esels_by_size_2010_2023.csv", _ESales)
    e = e.rename(columns={"size_emp": "size_class", "indic_is": "indicator"})
    # Eurostat uses EL for Greece and UK for the United Kingdom.
    iso2 = e["geo"].replace({"EL": "GR", "UK": "GB"})
    if countries is not None:
        e["iso3"] = iso2.map(countries.set_index("iso2")["iso3"])
    else:
        e["iso3"] = None
    e["meaning"] = e["indicator"].map(ESALES_MEANING).fillna("see Eurostat isoc_ec_esels")
    return e[["geo", "iso3", "size_class", "indicator", "meaning", "year", "pct_enterprises"]]


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    cols = [C.SOURCE, C.YEAR, C.EXPORTER, C.IMPORTER, C.SECTOR, C.DEMAND, C.PARTNER, C.VALUE]
    flows = pd.concat([icio_flows(raw_dir)[cols], wiod_flows(raw_dir)[cols]], ignore_index=True)
    for col in (C.SOURCE, C.EXPORTER, C.IMPORTER, C.SECTOR, C.DEMAND, C.PARTNER):
        flows[col] = flows[col].astype(str)
    flows[C.VALUE] = flows[C.VALUE].round(4)
    fine = icio_fine_flows(raw_dir)[cols]
    fine[C.VALUE] = fine[C.VALUE].round(4)
    return {"flows": flows, "flows_fine": fine, "esales": esales(raw_dir, built.get("countries"))}

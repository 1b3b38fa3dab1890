"""Build ``countries``, ``country_year`` and ``pairs`` from the raw public files.

Sources (see data/SOURCES.md): OECD ICIO 2025 country list, CEPII GeoDist,
World Bank GDP and population, OWID GDP per capita PPP and internet users,
Global Findex 2021, World Bank LPI, and two small curated files in
``recommender/data/curated`` (EU membership, EU trade agreements).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pycountry
from pandera.typing import Series

from recommender.data.raw import read_raw_csv
from recommender.errors import DataError

CURATED = Path(__file__).resolve().parent.parent / "curated"

# CEPII GeoDist predates some ISO 3166 changes.
CEPII_CODE_FIXES = {"ROM": "ROU", "ZAR": "COD", "TMP": "TLS", "PAL": "PSE"}
# ICIO rows that are not countries (rest of world, split Mexico/China blocks).
ICIO_NOT_COUNTRIES = {"ROW", "MX1", "MX2", "CN1", "CN2"}
EFTA = {"CHE", "ISL", "LIE", "NOR"}
# Shorter display names where ISO 3166's official form reads badly in a UI.
DISPLAY_NAMES = {  # iso3: (English, Italian)
    "COD": ("DR Congo", "Repubblica Democratica del Congo"),
    "TWN": ("Taiwan", "Taiwan"),
    "KOR": ("South Korea", "Corea del Sud"),
    "CZE": ("Czechia", "Repubblica Ceca"),
    "MMR": ("Myanmar", "Myanmar"),
    "BRN": ("Brunei", "Brunei"),
    "RUS": ("Russia", "Russia"),
}
FINDEX_ONLINE = "Used a mobile phone or the internet to buy something online (% age 15+)"
YEARS = range(1995, 2024)
MEMBERSHIP_AS_OF_YEAR = 2026  # EU/euro membership is stated as of the curated files (see SOURCES.md)  # WIOD starts in 1995; the latest indicators end in 2023-24


# --- raw-file schemas: only the columns the build relies on -------------------
class _Raw(pa.DataFrameModel):
    class Config:
        coerce = True


class _Mapping(_Raw):
    code: Series[str] = pa.Field(str_matches=r"^[A-Z0-9]{3}$")
    country_or_region: Series[str]


class _Geo(_Raw):
    iso2: Series[str] = pa.Field(nullable=True)
    iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    continent: Series[str]
    lat: Series[float] = pa.Field(ge=-90, le=90)
    lon: Series[float] = pa.Field(ge=-180, le=180)
    cap: Series[int] = pa.Field(ge=0)  # 1 = capital city row
    landlocked: Series[int] = pa.Field(isin=[0, 1])


class _Dist(_Raw):
    iso_o: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    iso_d: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    contig: Series[int] = pa.Field(isin=[0, 1])
    comlang_off: Series[int] = pa.Field(isin=[0, 1])
    comlang_ethno: Series[int] = pa.Field(isin=[0, 1])
    colony: Series[int] = pa.Field(isin=[0, 1])
    distw: Series[float] = pa.Field(nullable=True, ge=0)


class _WB(_Raw):
    Country_Code: Series[str] = pa.Field(alias="Country Code")
    Year: Series[int] = pa.Field(ge=1960, le=2030)
    Value: Series[float] = pa.Field(nullable=True, ge=0)


class _OWID(_Raw):
    Code: Series[str] = pa.Field(nullable=True)
    Year: Series[int] = pa.Field(ge=1900, le=2030)


class _LPI(_Raw):
    Code: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    Overall_LPI_Score: Series[float] = pa.Field(alias="Overall LPI Score", ge=1, le=5)
    Year: Series[int]


# --- helpers -----------------------------------------------------------------
@lru_cache(maxsize=1)
def _italian():
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["it"])


def country_names(iso3: str) -> tuple[str, str, str]:
    """(iso2, English name, Italian name) from ISO 3166 via pycountry."""
    c = pycountry.countries.get(alpha_3=iso3)
    if c is None:
        raise DataError("pycountry", f"unknown ISO3 code {iso3}")
    en = getattr(c, "common_name", None) or c.name
    it = _italian().gettext(c.name)
    en, it = DISPLAY_NAMES.get(iso3, (en, it))
    return c.alpha_2, en, it


def _latest(df: pd.DataFrame, value: str, max_year: int | None = None) -> pd.DataFrame:
    """Latest non-missing value per iso3, with its year."""
    d = df.dropna(subset=[value])
    if max_year is not None:
        d = d[d["year"] <= max_year]
    d = d.sort_values(["iso3", "year"]).groupby("iso3").tail(1)
    return d.set_index("iso3")[[value, "year"]]


def _growth_5y(gdp: pd.DataFrame) -> pd.Series:
    """Compound annual growth (%) of current-USD GDP over the last 5 available years."""
    out = {}
    for iso3, g in gdp.dropna(subset=["gdp_usd"]).groupby("iso3"):
        g = g.sort_values("year")
        last = g.iloc[-1]
        base = g[g["year"] == last["year"] - 5]
        if len(base):
            out[iso3] = ((last["gdp_usd"] / base["gdp_usd"].iloc[0]) ** (1 / 5) - 1) * 100
    return pd.Series(out, name="gdp_growth_5y_pct", dtype=float)


def _read_indicators(raw_dir: Path) -> pd.DataFrame:
    """Yearly GDP, population, GDP per capita PPP and internet users (long -> wide)."""
    gdp = read_raw_csv(raw_dir, "worldbank/gdp_current_usd.csv", _WB)
    pop = read_raw_csv(raw_dir, "worldbank/population.csv", _WB)
    # OWID regional aggregates have no ISO code, and some have ";" in their
    # name, which shifts their fields: keep only rows coded as a country.
    has_code = lambda df: df["Code"].astype("string").str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)  # noqa: E731
    ppp = read_raw_csv(raw_dir, "owid/gdp_per_capita_ppp.csv", _OWID, keep=has_code, sep=";")
    net = read_raw_csv(raw_dir, "owid/internet_users_share.csv", _OWID, keep=has_code, sep=";")
    frames = [
        gdp.rename(columns={"Country Code": "iso3", "Year": "year", "Value": "gdp_usd"})[["iso3", "year", "gdp_usd"]],
        pop.rename(columns={"Country Code": "iso3", "Year": "year", "Value": "population"})[["iso3", "year", "population"]],
        ppp.rename(columns={"Code": "iso3", "Year": "year", ppp.columns[3]: "gdp_pc_ppp"})[["iso3", "year", "gdp_pc_ppp"]],
        net.rename(columns={"Code": "iso3", "Year": "year", net.columns[3]: "internet_users_pct"})[["iso3", "year", "internet_users_pct"]],
    ]
    out = None
    for f in frames:
        f = f.dropna(subset=["iso3"])
        f = f[f["iso3"].str.fullmatch(r"[A-Z]{3}")]
        out = f if out is None else out.merge(f, on=["iso3", "year"], how="outer")
    return out


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    mapping = read_raw_csv(raw_dir, "icio2022/OECD_ICIO_2025_country_code_mapping.csv", _Mapping, encoding="utf-8-sig")
    iso3s = sorted(set(mapping["code"]) - ICIO_NOT_COUNTRIES)

    geo = read_raw_csv(raw_dir, "cepii_geodist/geo_cepii.csv", _Geo, encoding="latin-1", na_values=["."])
    geo["iso3"] = geo["iso3"].replace(CEPII_CODE_FIXES)
    geo["is_capital"] = geo["cap"] == 1
    geo = geo.sort_values(["iso3", "is_capital"], ascending=[True, False]).groupby("iso3").head(1).set_index("iso3")
    dist = read_raw_csv(raw_dir, "cepii_geodist/dist_cepii.csv.gz", _Dist, na_values=["."])
    dist["iso_o"] = dist["iso_o"].replace(CEPII_CODE_FIXES)
    dist["iso_d"] = dist["iso_d"].replace(CEPII_CODE_FIXES)

    # pairs: every ordered pair of model countries (gravity features for training)
    pairs = dist[dist["iso_o"].isin(iso3s) & dist["iso_d"].isin(iso3s) & (dist["iso_o"] != dist["iso_d"])]
    pairs = pairs.rename(columns={"iso_o": "exporter", "iso_d": "importer", "distw": "distw_km"})[
        ["exporter", "importer", "distw_km", "contig", "comlang_off", "comlang_ethno", "colony"]
    ]

    ind = _read_indicators(raw_dir)
    ind = ind[ind["iso3"].isin(iso3s) & ind["year"].isin(YEARS)].copy()
    country_year = ind[["iso3", "year", "gdp_usd", "population", "gdp_pc_ppp", "internet_users_pct"]]

    findex = read_raw_csv(raw_dir, "worldbank/findex_databank_wide.csv", usecols=["Country code", "Year", FINDEX_ONLINE])
    findex["online_purchase_pct"] = pd.to_numeric(findex[FINDEX_ONLINE].astype("string").str.rstrip("%"), errors="coerce")
    findex = findex.rename(columns={"Country code": "iso3", "Year": "year"})
    lpi = read_raw_csv(raw_dir, "worldbank/lpi_2010_2016.csv", _LPI).rename(
        columns={"Code": "iso3", "Year": "year", "Overall LPI Score": "lpi_score"})
    lpi["iso3"] = lpi["iso3"].replace(CEPII_CODE_FIXES)  # the LPI file uses ROM and ZAR too

    members = pd.read_csv(CURATED / "eu_membership.csv").set_index("iso3")
    agreements = pd.read_csv(CURATED / "eu_trade_agreements.csv").set_index("iso3")

    latest_gdp = _latest(ind, "gdp_usd")
    latest_pop = _latest(ind, "population")
    latest_ppp = _latest(ind, "gdp_pc_ppp")
    latest_net = _latest(ind, "internet_users_pct")
    latest_fx = _latest(findex, "online_purchase_pct", max_year=2022)
    latest_lpi = _latest(lpi, "lpi_score")
    growth = _growth_5y(ind)
    ita = dist[dist["iso_o"] == "ITA"].set_index("iso_d")

    rows = []
    for iso3 in iso3s:
        iso2, en, it = country_names(iso3)
        g = geo.loc[iso3] if iso3 in geo.index else None
        m = members.loc[iso3] if iso3 in members.index else None
        eu = m is not None and pd.isna(m["eu_to"])
        euro = eu and m is not None and not pd.isna(m["euro_from"]) and m["euro_from"] <= MEMBERSHIP_AS_OF_YEAR
        if iso3 == "ITA":
            regime, agr, agr_year = "domestic", None, np.nan
        elif eu:
            assert m is not None  # eu: a member
            regime, agr, agr_year = "eu_single_market", "EU single market", float(m["eu_from"])
        elif iso3 in agreements.index:
            a = agreements.loc[iso3]
            regime, agr, agr_year = a["regime"], a["agreement"], float(a["in_force_year"])
        else:
            regime, agr, agr_year = "none", None, np.nan
        langs = None
        if g is not None:
            langs = ";".join(str(x) for x in g[["langoff_1", "langoff_2", "langoff_3"]] if isinstance(x, str))
        p = ita.loc[iso3] if iso3 in ita.index else None

        def val(frame, col):
            return float(frame.loc[iso3, col]) if iso3 in frame.index else np.nan

        rows.append({
            "iso3": iso3, "iso2": iso2, "name_en": en, "name_it": it,
            "continent": g["continent"] if g is not None else None,
            "eu_member": eu, "euro_member": bool(euro), "eea_member": eu or iso3 in {"ISL", "LIE", "NOR"},
            "efta_member": iso3 in EFTA,
            "trade_regime": regime, "eu_agreement": agr, "eu_agreement_year": agr_year,
            "gdp_usd": val(latest_gdp, "gdp_usd"), "gdp_year": val(latest_gdp, "year"),
            "gdp_growth_5y_pct": float(growth.get(iso3, np.nan)),
            "population": val(latest_pop, "population"),
            "gdp_pc_ppp": val(latest_ppp, "gdp_pc_ppp"),
            "internet_users_pct": val(latest_net, "internet_users_pct"),
            "online_purchase_pct": val(latest_fx, "online_purchase_pct"),
            "lpi_score": val(latest_lpi, "lpi_score"), "lpi_year": val(latest_lpi, "year"),
            "capital": g["city_en"] if g is not None else None,
            "capital_lat": float(g["lat"]) if g is not None else np.nan,
            "capital_lon": float(g["lon"]) if g is not None else np.nan,
            "languages": langs or None,
            "landlocked": float(g["landlocked"]) if g is not None else np.nan,
            "distw_km_ita": float(p["distw"]) if p is not None else np.nan,
            "contig_ita": float(p["contig"]) if p is not None else np.nan,
            "comlang_off_ita": float(p["comlang_off"]) if p is not None else np.nan,
            "comlang_ethno_ita": float(p["comlang_ethno"]) if p is not None else np.nan,
            "colony_ita": float(p["colony"]) if p is not None else np.nan,
        })
    countries = pd.DataFrame(rows)
    flagged = ["gdp_usd", "gdp_growth_5y_pct", "population", "gdp_pc_ppp", "internet_users_pct",
               "online_purchase_pct", "lpi_score"]
    countries["missing_fields"] = countries[flagged].isna().apply(
        lambda r: ";".join(c for c in flagged if r[c]) or None, axis=1)
    return {"countries": countries, "country_year": country_year, "pairs": pairs}

"""Schemas of the country tables: ``countries``, ``country_year``, ``pairs``.

Missing indicators stay missing (NaN) and are listed in ``missing_fields``;
nothing is imputed at build time.
"""

import pandera.pandas as pa
from pandera.typing import Series

ISO3 = r"^[A-Z]{3}$"
ISO2 = r"^[A-Z]{2}$"


class CountrySchema(pa.DataFrameModel):
    iso3: Series[str] = pa.Field(unique=True, str_matches=ISO3)
    iso2: Series[str] = pa.Field(unique=True, str_matches=ISO2)
    name_en: Series[str] = pa.Field(str_length={"min_value": 2})
    name_it: Series[str] = pa.Field(str_length={"min_value": 2})
    continent: Series[str] = pa.Field(isin=["Europe", "Asia", "America", "Africa", "Pacific"])
    eu_member: Series[bool]
    euro_member: Series[bool]
    eea_member: Series[bool]
    efta_member: Series[bool]
    trade_regime: Series[str] = pa.Field(isin=["domestic", "eu_single_market", "eea", "customs_union", "fta", "none"])
    eu_agreement: Series[str] = pa.Field(nullable=True)
    eu_agreement_year: Series[float] = pa.Field(nullable=True, ge=1950, le=2030)
    gdp_usd: Series[float] = pa.Field(nullable=True, gt=0)
    gdp_year: Series[float] = pa.Field(nullable=True)
    gdp_growth_5y_pct: Series[float] = pa.Field(nullable=True, ge=-50, le=50)
    population: Series[float] = pa.Field(nullable=True, gt=0)
    gdp_pc_ppp: Series[float] = pa.Field(nullable=True, gt=0)
    internet_users_pct: Series[float] = pa.Field(nullable=True, ge=0, le=100)
    online_purchase_pct: Series[float] = pa.Field(nullable=True, ge=0, le=100)
    lpi_score: Series[float] = pa.Field(nullable=True, ge=1, le=5)
    lpi_year: Series[float] = pa.Field(nullable=True)
    capital: Series[str] = pa.Field(nullable=True)
    capital_lat: Series[float] = pa.Field(nullable=True, ge=-90, le=90)
    capital_lon: Series[float] = pa.Field(nullable=True, ge=-180, le=180)
    languages: Series[str] = pa.Field(nullable=True)
    landlocked: Series[float] = pa.Field(nullable=True, isin=[0, 1])
    distw_km_ita: Series[float] = pa.Field(nullable=True, ge=0)
    contig_ita: Series[float] = pa.Field(nullable=True, isin=[0, 1])
    comlang_off_ita: Series[float] = pa.Field(nullable=True, isin=[0, 1])
    comlang_ethno_ita: Series[float] = pa.Field(nullable=True, isin=[0, 1])
    colony_ita: Series[float] = pa.Field(nullable=True, isin=[0, 1])
    missing_fields: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class CountryYearSchema(pa.DataFrameModel):
    iso3: Series[str] = pa.Field(str_matches=ISO3)
    year: Series[int] = pa.Field(ge=1990, le=2030)
    gdp_usd: Series[float] = pa.Field(nullable=True, gt=0)
    population: Series[float] = pa.Field(nullable=True, gt=0)
    gdp_pc_ppp: Series[float] = pa.Field(nullable=True, gt=0)
    internet_users_pct: Series[float] = pa.Field(nullable=True, ge=0, le=100)

    class Config:
        strict = True
        coerce = True
        unique = ["iso3", "year"]


class PairSchema(pa.DataFrameModel):
    exporter: Series[str] = pa.Field(str_matches=ISO3)
    importer: Series[str] = pa.Field(str_matches=ISO3)
    distw_km: Series[float] = pa.Field(nullable=True, ge=0)
    contig: Series[int] = pa.Field(isin=[0, 1])
    comlang_off: Series[int] = pa.Field(isin=[0, 1])
    comlang_ethno: Series[int] = pa.Field(isin=[0, 1])
    colony: Series[int] = pa.Field(isin=[0, 1])

    class Config:
        strict = True
        coerce = True
        unique = ["exporter", "importer"]

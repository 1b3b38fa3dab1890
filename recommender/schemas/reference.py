"""Schemas of the reference tables users type into: sectors, provinces,
districts, restricted markets."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from recommender.sectors import MODEL_SECTORS

SIGLA = r"^[A-Z]{2}$"
# The 20 regions as ISTAT names them (bilingual names included)
REGIONS = ["Abruzzo", "Basilicata", "Calabria", "Campania", "Emilia-Romagna", "Friuli-Venezia Giulia", "Lazio",
           "Liguria", "Lombardia", "Marche", "Molise", "Piemonte", "Puglia", "Sardegna", "Sicilia", "Toscana",
           "Trentino-Alto Adige/Südtirol", "Umbria", "Valle d'Aosta/Vallée d'Aoste", "Veneto"]


class SectorSchema(pa.DataFrameModel):
    ateco_division: Series[str] = pa.Field(unique=True, str_matches=r"^\d{2}$")
    section: Series[str] = pa.Field(str_matches=r"^[A-V]$")
    name_it: Series[str] = pa.Field(str_length={"min_value": 3})
    name_en: Series[str] = pa.Field(str_length={"min_value": 3})
    icio_sectors: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z][A-Z0-9_]*(;[A-Z][A-Z0-9_]*)*$")
    model_sector: Series[str] = pa.Field(nullable=True, isin=list(MODEL_SECTORS))
    model_sector_name_it: Series[str] = pa.Field(nullable=True)
    model_sector_name_en: Series[str] = pa.Field(nullable=True)
    in_2007: Series[bool]
    in_2022: Series[bool]
    in_2025: Series[bool]

    class Config:
        strict = True
        coerce = True


class ProvinceSchema(pa.DataFrameModel):
    sigla: Series[str] = pa.Field(unique=True, str_matches=SIGLA)
    code: Series[str] = pa.Field(unique=True, str_matches=r"^\d{3}$")
    name: Series[str] = pa.Field(unique=True)
    region: Series[str] = pa.Field(isin=REGIONS)
    nuts3: Series[str] = pa.Field(unique=True, str_matches=r"^IT[A-Z0-9]{3}$")
    n_comuni: Series[int] = pa.Field(gt=0)

    class Config:
        strict = True
        coerce = True


class DistrictSchema(pa.DataFrameModel):
    slug: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: Series[str] = pa.Field(unique=True)
    provinces: Series[str] = pa.Field(str_matches=r"^[A-Z]{2}(;[A-Z]{2})*$")
    region: Series[str] = pa.Field(isin=REGIONS)
    specialisation_it: Series[str]
    specialisation_en: Series[str]
    ateco_divisions: Series[str] = pa.Field(str_matches=r"^\d{2}(;\d{2})*$")
    origin: Series[str] = pa.Field(isin=["dsw2013", "curated"])

    class Config:
        strict = True
        coerce = True


class CitedDestinationSchema(pa.DataFrameModel):
    """The columns every sourced destination row carries (district and product tables alike)."""

    year: Series[int] = pa.Field(ge=1990, le=2030)
    rank: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    in_model: Series[bool]
    value_or_share: Series[str] = pa.Field(nullable=True)
    source_title: Series[str] = pa.Field(str_length={"min_value": 3})
    source_url: Series[str] = pa.Field(str_matches=r"^https?://")
    # what the row's own quote says of the market's trend (recommender/data/builders/trends.py): down, up or
    # none read; trend_said is the quote's words that say it
    trend: Series[str] = pa.Field(nullable=True, isin=["down", "up"])
    trend_said: Series[str] = pa.Field(nullable=True, str_length={"min_value": 3})

    class Config:
        strict = True
        coerce = True


class DistrictDestinationSchema(CitedDestinationSchema):
    district_name: Series[str] = pa.Field(str_length={"min_value": 3})
    district_slugs: Series[str] = pa.Field(nullable=True, str_matches=r"^([a-z0-9-]+(;[a-z0-9-]+)*)?$")
    provinces: Series[str] = pa.Field(str_matches=r"^[A-Z]{2}(;[A-Z]{2})*$")
    ateco_division: Series[str] = pa.Field(str_matches=r"^\d{2}$")
    model_sector: Series[str] = pa.Field(isin=list(MODEL_SECTORS))
    ateco_class: Series[str] = pa.Field(str_matches=r"^\d{2}\.\d{2}(\.\d{1,2})?$")
    product_family: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    origin: Series[str] = pa.Field(isin=["shared", "curated"])
    product: Series[str]
    stand_in: Series[str] = pa.Field(nullable=True, isin=["", "national", "regional", "province_total"])
    quote: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class RestrictedMarketSchema(pa.DataFrameModel):
    iso3: Series[str] = pa.Field(unique=True, str_matches=r"^[A-Z]{3}$")
    name_en: Series[str]
    level: Series[str] = pa.Field(isin=["embargo", "partial"])
    measures_en: Series[str]
    measures_it: Series[str]
    legal_basis: Series[str]
    as_of: Series[str] = pa.Field(str_matches=r"^20\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
    source_note: Series[str]

    class Config:
        strict = True
        coerce = True


class ProductProfileSchema(pa.DataFrameModel):
    """One ATECO class (or sub-category) of divisions 01-33: its product (see
    recommender.data.builders.products)."""

    ateco_class: Series[str] = pa.Field(str_matches=r"^\d{2}\.\d{2}$")
    edition: Series[str] = pa.Field(isin=["2022", "2025"])
    subcategory: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{2}\.\d{2}\.\d{1,2}$")
    title_it: Series[str] = pa.Field(str_length={"min_value": 3})
    mapped_from_2022: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{2}\.\d{2}$")
    isic4: Series[str] = pa.Field(str_matches=r"^\d{4}$")
    isic4_title_en: Series[str] = pa.Field(str_length={"min_value": 3})
    family: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    family_name_it: Series[str]
    family_name_en: Series[str]
    family_group: Series[str]
    evidence_keys: Series[str] = pa.Field(str_matches=r"^[a-z_]+(;[a-z_]+)*$")
    hs_basis: Series[str] = pa.Field(isin=["class", "isic_class", "division"])
    hs6_count: Series[int] = pa.Field(ge=0)
    hs6: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{6}(;\d{6})*$")
    end_use: Series[str] = pa.Field(nullable=True, isin=["consumption", "intermediate", "capital"])
    share_consumption: Series[float] = pa.Field(ge=0, le=1)
    share_intermediate: Series[float] = pa.Field(ge=0, le=1)
    share_capital: Series[float] = pa.Field(ge=0, le=1)
    default_customer: Series[str] = pa.Field(isin=["b2b", "b2c", "both"])
    icio_sector: Series[str] = pa.Field(str_matches=r"^[A-C][0-9A-Z_]+$")
    model_sector: Series[str] = pa.Field(isin=list(MODEL_SECTORS))
    note: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check
    @classmethod  # what the decorator makes of it anyway; spelled out, mypy sees cls as the class
    def one_row_per_code(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["ateco_class", "edition", "subcategory"], keep=False)

    class Config:
        strict = True
        coerce = True


class ProductDestinationSchema(CitedDestinationSchema):
    """A foreign market a public source names as a destination of an Italian product."""

    product_family: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    product_it: Series[str]
    product_en: Series[str]
    hs_prefixes: Series[str] = pa.Field(nullable=True)
    scope: Series[str] = pa.Field(isin=["national", "regional", "consortium", "association", "district"])
    area: Series[str] = pa.Field(nullable=True)
    quote: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 200})
    as_of: Series[str] = pa.Field(str_matches=r"^\d{4}(-\d{2}(-\d{2})?)?$")

    class Config:
        strict = True
        coerce = True


class ProductRuleSchema(pa.DataFrameModel):
    """An import ban or heavy requirement for a product family in a market, with its source."""

    product_family: Series[str] = pa.Field(str_matches=r"^([a-z_]+|\*food\*|\*all\*)$")
    hs_prefixes: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{2,6}(;\d{2,6})*$")
    iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    kind: Series[str] = pa.Field(isin=["ban", "animal_health_ban", "monopoly", "requirement", "lifted"])
    rule_it: Series[str] = pa.Field(str_length={"min_value": 5})
    rule_en: Series[str] = pa.Field(str_length={"min_value": 5})
    step_it: Series[str] = pa.Field(nullable=True)
    step_en: Series[str] = pa.Field(nullable=True)
    source_title: Series[str] = pa.Field(str_length={"min_value": 3})
    source_url: Series[str] = pa.Field(str_matches=r"^https?://")
    quote: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 200})
    as_of: Series[str] = pa.Field(str_matches=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    scope_note: Series[str] = pa.Field(nullable=True)
    # families a *food* or *all* rule does not apply to (the reason and its source: scope_note)
    except_families: Series[str] = pa.Field(nullable=True, str_matches=r"^[a-z_]+(;[a-z_]+)*$")

    class Config:
        strict = True
        coerce = True


DATE = r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class ExchangeRateSchema(pa.DataFrameModel):
    """The ECB's euro reference rate against the US dollar, mean of one complete year
    (see recommender.data.builders.exchange_rates)."""

    year: Series[int] = pa.Field(unique=True, ge=1999, le=2100)
    usd_per_eur: Series[float] = pa.Field(gt=0.5, lt=2.0)
    days: Series[int] = pa.Field(ge=200, le=262)
    first_day: Series[str] = pa.Field(str_matches=DATE)
    last_day: Series[str] = pa.Field(str_matches=DATE)
    source_title: Series[str] = pa.Field(str_length={"min_value": 3})
    source_url: Series[str] = pa.Field(str_matches=r"^https://")
    data_url: Series[str] = pa.Field(str_matches=r"^https://")
    quote: Series[str] = pa.Field(str_length={"min_value": 10, "max_value": 200})
    as_of: Series[str] = pa.Field(str_matches=DATE)

    class Config:
        strict = True
        coerce = True

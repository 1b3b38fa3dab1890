"""Schemas of the digital-channel catalogue (v2): channels and the product rules they apply."""

import pandera.pandas as pa
from pandera.typing import Series

from recommender.maturity import QUESTION_IDS

ISO3_LIST = r"^(\*|[A-Z]{3}(;[A-Z]{3})*)$"
CAPABILITIES = list(QUESTION_IDS)
CAP_LIST = r"^((" + "|".join(CAPABILITIES) + r")(;(" + "|".join(CAPABILITIES) + r"))*)?$"
TYPES = ["marketplace", "own_eshop", "search_ads", "social", "b2b_platform", "email_crm", "messaging", "trade_fair",
         "directory", "specifier_platform", "distributor_search"]
AUDIENCES = ("b2c", "b2b_wholesale", "b2b_industrial", "specifiers")
END_USES = ("consumption", "intermediate", "capital")


def _list_of(values) -> str:
    return r"^(" + "|".join(values) + r")(;(" + "|".join(values) + r"))*$"


class ChannelSchema(pa.DataFrameModel):
    channel_id: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: Series[str]
    name_it: Series[str]
    name_en: Series[str]
    type: Series[str] = pa.Field(isin=TYPES)
    audience: Series[str] = pa.Field(str_matches=_list_of(AUDIENCES))
    countries: Series[str] = pa.Field(str_matches=ISO3_LIST)
    excluded_countries: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}(;[A-Z]{3})*$")
    families: Series[str] = pa.Field(str_matches=r"^(\*|[a-z_]+(;[a-z_]+)*)$")
    end_uses: Series[str] = pa.Field(str_matches=_list_of(END_USES))
    min_maturity: Series[int] = pa.Field(ge=1, le=4)
    min_employees: Series[int] = pa.Field(ge=0)
    setup_effort: Series[str] = pa.Field(isin=["low", "medium", "high"])
    cost_it: Series[str]
    cost_en: Series[str]
    setup_time_it: Series[str]
    setup_time_en: Series[str]
    requirements_it: Series[str]
    requirements_en: Series[str]
    prerequisites: Series[str] = pa.Field(nullable=True, str_matches=CAP_LIST)
    italy_programme: Series[str] = pa.Field(nullable=True)
    as_of: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}$")
    source_title: Series[str]
    source_url: Series[str] = pa.Field(nullable=True, str_matches=r"^https?://")
    quote: Series[str] = pa.Field(nullable=True, str_length={"max_value": 200})

    class Config:
        strict = True
        coerce = True


class ChannelRuleSchema(pa.DataFrameModel):
    """A product family a channel cannot carry in some markets (its own seller rules), with the source."""

    channel_id: Series[str] = pa.Field(str_matches=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    family: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    countries: Series[str] = pa.Field(str_matches=ISO3_LIST)
    rule_it: Series[str]
    rule_en: Series[str]
    source_url: Series[str] = pa.Field(str_matches=r"^https?://")
    quote: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 200})
    as_of: Series[str]
    except_countries: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}(;[A-Z]{3})*$")

    class Config:
        strict = True
        coerce = True

"""Schema of the digital-channel catalogue."""

import pandera.pandas as pa
from pandera.typing import Series

from recommender.maturity import QUESTION_IDS
from recommender.sectors import MODEL_SECTORS

ISO3_LIST = r"^(\*|[A-Z]{3}(;[A-Z]{3})*)$"
CAPABILITIES = list(QUESTION_IDS)
SECTOR_LIST = r"^(\*|(" + "|".join(MODEL_SECTORS) + r")(;(" + "|".join(MODEL_SECTORS) + r"))*)$"
CAP_LIST = r"^((" + "|".join(CAPABILITIES) + r")(;(" + "|".join(CAPABILITIES) + r"))*)?$"


class ChannelSchema(pa.DataFrameModel):
    channel_id: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: Series[str]
    type: Series[str] = pa.Field(isin=["marketplace", "own_eshop", "search_ads", "social", "b2b_platform", "email_crm",
                                       "messaging"])
    audience: Series[str] = pa.Field(isin=["b2b", "b2c", "both"])
    countries: Series[str] = pa.Field(str_matches=ISO3_LIST)
    excluded_countries: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}(;[A-Z]{3})*$")
    sector_fit: Series[str] = pa.Field(str_matches=SECTOR_LIST)
    min_maturity: Series[int] = pa.Field(ge=1, le=4)
    setup_effort: Series[str] = pa.Field(isin=["low", "medium", "high"])
    cost_model: Series[str]
    requirements_it: Series[str]
    requirements_en: Series[str]
    prerequisites: Series[str] = pa.Field(nullable=True, str_matches=CAP_LIST)
    as_of: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}$")
    source_note: Series[str]

    class Config:
        strict = True
        coerce = True

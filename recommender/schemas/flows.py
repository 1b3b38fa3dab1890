"""Schemas of the flow tables: ``flows`` and ``esales``."""

import pandera.pandas as pa
from pandera.typing import Series

from recommender.columns import DEMAND_TYPES, DOMESTIC, FOREIGN, ICIO2022, REST_OF_WORLD, WIOD2013
from recommender.sectors import FINE_SECTORS, MODEL_SECTORS


class FlowSchema(pa.DataFrameModel):
    """One bilateral flow: who sold how much of which sector to whom, for what use.

    Only rows with ``partner_type == "foreign"`` are markets; domestic sales
    (exporter == importer) and sales to WIOD's rest-of-world node are kept for
    totals and marked so they can never pass for a market.
    """

    source: Series[str] = pa.Field(isin=[ICIO2022, WIOD2013])
    year: Series[int] = pa.Field(ge=1995, le=2030)
    exporter: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    importer: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    sector: Series[str] = pa.Field(isin=list(MODEL_SECTORS))
    demand_type: Series[str] = pa.Field(isin=list(DEMAND_TYPES))
    partner_type: Series[str] = pa.Field(isin=[FOREIGN, DOMESTIC, REST_OF_WORLD])
    value_musd: Series[float] = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = True


class ESalesSchema(pa.DataFrameModel):
    geo: Series[str] = pa.Field(str_matches=r"^[A-Z]{2}$")
    iso3: Series[str] = pa.Field(nullable=True)
    size_class: Series[str] = pa.Field(isin=["1-9", "10-49", "50-249", "GE250"])
    indicator: Series[str]
    meaning: Series[str]
    year: Series[int] = pa.Field(ge=2000, le=2030)
    pct_enterprises: Series[float] = pa.Field(ge=0, le=100)

    class Config:
        strict = True
        coerce = True


class FineFlowSchema(FlowSchema):
    """ICIO 2022 intermediate flows at ICIO's own goods sectors (``flows_fine``)."""

    source: Series[str] = pa.Field(isin=[ICIO2022])
    sector: Series[str] = pa.Field(isin=list(FINE_SECTORS))

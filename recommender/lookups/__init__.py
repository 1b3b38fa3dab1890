"""Resolve what a user types into typed objects, or raise LookupFailed
(naming the field, the reason and close suggestions). Pure functions over the
committed derived tables; indexes are cached."""

from recommender.lookups.ateco import AtecoDivision, resolve_ateco
from recommender.lookups.country import Country, all_countries, resolve_country
from recommender.lookups.district import District, all_districts, districts_for_province, resolve_district
from recommender.lookups.province import Province, all_provinces, resolve_province

__all__ = ["AtecoDivision", "Country", "District", "Province", "all_countries", "all_districts", "all_provinces",
           "districts_for_province", "resolve_ateco", "resolve_country", "resolve_district", "resolve_province"]

"""Column names shared by the derived tables, features and model.

Using these constants instead of string literals keeps the data build, the
training code and the service in step (the microsoft/recommenders habit).
"""

# Identifiers
ISO3 = "iso3"
ISO2 = "iso2"
EXPORTER = "exporter"
IMPORTER = "importer"
SECTOR = "sector"            # harmonised sector key (ICIO code or ICIO parent group)
DEMAND = "demand_type"       # intermediate | household | investment | other_final
SOURCE = "source"            # icio2022 | wiod2013
YEAR = "year"
VALUE = "value_musd"         # USD millions, current prices
PARTNER = "partner_type"     # foreign | domestic | rest_of_world

# Demand types
INTERMEDIATE = "intermediate"
HOUSEHOLD = "household"
INVESTMENT = "investment"
OTHER_FINAL = "other_final"
DEMAND_TYPES = (INTERMEDIATE, HOUSEHOLD, INVESTMENT, OTHER_FINAL)

# Partner types: only FOREIGN rows are markets.
FOREIGN = "foreign"
DOMESTIC = "domestic"
REST_OF_WORLD = "rest_of_world"

# Sources
ICIO2022 = "icio2022"
WIOD2013 = "wiod2013"

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

# Outcomes (recommender.outcomes): one row per trial, i.e. a firm that tried a
# market (and possibly a channel) after being shown it, with the result.
TENANT = "tenant"            # the Chamber (its id); 0 = none
FIRM = "firm"                # the firm's id inside its Chamber
MARKET = "market"            # ISO3
CHANNEL = "channel_id"       # None/"" for a market-level trial
LOCALITY = "locality"        # district slug, else "prov:<sigla>"
MATURITY_LEVEL = "maturity_level"
SIZE_CLASS = "size_class"    # Eurostat size class of persons employed
POSITION = "position"        # rank the market (or channel) was shown at, 1 = first
PRIOR_SCORE = "prior_score"  # the score before any outcome adjustment, when shown
EXPLORED = "explored"        # shown in an exploration slot
SUCCESS = "success"          # 1 first sale, 0 abandoned
OUTCOME_DATE = "date"
IMPRESSION = "impression_id"

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
PART_PREFIX = "part_"        # part_<name>: a part of the market score when shown (market trials only)
SUCCESS = "success"          # 1 first sale, 0 abandoned
OUTCOME_DATE = "date"
IMPRESSION = "impression_id"
# Registry evidence (recommender.outcomes.registry): where registered firms already sell
FAMILY = "family"            # the product family (recommender.products), e.g. footwear
SERVED = "markets"           # the markets a registered firm serves (current + unprompted outcomes)
REGISTRY_PART = "registry"   # log of the registry factor on a market's score: a part outcomes may re-weigh

# Registry scoring (recommender.batch): the input file's columns, as the API's CSV
# upload has them (the 12 questionnaire ids of recommender.maturity come after these)
IN_NAME = "name"
IN_ATECO = "ateco"
IN_PROVINCE = "province"
IN_DISTRICT = "district"
IN_CUSTOMER_TYPE = "customer_type"
IN_MATURITY_LEVEL = "maturity_level"
IN_CURRENT_MARKETS = "current_markets"
IN_EXCLUDED_MARKETS = "excluded_markets"
IN_LANGUAGES = "languages"
IN_EMPLOYEES = "employees"
INPUT_PROFILE_COLUMNS = (IN_NAME, IN_ATECO, IN_PROVINCE, IN_DISTRICT, IN_CUSTOMER_TYPE, IN_MATURITY_LEVEL,
                         IN_CURRENT_MARKETS, IN_EXCLUDED_MARKETS, IN_LANGUAGES, IN_EMPLOYEES)
INPUT_LIST_COLUMNS = (IN_CURRENT_MARKETS, IN_EXCLUDED_MARKETS, IN_LANGUAGES)
INPUT_INT_COLUMNS = (IN_MATURITY_LEVEL, IN_EMPLOYEES)

# Registry scoring output, long format: one row per (firm row, recommended market)
ROW = "row"                  # the firm's row in the input: CSV line / sheet row (header = 1)
NAME = "name"
RANK = "rank"
# MARKET (ISO3) as above
MARKET_NAME = "market_name"  # in the run's language
SCORE = "score"
PEERS = "peers"              # the score's parts (recommender.recommend.score.PARTS), in [0, 1]
FORECAST = "forecast"
UNREALISED = "unrealised"
EVIDENCE = "evidence"
PRODUCT = "product"          # product evidence: public destination lists of the firm's product
SCORE_PARTS = (PEERS, FORECAST, UNREALISED, EVIDENCE, PRODUCT)
HORIZON = "horizon"          # now | prepare
NEEDS_LEVEL = "needs_level"
STATUS = "status"            # new | expand
RESTRICTION = "restriction"  # "" or the restriction level (e.g. partial)
CHANNELS = "channels"        # the market's top channel ids, best first, ";"-separated
MODEL_VERSION = "model_version"

# Registry scoring errors file: one row per rejected field of a rejected row
FIELD = "field"
REASON = "reason"
ERROR_VALUE = "value"
SUGGESTIONS = "suggestions"

"""Languages of the web app (Flask-Babel 4) and the translated labels of data keys.

Italian is the default; the choice is kept in the session (and on the user).
The recommender already returns its sentences in the page's language
(``lang=it|en``); this module names what it returns as keys (score parts,
demand types, channel types, capabilities...) and translates the library's
field-error reasons. Unknown keys fall back to a readable form of the key,
so a new key from the library shows up instead of breaking the page.
"""

from __future__ import annotations

import re

from flask import current_app, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from api.registry import NUL_REASON, SURROGATE_REASON
from recommender.errors import FieldError, LookupFailed
from recommender.lookups import resolve_country
from recommender.maturity import LABELS as LEVEL_LABELS
from recommender.maturity import QUESTIONS


def select_locale() -> str:
    """Flask-Babel's locale selector: the session's choice, then the user's, then Italian."""
    languages = current_app.config["LANGUAGES"]
    lang = session.get("lang")
    if lang not in languages and getattr(current_user, "is_authenticated", False):
        lang = current_user.locale
    return lang if lang in languages else languages[0]


def lang() -> str:
    """The page language as the recommender wants it: "it" or "en"."""
    return str(get_locale() or "it")[:2]


def _fallback(key) -> str:
    return str(key).replace("_", " ").strip().capitalize()


def label(table: dict, key) -> str:
    """Translated label of ``key`` in ``table``, else the key made readable."""
    value = table.get(key)
    return str(value) if value is not None else _fallback(key)


SCORE_PARTS = {
    "peers": _l("Where Italian firms already sell"),
    "unrealised": _l("Unrealised potential"),
    "evidence": _l("District evidence"),
    "product": _l("Where sources say the product sells"),
    "potential": _l("Market potential"),
    "opportunity": _l("Untapped opportunity"),
    "readiness_fit": _l("Fit with the firm's web maturity"),
    "demand": _l("Demand"),
    "gravity": _l("Distance and ties"),
    "forecast": _l("Five-year forecast"),
    "district": _l("District evidence"),
    "persistence": _l("Past trade"),
}
DEMAND_TYPES = {
    "intermediate": _l("Other firms' inputs (B2B)"),
    "household": _l("Households (B2C)"),
    "investment": _l("Investment goods (B2B)"),
    "other_final": _l("Other final demand"),
}
DEMANDINGNESS = {
    "distance": _l("distance"), "customs": _l("customs"), "language": _l("language"),
    "online": _l("online buying"), "logistics": _l("logistics"),
}
CUSTOMER_TYPES = {"b2b": _l("Businesses (B2B)"), "b2c": _l("Consumers (B2C)"), "both": _l("Both (B2B and B2C)")}
CHANNEL_TYPES = {
    "marketplace": _l("marketplace"), "b2b_platform": _l("B2B platform"), "search_ads": _l("search advertising"),
    "social": _l("social network"), "messaging": _l("messaging"), "email_crm": _l("e-mail and CRM"),
    "own_eshop": _l("own e-shop"), "trade_fair": _l("trade fair"), "directory": _l("B2B directory"),
    "specifier_platform": _l("platform for architects and designers"),
    "distributor_search": _l("importer and distributor search"),
}
OWNERS = {"firm": _l("the firm"), "borsista": _l("the borsista with the firm"),
          "chamber": _l("the Chamber of Commerce"), "ice": _l("ICE Agency"), "simest": _l("SIMEST"),
          "sace": _l("SACE"), "eu": _l("European Commission")}
RULE_KINDS = {"requirement": _l("to do before the first sale"), "monopoly": _l("state monopoly"),
              "ban": _l("import ban"), "animal_health_ban": _l("animal-health ban")}
EFFORT = {"low": _l("low"), "medium": _l("medium"), "high": _l("high")}
MARKET_STATUS = {"new": _l("new market"), "expand": _l("already served: expand")}
RESTRICTION_LEVELS = {"partial": _l("partial restrictions"), "embargo": _l("embargo"),
                      "import_ban": _l("import ban for the product"), "excluded_by_firm": _l("left out by the firm")}
STAND_INS = {"national": _l("national figure"), "regional": _l("regional figure"),
             "province_total": _l("whole-province exports")}
HORIZONS = {"now": _l("Markets to start with"), "prepare": _l("Markets to prepare for")}
OUTCOME_STATUS = {"planned": _l("planned"), "started": _l("started"), "first_sale": _l("first sale"),
                  "abandoned": _l("abandoned")}
ROLES = {"borsista": _l("borsista"), "staff": _l("Chamber staff")}
VINTAGES = {
    "peers": _l("Where Italian firms already sell"), "forecast": _l("Five-year forecast"),
    "unrealised": _l("Unrealised potential"), "district_evidence": _l("District evidence"),
    "potential": _l("Market potential"), "demand_mix": _l("Italy's sales mix"),
    "online_purchase": _l("Online purchases"), "logistics": _l("Logistics"), "gravity": _l("Distances"),
    "gdp": _l("GDP"), "trade_agreements": _l("Trade agreements"), "restrictions": _l("Restrictions"),
    "intermediate": DEMAND_TYPES["intermediate"], "household": DEMAND_TYPES["household"],
    "investment": DEMAND_TYPES["investment"],
    "product_evidence": _l("Where sources say the product sells"), "product_rules": _l("Import rules for the product"),
}
# the library's data-vintage texts (English) -> translated; unknown ones are shown as they are
VINTAGE_TEXTS = {
    "OECD ICIO 2022 (intermediate); household and investment: 2022 estimates":
        _l("OECD ICIO 2022 (business purchases); consumers and investment: 2022 estimates"),
    "forecast model, features of 2022, horizon 2027 (trained on WIOD 1995-2011)":
        _l("forecast model, 2022 data, horizon 2027 (trained on WIOD 1995-2011)"),
    "PPML-FE on OECD ICIO 2022 without Italy": _l("gravity model (PPML) on OECD ICIO 2022, fitted without Italy"),
    "public reports 2003-2025 (district_destinations)": _l("public reports on the districts, 2003-2025"),
    "CEPII GeoDist": _l("CEPII GeoDist"),
    "World Bank Global Findex 2021": _l("World Bank Global Findex 2021"),
    "World Bank LPI 2016": _l("World Bank LPI 2016"),
    "World Bank WDI (latest 2023)": _l("World Bank WDI (latest 2023)"),
    "European Commission DG Trade list, curated 2025": _l("European Commission DG Trade list, curated 2025"),
    "EU restrictive measures, curated (see restricted_markets.as_of)":
        _l("EU restrictive measures, curated (dates in each warning)"),
    "public sources on Italian products 2001-2025 (product_destinations)":
        _l("public sources on Italian products, 2001-2025 (each with its quote)"),
    "import bans and requirements, sourced and dated per row (product_rules)":
        _l("import bans and requirements by product, each with its source and date"),
}
# the capabilities asked by the questionnaire, as short noun phrases (channel prerequisites, missing steps)
CAPABILITIES = {
    "website": _l("own website"),
    "site_foreign_language": _l("site in a foreign language"),
    "online_catalogue": _l("online catalogue"),
    "sells_own_site": _l("e-shop on the own site"),
    "sells_marketplaces": _l("selling on marketplaces"),
    "social_accounts": _l("business social accounts"),
    "paid_ads": _l("paid online ads"),
    "web_analytics": _l("web analytics"),
    "online_payments": _l("online payments"),
    "crm_email": _l("CRM or e-mail marketing"),
    "ships_abroad": _l("parcel shipping abroad"),
    "foreign_language_staff": _l("staff for foreign customers"),
}
# "why we ask", one line per question of recommender.maturity
WHY = {
    "website": _l("Almost every foreign buyer looks the firm up online before writing."),
    "site_foreign_language": _l("A site in the buyer's language is the first sign the firm can serve them."),
    "online_catalogue": _l("Marketplaces and B2B platforms start from a catalogue with prices and photos."),
    "sells_own_site": _l("An own e-shop keeps margins and customer data in the firm."),
    "sells_marketplaces": _l("Marketplace experience opens the large foreign marketplaces quickly."),
    "social_accounts": _l("Social profiles are where many buyers check that a firm is real and active."),
    "paid_ads": _l("Paid ads reach a chosen country from day one; they need a budget and some practice."),
    "web_analytics": _l("Without analytics the firm cannot tell which market responds."),
    "online_payments": _l("Foreign consumers expect to pay online, by card or wallet."),
    "crm_email": _l("Following up contacts turns one enquiry into repeat orders."),
    "ships_abroad": _l("Shipping parcels abroad, with returns and customs, is what online export runs on."),
    "foreign_language_staff": _l("Someone must answer foreign customers quickly, in their language."),
}
FIELDS = {
    "name": _l("Firm name"), "vat_number": _l("Partita IVA"), "ateco": _l("ATECO code"),
    "province": _l("Province or comune"), "district": _l("Industrial district"),
    "customer_type": _l("Customers"), "current_markets": _l("Markets already served"),
    "excluded_markets": _l("Markets to leave out"), "languages": _l("Languages spoken"),
    "employees": _l("Employees"), "maturity_level": _l("Web maturity (estimate)"),
    "maturity_answers": _l("Questionnaire"), "market": _l("Market"), "status": _l("What happened"),
}

# the library's field-error reasons (English) -> translated; patterns for those with numbers in them
REASONS = {
    "not a valid ATECO code (2007, 2022 or 2025 edition)":
        _l("not a valid ATECO code (2007, 2022 or 2025 edition)"),
    "required: the firm's ATECO code, e.g. 23.31 or 14.13": _l("required: the firm's ATECO code, e.g. 23.31 or 14.13"),
    "unknown province: give a sigla (MO), a province name or a comune":
        _l("unknown province: give a sigla (MO), a province name or a comune"),
    "one of province or district is required": _l("give the province (or a comune) or the district"),
    "unknown district": _l("unknown district"),
    "must be b2b, b2c or both": _l("choose businesses, consumers or both"),
    "must be a list of country codes or names": _l("must be a list of country codes or names"),
    "unknown country, or not among the 80 countries the model covers":
        _l("unknown country, or not among the 80 countries the model covers"),
    "must be an ISO 639-1 code such as en, de, fr": _l("must be a two-letter language code such as en, de, fr"),
    "must be a whole number from 0 to 1,000,000": _l("must be a whole number from 0 to 1,000,000"),
    "web maturity is required: maturity_level 1-4 or maturity_answers":
        _l("web maturity is required: pick an estimate or fill in the questionnaire"),
    "must be a whole number from 1 (very low) to 4 (very high)":
        _l("must be a whole number from 1 (very low) to 4 (very high)"),
    "give either maturity_level or maturity_answers, not both":
        _l("the questionnaire already sets the web maturity"),
    "not a valid partita IVA (11 digits, check digit)": _l("not a valid partita IVA (11 digits, check digit)"),
    "services are not covered: the trade model ranks markets for goods (agriculture, mining, manufacturing, "
    "ATECO 01-33)": _l("services are not covered: the trade model ranks markets for goods (agriculture, mining, "
                       "manufacturing, ATECO 01-33)"),
    "unknown field": _l("unknown field"),
    NUL_REASON: _l("contains a character that cannot be stored (NUL)"),
    SURROGATE_REASON: _l("contains a character that is not valid text"),
}
REASON_PATTERNS = [
    (re.compile(r"ambiguous district: matches (\d+) districts"),
     lambda m: _l("ambiguous: matches %(n)s districts", n=m.group(1))),
    (re.compile(r"(\d+) of 12 questions unanswered \(at most (\d+)\)"),
     lambda m: _l("%(n)s of 12 questions unanswered (at most %(max)s)", n=m.group(1), max=m.group(2))),
]


def reason(text: str) -> str:
    """The library's reason in the page language (the English text if it is a new one)."""
    if text in REASONS:
        return str(REASONS[text])
    for pattern, make in REASON_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return str(make(m))
    if text.startswith("must be one of"):
        return str(_l("not one of the allowed values"))
    return text


def error_message(error: FieldError) -> str:
    """The reason in the page language, naming the value that was refused:
    «inglese»: must be a two-letter language code... (two bad languages are two different messages)."""
    text = reason(error.reason)
    value = error.value
    if value is None or value == "" or isinstance(value, (dict, list, tuple)):
        return text
    return f"«{value}»: {text}"


def form_field(error: FieldError) -> str:
    """The form field a library field error belongs to: ``current_markets[2]`` -> ``current_markets``."""
    return re.split(r"[.\[]", error.field or "", maxsplit=1)[0]


def level_label(level) -> str:
    """The web-maturity level's name (1-4) in the page language, as the library names it."""
    try:
        it, en = LEVEL_LABELS[int(level)]
    except (KeyError, TypeError, ValueError):
        return str(level)
    return it if lang() == "it" else en


def question_text(question_id: str) -> str:
    for q in QUESTIONS:
        if q.id == question_id:
            return q.text_it if lang() == "it" else q.text_en
    return _fallback(question_id)


def country_name(code: str) -> str:
    """A country's name in the page language from its ISO code (the code if unknown)."""
    try:
        c = resolve_country(code)
    except LookupFailed:  # an unknown code stays visible as it is
        return str(code)
    return c.name_it if lang() == "it" else c.name_en


def localized(d: dict, field: str):
    """``d[field_it]`` / ``d[field_en]`` for the page language; the plain ``d[field]``
    only on the English page (the library's untranslated texts are English)."""
    value = d.get(f"{field}_{lang()}")
    if value:
        return value
    return d.get(field) if lang() == "en" else None

# The abbreviations the pages use, explained once at the foot of the recommendation.
GLOSSARY = (
    ("ATECO", _l("the Italian classification of economic activities (ISTAT), the Italian version of the EU's NACE")),
    ("ICIO", _l("OECD Inter-Country Input-Output tables: what each country's sector sells to each other "
                "country; here the flows of 2022 between 80 countries")),
    ("WIOD", _l("World Input-Output Database: the same kind of table for 1995-2011, used to learn how "
                "shares change over five years")),
    ("PPML", _l("Poisson pseudo-maximum likelihood: the gravity model that says how much trade a market should "
                "have given its size, distance, language and borders")),
    ("CEPII", _l("French research centre whose distances, languages and borders between countries are used")),
    ("LPI", _l("World Bank Logistics Performance Index (2016): how easily goods move in and out of a country")),
    ("Findex", _l("World Bank Global Findex (2021): share of adults who bought something online")),
    ("B2B / B2C", _l("selling to businesses / selling to consumers")),
    ("HS", _l("Harmonized System: the customs codes of goods, used to tie an ATECO code to products")),
    ("FBA", _l("Fulfilment by Amazon: Amazon stores the goods, ships them and handles returns")),
    ("RFQ", _l("Request for quotation: on B2B platforms a buyer posts what it needs and sellers send offers")),
)

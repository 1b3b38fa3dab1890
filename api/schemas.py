"""Request and response schemas (marshmallow) for validation and the OpenAPI spec.

Shapes are checked here; meaning (ATECO codes, provinces, markets, maturity)
is checked by the library, whose field errors come back as 422 too.
"""

import re
from functools import lru_cache

import orjson
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.vat import is_valid_partita_iva
from recommender.errors import InvalidInput
from recommender.maturity import QUESTION_IDS
from recommender.outcomes.exploration import MAX_SHARE
from recommender.recommend import FirmProfile
from recommender.recommend.profile import KNOWN_FIELDS, MAX_LANGUAGES, MAX_LENGTHS, MAX_MARKET_LENGTH, MAX_MARKETS


@lru_cache(maxsize=4096)
def _profile_from_json(key: bytes) -> FirmProfile:
    return FirmProfile.from_dict(orjson.loads(key))


def firm_profile(data: dict) -> FirmProfile:
    """FirmProfile.from_dict, remembered for recently seen profiles (FirmProfile is
    immutable; invalid input raises InvalidInput every time and is not cached)."""
    return _profile_from_json(orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str))


class WholeNumber(fields.Integer):
    """An integer; 2.5 is an error, not silently 2 (marshmallow's Integer truncates)."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class MaturityAnswers(Schema):
    class Meta:
        unknown = RAISE

    locals().update({q: fields.Boolean(allow_none=True) for q in QUESTION_IDS})


class FirmProfileIn(Schema):
    """A firm profile: ATECO, province or district, web maturity (level or answers)."""

    class Meta:
        unknown = RAISE

    # the size limits are the library's (recommender.recommend.profile), stated once
    name = fields.String(validate=validate.Length(max=MAX_LENGTHS["name"]), metadata={"example": "Ceramiche Rossi srl"})
    ateco = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTHS["ateco"]),
                          metadata={"example": "23.31"})
    province = fields.String(validate=validate.Length(max=MAX_LENGTHS["province"]), metadata={"example": "MO"})
    district = fields.String(validate=validate.Length(max=MAX_LENGTHS["district"]),
                             metadata={"example": "piastrelle-di-sassuolo"})
    customer_type = fields.String(validate=validate.OneOf(["b2b", "b2c", "both"]))
    current_markets = fields.List(fields.String(validate=validate.Length(max=MAX_MARKET_LENGTH)),
                                  validate=validate.Length(max=MAX_MARKETS))
    excluded_markets = fields.List(fields.String(validate=validate.Length(max=MAX_MARKET_LENGTH)),
                                   validate=validate.Length(max=MAX_MARKETS))
    languages = fields.List(fields.String(validate=validate.Length(max=10)), validate=validate.Length(max=MAX_LANGUAGES))
    employees = WholeNumber(validate=validate.Range(min=0, max=1_000_000))
    maturity_level = WholeNumber(validate=validate.Range(min=1, max=4))
    maturity_answers = fields.Nested(MaturityAnswers)

    #: check meaning (ATECO, province, markets, maturity) with the library too, so
    #: one response lists shape and meaning errors together (FirmPatch: False,
    #: its merged profile is checked in the view)
    CHECK_MEANING = True

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _meaning(self, data, original_data, **_kwargs):
        """Library errors for the fields whose shape was right (a field with a
        shape error is reported once, with that error)."""
        if not self.CHECK_MEANING or not isinstance(original_data, dict):
            return
        profile = {k: v for k, v in data.items() if k in KNOWN_FIELDS}
        try:
            firm_profile(profile)
        except InvalidInput as exc:
            messages: dict[str, list] = {}
            for err in exc.errors:
                d = err.as_dict()
                root = re.split(r"[.\[]", d["field"])[0]
                if root in original_data and root not in data:
                    continue  # already reported by its field
                messages.setdefault(d["field"] or "_schema", []).append(d)
            if messages:
                raise ValidationError(messages)


class RecommendQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    lang = fields.String(load_default="it", validate=validate.OneOf(["it", "en"]))
    k = fields.Integer(load_default=10, validate=validate.Range(min=1, max=30))


class FirmRecommendQuery(RecommendQuery):
    explore = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=0.0, max=MAX_SHARE),
                           metadata={"description": f"share of the k markets (0 to {MAX_SHARE}) given to markets whose "
                                                    "outcomes are still uncertain, for this request; default "
                                                    "EXPLORATION_SHARE_API (0.1)"})


class Recommendation(Schema):
    """A recommendation (see the README for every part)."""

    firm = fields.Dict()
    product = fields.Dict(metadata={"description": "the firm's product: ATECO class, product family, end use (UN BEC), "
                                                   "default customer type, finest ICIO sector (parts_sector) and the "
                                                   "harmonised sector of the forecast; each market's figures_for says "
                                                   "which sector or product each part is measured on. from_division: "
                                                   "only an ATECO division was given and a class stands in; chosen_by: "
                                                   "class | subcategory | district (the firm's district said which "
                                                   "product) | division (the division's largest class)"})
    maturity = fields.Dict()
    demand_weights = fields.Dict(keys=fields.String(), values=fields.Float())
    markets = fields.List(fields.Dict(), metadata={
        "description": "best first; each market's `outcome` (null when nothing moved it) gives `prior_score` (the "
                       "market model's score), `registry` (where firms of the same product registered with the "
                       "Chambers already sell: level local or national, firms, firms_selling (null below 5), lift, "
                       "factor; the firm's own row left out), `reweighting`, `lift` and `evidence` of recorded "
                       "outcomes; the `score` shown is prior_score × registry factor × outcome factor"})
    horizons = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    excluded_markets = fields.List(fields.Dict())
    channels = fields.List(fields.Dict())
    next_steps = fields.List(fields.Dict())
    scoring = fields.Dict()
    model_version = fields.String()
    outcomes = fields.Dict(metadata={"description": "the outcome model serving (version, learned_from, view: "
                                                   "chamber or shared, explore_share); null fields without one"})
    data_vintages = fields.Dict()
    exchange_rate = fields.Dict(allow_none=True, metadata={
        "description": "the ECB's average euro reference rate of the trade data's year (year, usd_per_eur, days, "
                       "source_title, source_url, data_url, quote, as_of): amounts in the reasons are in USD "
                       "millions with their euro value at the rate of each figure's year"})
    lang = fields.String()


class BatchIn(Schema):
    class Meta:
        unknown = RAISE

    # at most BATCH_MAX_ROWS rows: more is a 413, for JSON and CSV alike (checked in the view)
    # rows are checked one by one in the view: a row that is not an object is that row's error only
    firms = fields.List(fields.Raw(allow_none=True, metadata={"type": "object"}), required=True,
                        validate=validate.Length(min=1),
                        metadata={"maxItems": 1000})


class BatchRow(Schema):
    row = fields.Integer()
    ok = fields.Boolean()
    result = fields.Nested(Recommendation, allow_none=True)
    errors = fields.List(fields.Dict(), allow_none=True)


class BatchOut(Schema):
    rows = fields.List(fields.Nested(BatchRow))
    ok = fields.Integer()
    failed = fields.Integer()
    model_version = fields.String()


def _partita_iva(value: str) -> None:
    if len(value) == 11 and not is_valid_partita_iva(value):
        raise ValidationError("not a valid partita IVA (11 digits, check digit)")


class FirmIn(FirmProfileIn):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    vat_number = fields.String(validate=[validate.Length(equal=11), _partita_iva], allow_none=True,
        metadata={"description": "partita IVA, 11 digits, checksum validated"})


class FirmPatch(FirmIn):
    class Meta:
        unknown = RAISE

    CHECK_MEANING = False

    name = fields.String(validate=validate.Length(min=1, max=200))
    ateco = fields.String(validate=validate.Length(min=1, max=20))


class FirmOut(Schema):
    id = fields.Integer()
    name = fields.String()
    vat_number = fields.String(allow_none=True)
    profile = fields.Dict()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class Page(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class PageOut(Schema):
    """A page of a list; ``next`` is the URL of the following page, null on the last
    (the same URL is in the ``Link: <...>; rel="next"`` header)."""

    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
    next = fields.String(allow_none=True)


class FirmList(PageOut):
    items = fields.List(fields.Nested(FirmOut))


class StoredRecommendationOut(Schema):
    id = fields.Integer()
    firm_id = fields.Integer()
    model_version = fields.String()
    created_at = fields.DateTime()
    result = fields.Nested(Recommendation)


class HistoryOut(PageOut):
    items = fields.List(fields.Nested(StoredRecommendationOut))


class FeedbackIn(Schema):
    class Meta:
        unknown = RAISE

    firm_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    market = fields.String(required=True, validate=validate.Length(min=2, max=60))
    channel_id = fields.String(validate=validate.Length(max=64), allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["planned", "started", "first_sale", "abandoned"]))
    date = fields.Date(required=True)
    revenue_band = fields.String(validate=validate.OneOf(["<10k", "10k-50k", "50k-250k", "250k-1m", ">1m"]),
                                 allow_none=True)
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)
    impression_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), allow_none=True, metadata={
        "description": "the impression (GET /impressions) this outcome follows; it must be of the same firm "
                       "and show the market. Default: the firm's latest impression showing the market"})


class FeedbackOut(Schema):
    id = fields.Integer()
    firm_id = fields.Integer()
    market = fields.String()
    channel_id = fields.String(allow_none=True)
    status = fields.String()
    date = fields.Date()
    revenue_band = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    impression_id = fields.Integer(allow_none=True, metadata={
        "description": "the impression this outcome follows (null if the market was never shown to the firm)"})
    position = fields.Integer(allow_none=True, metadata={
        "description": "the market's rank in that impression (1 = first), null without one"})


class FeedbackList(PageOut):
    items = fields.List(fields.Nested(FeedbackOut))


class ImpressionQuery(Page):
    firm_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "only this firm's impressions (404 if not the caller's)"})


class FeedbackQuery(Page):
    firm_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "only this firm's feedback (404 if not the caller's)"})


class ImpressionChannel(Schema):
    channel_id = fields.String()
    rank = fields.Integer()
    score = fields.Float()
    prior_score = fields.Float()


class ImpressionMarket(Schema):
    iso3 = fields.String()
    rank = fields.Integer(metadata={"description": "position shown (1 = first)"})
    score = fields.Float(metadata={"description": "the score shown"})
    prior_score = fields.Float(metadata={"description": "the market model's score times the registry factor, "
                                                        "before outcome adjustments (what trials are measured "
                                                        "against)"})
    explored = fields.Boolean(metadata={"description": "shown in an exploration slot"})
    parts = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={
        "description": "the parts of the market score when shown (peers, forecast, unrealised, evidence, product) "
                       "and `registry`, the log of the registry factor (where registered firms sell; absent: none): "
                       "what the outcome model re-weighs; absent from impressions logged before they were kept"})
    channels = fields.List(fields.Nested(ImpressionChannel))


class ImpressionOut(Schema):
    """What a firm was shown (markets, positions, scores, channels) and the firm's context then."""

    id = fields.Integer()
    firm_id = fields.Integer()
    recommendation_id = fields.Integer(allow_none=True, metadata={
        "description": "the stored recommendation it came with; null once trimmed from the history"})
    surface = fields.String(metadata={"description": "api or web"})
    model_version = fields.String()
    outcome_version = fields.String(allow_none=True)
    sector = fields.String()
    division = fields.String()
    district = fields.String(allow_none=True)
    province = fields.String(allow_none=True)
    locality = fields.String(allow_none=True)
    maturity_level = fields.Integer()
    size_class = fields.String()
    customer_type = fields.String()
    markets = fields.List(fields.Nested(ImpressionMarket))
    created_at = fields.DateTime()


class ImpressionList(PageOut):
    items = fields.List(fields.Nested(ImpressionOut))


class SearchQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=100))


class ItemList(Schema):
    items = fields.List(fields.Dict())
    total = fields.Integer()

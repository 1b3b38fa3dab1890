"""Digital channels for a market and a product: which, in what order, and what it takes.

A channel is offered for a market only if

- it operates there (its country list, or ``*`` minus its exclusions);
- it carries the product: the product's family is in its families (or it is
  generic, ``*``), one of the product's main end uses (BEC share of at least
  25 %) is among the channel's end uses, and no seller rule of the platform
  bars the family in that market (``channel_rules``, each with its source:
  Amazon.com has no wine marketplace, TikTok Shop bans alcohol...);
- it reaches the firm's customers: a B2C firm gets consumer channels; a B2B
  firm selling consumer goods gets wholesale channels, one selling inputs gets
  industrial and specifier channels (architects for tiles, stone, furniture),
  one selling capital goods gets industrial channels;
- the firm is not smaller than the channel needs (``min_employees``, when
  the size is known).

Ranking is explicit:

    score = 0.4 audience fit + 0.2 product fit + 0.2 country specificity + 0.2 reachable now

- audience fit: the best of the channel's audiences for the firm (see
  :data:`AUDIENCE_FIT`);
- product fit: a channel listing the product family 1.0, a generic one 0.6;
- country specificity: a local channel 1.0, a global one 0.5;
- reachable now: 1 if the firm's maturity level is at least the channel's
  minimum and (when the questionnaire was answered) it already has the
  channel's prerequisites; otherwise 0 and the missing steps are listed.

Reachability only grows with maturity, so raising maturity never removes a
reachable channel from the eligible list. :func:`channel_exclusions` says,
for a market, which channels that operate there cannot carry the product, and
why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from recommender.data import load_table
from recommender.maturity import QUESTION_IDS

WEIGHTS = {"audience": 0.4, "product": 0.2, "specificity": 0.2, "reachable": 0.2}
MAIN_END_USE = 0.25  # an end use with at least this share of the product's HS codes counts...
CONSUMER_USE = 0.05  # ...consumption from 5 %: a product some households buy can go to consumer channels
# (customer type, product end use) -> audience -> fit
AUDIENCE_FIT: dict[tuple[str, str], dict[str, float]] = {
    ("b2c", "consumption"): {"b2c": 1.0}, ("b2c", "intermediate"): {"b2c": 1.0}, ("b2c", "capital"): {"b2c": 1.0},
    ("b2b", "consumption"): {"b2b_wholesale": 1.0, "specifiers": 0.8},
    ("b2b", "intermediate"): {"b2b_industrial": 1.0, "specifiers": 1.0, "b2b_wholesale": 0.7},
    ("b2b", "capital"): {"b2b_industrial": 1.0, "b2b_wholesale": 0.5},
}


class ChannelFit(NamedTuple):
    """What channel choice takes of the product: its family and its main end uses."""
    family: str
    end_uses: tuple[str, ...]


def channel_fit(product) -> ChannelFit:
    """The :class:`ChannelFit` of a :class:`recommender.products.ProductProfile`."""
    return ChannelFit(product.family, main_end_uses(dict(product.end_use_shares)) or
                      ((product.end_use,) if product.end_use else ()))


def main_end_uses(shares: dict[str, float]) -> tuple[str, ...]:
    """The end uses that count for channel choice (see MAIN_END_USE, CONSUMER_USE)."""
    return tuple(u for u in ("consumption", "intermediate", "capital")
                 if shares.get(u, 0.0) >= (CONSUMER_USE if u == "consumption" else MAIN_END_USE))


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    name_it: str
    name_en: str
    type: str
    audience: tuple[str, ...]
    countries: tuple[str, ...]        # ("*",) = everywhere but excluded
    excluded_countries: tuple[str, ...]
    families: tuple[str, ...]         # ("*",) = any product family
    end_uses: tuple[str, ...]
    min_maturity: int
    min_employees: int
    setup_effort: str
    cost_it: str
    cost_en: str
    setup_time_it: str
    setup_time_en: str
    requirements_it: str
    requirements_en: str
    prerequisites: tuple[str, ...]
    italy_programme: str
    as_of: str
    source_title: str
    source_url: str

    @property
    def is_global(self) -> bool:
        return self.countries == ("*",)


@dataclass(frozen=True)
class ChannelRule:
    """A product family the platform bars in ``countries`` (``*``: everywhere) except in
    ``except_countries`` (a platform that lists only where it allows the family)."""
    channel_id: str
    family: str
    countries: tuple[str, ...]
    rule_it: str
    rule_en: str
    source_url: str
    quote: str
    as_of: str
    except_countries: tuple[str, ...] = ()

    def bars(self, iso3: str) -> bool:
        return ("*" in self.countries or iso3 in self.countries) and iso3 not in self.except_countries


def _split(v) -> tuple[str, ...]:
    return tuple(x for x in str(v).split(";") if x) if isinstance(v, str) else ()


def _text(v) -> str:
    return v if isinstance(v, str) else ""


@lru_cache(maxsize=1)
def load_catalogue() -> tuple[Channel, ...]:
    rows = load_table("channels").to_dict("records")
    return tuple(Channel(r["channel_id"], r["name"], r["name_it"], r["name_en"], r["type"], _split(r["audience"]),
                         _split(r["countries"]), _split(r["excluded_countries"]), _split(r["families"]),
                         _split(r["end_uses"]), int(r["min_maturity"]), int(r["min_employees"]), r["setup_effort"],
                         r["cost_it"], r["cost_en"], r["setup_time_it"], r["setup_time_en"], r["requirements_it"],
                         r["requirements_en"], _split(r["prerequisites"]), _text(r["italy_programme"]), r["as_of"],
                         r["source_title"], _text(r["source_url"])) for r in rows)


@lru_cache(maxsize=1)
def load_rules() -> dict[str, tuple[ChannelRule, ...]]:
    """channel id -> the product rules its platform applies."""
    out: dict[str, list[ChannelRule]] = {}
    for r in load_table("channel_rules").to_dict("records"):
        out.setdefault(r["channel_id"], []).append(ChannelRule(
            r["channel_id"], r["family"], _split(r["countries"]), r["rule_it"], r["rule_en"], r["source_url"],
            r["quote"], str(r["as_of"]), _split(r["except_countries"])))
    return {k: tuple(v) for k, v in out.items()}


def operates_in(channel: Channel, iso3: str) -> bool:
    if iso3 in channel.excluded_countries:
        return False
    return channel.is_global or iso3 in channel.countries


def barring_rule(channel: Channel, family: str, iso3: str) -> ChannelRule | None:
    """The platform's rule that bars the family in that market, if any."""
    for r in load_rules().get(channel.channel_id, ()):
        if r.family == family and r.bars(iso3):
            return r
    return None


def carries(channel: Channel, fit: ChannelFit) -> bool:
    """The channel sells the product's family and one of its main end uses (rules per market apart)."""
    family_ok = channel.families == ("*",) or fit.family in channel.families
    return family_ok and (not fit.end_uses or bool(set(fit.end_uses) & set(channel.end_uses)))


def audience_fit(channel: Channel, customer_type: str, fit: ChannelFit) -> float:
    """How well the channel's audiences reach the firm's customers (0 = not at all)."""
    customers = ("b2c", "b2b") if customer_type == "both" else (customer_type,)
    uses = fit.end_uses or ("consumption",)
    best = 0.0
    for cust in customers:
        for use in uses:
            table = AUDIENCE_FIT[(cust, use)]
            best = max(best, max((table.get(a, 0.0) for a in channel.audience), default=0.0))
    # a "both" firm is served best by a channel reaching both kinds of customer
    return best if customer_type != "both" or len(channel.audience) > 1 else min(best, 0.85)


def _missing(channel: Channel, level: int, yes: frozenset | None) -> tuple[str, ...]:
    """The rule of :func:`missing_steps` on the maturity's key (level, capabilities answered yes or None)."""
    if yes is not None:
        return tuple(p for p in channel.prerequisites if p not in yes)
    return () if level >= channel.min_maturity else channel.prerequisites


def _reachable(channel: Channel, level: int, yes: frozenset | None, missing: tuple[str, ...]) -> bool:
    return level >= channel.min_maturity and (yes is None or not missing)


def missing_steps(channel: Channel, maturity) -> tuple[str, ...]:
    """Capabilities the firm lacks for this channel (all prerequisites when only a level is known)."""
    return _missing(channel, *_maturity_key(maturity))


def is_reachable(channel: Channel, maturity) -> bool:
    level, yes = _maturity_key(maturity)
    return _reachable(channel, level, yes, _missing(channel, level, yes))


def _maturity_key(maturity) -> tuple[int, frozenset | None]:
    answers = getattr(maturity, "answers", None) or {}
    return maturity.level, (frozenset(k for k, v in answers.items() if v) if answers else None)


class MaturityKey:
    """The parts of a maturity channel choice depends on: the level and, when
    the questionnaire was answered, which capabilities the firm has (hashable key)."""

    def __init__(self, level: int, yes: frozenset | None):
        self.level = level
        self.answers = {} if yes is None else {q: (q in yes) for q in QUESTION_IDS}


def channels_for_market(iso3: str, fit: ChannelFit, customer_type: str, maturity, k: int | None = 3,
                        employees: int | None = None) -> list[dict]:
    """Ranked channel suggestions for one market (JSON-ready dicts), at most ``k`` (None = all eligible)."""
    ranked = _ranked(iso3, fit, customer_type, *_maturity_key(maturity), employees)
    return list(ranked if k is None else ranked[:k])


@lru_cache(maxsize=65536)
def top_channel_ids(iso3: str, fit: ChannelFit, customer_type: str, level: int, yes: frozenset | None,
                    k: int = 3, employees: int | None = None) -> tuple[str, ...]:
    """The ids of :func:`channels_for_market`'s first ``k`` channels (maturity as its key), cheaply."""
    return tuple(c.channel_id for c, _, _, _ in _order(iso3, fit, customer_type, level, yes, employees)[:k])


@lru_cache(maxsize=8192)
def _eligible(iso3: str, fit: ChannelFit, customer_type: str, employees: int | None) -> tuple[tuple[Channel, float], ...]:
    """The channels offered in the market for the product and customer type, with their
    score before reachability (what does not depend on the firm's maturity)."""
    return tuple((c, score) for c, score in _suited(fit, customer_type, employees)
                 if operates_in(c, iso3) and barring_rule(c, fit.family, iso3) is None)


@lru_cache(maxsize=4096)
def _suited(fit: ChannelFit, customer_type: str, employees: int | None) -> tuple[tuple[Channel, float], ...]:
    """The catalogue's channels (in its order) that carry the product, reach the firm's customers
    and take a firm of its size, with their score before reachability: what :func:`_eligible`
    keeps wherever the market allows, worked out once for all markets (a product's first firm
    asks for dozens of markets)."""
    out = []
    for c in load_catalogue():
        if not carries(c, fit) or (employees is not None and employees < c.min_employees):
            continue
        aud = audience_fit(c, customer_type, fit)
        if aud == 0:
            continue
        out.append((c, WEIGHTS["audience"] * aud + WEIGHTS["product"] * (1.0 if c.families != ("*",) else 0.6)
                    + WEIGHTS["specificity"] * (0.5 if c.is_global else 1.0)))
    return tuple(out)


@lru_cache(maxsize=8192)
def channel_exclusions(iso3: str, fit: ChannelFit) -> tuple[dict, ...]:
    """Channels that operate in the market but may not carry the product there: a seller rule of
    the platform (with its source) or a category the platform does not sell."""
    out = []
    for c in load_catalogue():
        if not operates_in(c, iso3):
            continue
        rule = barring_rule(c, fit.family, iso3)  # generic channels too: Google Ads for wine in Norway
        if rule is not None:
            out.append({"channel_id": c.channel_id, "name": c.name, "reason": "seller_rule", "rule_it": rule.rule_it,
                        "rule_en": rule.rule_en, "source_url": rule.source_url, "quote": rule.quote,
                        "as_of": rule.as_of})
    return tuple(out)


def _order(iso3: str, fit: ChannelFit, customer_type: str, level: int, yes: frozenset | None,
           employees: int | None = None) -> list[tuple]:
    """[(channel, score, reachable, missing steps)], best first (score, then channel id)."""
    out = []
    for c, base in _eligible(iso3, fit, customer_type, employees):
        missing = _missing(c, level, yes)
        reachable = _reachable(c, level, yes, missing)
        out.append((c, round(base + WEIGHTS["reachable"] * reachable, 3), reachable, missing))
    out.sort(key=lambda t: (-t[1], t[0].channel_id))
    return out


@lru_cache(maxsize=65536)
def _ranked(iso3: str, fit: ChannelFit, customer_type: str, level: int, yes: frozenset | None,
            employees: int | None = None) -> tuple[dict, ...]:
    return tuple({"channel_id": c.channel_id, "name": c.name, "name_it": c.name_it, "name_en": c.name_en,
                  "type": c.type, "audience": list(c.audience), "generic": c.families == ("*",),
                  "reachable": reachable, "score": score, "min_maturity": c.min_maturity,
                  "steps_to_reach": [] if reachable else list(missing),
                  "prerequisites": list(c.prerequisites),
                  "setup_effort": c.setup_effort, "cost_it": c.cost_it, "cost_en": c.cost_en,
                  "setup_time_it": c.setup_time_it, "setup_time_en": c.setup_time_en,
                  "requirements_it": c.requirements_it, "requirements_en": c.requirements_en,
                  "italy_programme": c.italy_programme or None,
                  "as_of": c.as_of, "source_title": c.source_title, "source_url": c.source_url or None}
                 for c, score, reachable, missing in _order(iso3, fit, customer_type, level, yes, employees))


def overall_channels(markets: list[str], fit: ChannelFit, customer_type: str, maturity, k: int = 5,
                     employees: int | None = None) -> list[dict]:
    """Channels across the recommended markets: ranked by how many of the
    markets they serve, then by their per-market score."""
    return list(_overall(tuple(markets), fit, customer_type, *_maturity_key(maturity), k, employees))


@lru_cache(maxsize=16384)
def _overall(markets: tuple[str, ...], fit: ChannelFit, customer_type: str, level: int, yes, k: int,
             employees: int | None) -> tuple[dict, ...]:
    return tuple(tally_channels({iso3: _ranked(iso3, fit, customer_type, level, yes, employees)
                                 for iso3 in markets}, k))


def tally_channels(per_market: dict, k: int = 5) -> list[dict]:
    """Channels across markets ({iso3: that market's ranked channel dicts}): ranked by how
    many of the markets they serve times their score; each with the list of its markets."""
    tally: dict[str, dict] = {}
    for iso3, channels in per_market.items():
        for c in channels:
            t = tally.setdefault(c["channel_id"], {**c, "markets": []})
            t["markets"].append(iso3)
    return sorted(tally.values(), key=lambda d: (-len(d["markets"]) * d["score"], d["channel_id"]))[:k]

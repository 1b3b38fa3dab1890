"""Digital channels for a market: which, in what order, and what it takes.

A channel is offered for a market only if it operates there (its country
list, or ``*`` minus its exclusions), fits the firm's sector (its list or
``*``) and is not B2C-only for a B2B firm or B2B-only for a B2C firm (those
get the mixed-audience and own-audience channels). Ranking is explicit:

    score = 0.4 audience fit + 0.2 sector fit + 0.2 country specificity + 0.2 reachable now

- audience fit: same audience 1.0, "both" 0.7 (a "both" firm: any 0.85);
- sector fit: listed sector 1.0, any-sector channel 0.6;
- country specificity: a local channel 1.0, a global one 0.5;
- reachable now: 1 if the firm's maturity level is at least the channel's
  minimum and (when the questionnaire was answered) it already has the
  channel's prerequisites; otherwise 0 and the missing steps are listed.

Reachability only grows with maturity, so raising maturity never removes a
reachable channel from the eligible list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from recommender.data import load_table
from recommender.maturity import QUESTION_IDS

WEIGHTS = {"audience": 0.4, "sector": 0.2, "specificity": 0.2, "reachable": 0.2}



@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    type: str
    audience: str
    countries: tuple[str, ...]        # ("*",) = everywhere but excluded
    excluded_countries: tuple[str, ...]
    sector_fit: tuple[str, ...]       # ("*",) = any sector
    min_maturity: int
    setup_effort: str
    cost_model: str
    requirements_it: str
    requirements_en: str
    prerequisites: tuple[str, ...]
    as_of: str
    source_note: str

    @property
    def is_global(self) -> bool:
        return self.countries == ("*",)


def _split(v) -> tuple[str, ...]:
    return tuple(x for x in str(v).split(";") if x) if isinstance(v, str) else ()


@lru_cache(maxsize=1)
def load_catalogue() -> tuple[Channel, ...]:
    rows = load_table("channels").to_dict("records")
    return tuple(Channel(r["channel_id"], r["name"], r["type"], r["audience"], _split(r["countries"]),
                         _split(r["excluded_countries"]), _split(r["sector_fit"]), int(r["min_maturity"]),
                         r["setup_effort"], r["cost_model"], r["requirements_it"], r["requirements_en"],
                         _split(r["prerequisites"]), r["as_of"], r["source_note"]) for r in rows)


def operates_in(channel: Channel, iso3: str) -> bool:
    if iso3 in channel.excluded_countries:
        return False
    return channel.is_global or iso3 in channel.countries


def fits_sector(channel: Channel, model_sector: str) -> bool:
    return channel.sector_fit == ("*",) or model_sector in channel.sector_fit


def audience_fit(channel: Channel, customer_type: str) -> float:
    if customer_type == "both":
        return 1.0 if channel.audience == "both" else 0.85
    if channel.audience == customer_type:
        return 1.0
    return 0.7 if channel.audience == "both" else 0.0


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


def channels_for_market(iso3: str, model_sector: str, customer_type: str, maturity, k: int | None = 3) -> list[dict]:
    """Ranked channel suggestions for one market (JSON-ready dicts), at most ``k`` (None = all eligible)."""
    ranked = _ranked(iso3, model_sector, customer_type, *_maturity_key(maturity))
    return list(ranked if k is None else ranked[:k])


@lru_cache(maxsize=65536)
def top_channel_ids(iso3: str, model_sector: str, customer_type: str, level: int, yes: frozenset | None,
                    k: int = 3) -> tuple[str, ...]:
    """The ids of :func:`channels_for_market`'s first ``k`` channels (maturity as its key), cheaply."""
    return tuple(c.channel_id for c, _, _, _ in _order(iso3, model_sector, customer_type, level, yes)[:k])


@lru_cache(maxsize=8192)
def _eligible(iso3: str, model_sector: str, customer_type: str) -> tuple[tuple[Channel, float], ...]:
    """The channels offered in the market to the sector and customer type, with
    their score before reachability (what does not depend on the firm's maturity)."""
    out = []
    for c in load_catalogue():
        if not operates_in(c, iso3) or not fits_sector(c, model_sector):
            continue
        aud = audience_fit(c, customer_type)
        if aud == 0:
            continue
        out.append((c, WEIGHTS["audience"] * aud + WEIGHTS["sector"] * (1.0 if c.sector_fit != ("*",) else 0.6)
                    + WEIGHTS["specificity"] * (0.5 if c.is_global else 1.0)))
    return tuple(out)


def _order(iso3: str, model_sector: str, customer_type: str, level: int, yes: frozenset | None) -> list[tuple]:
    """[(channel, score, reachable, missing steps)], best first (score, then channel id)."""
    out = []
    for c, base in _eligible(iso3, model_sector, customer_type):
        missing = _missing(c, level, yes)
        reachable = _reachable(c, level, yes, missing)
        out.append((c, round(base + WEIGHTS["reachable"] * reachable, 3), reachable, missing))
    out.sort(key=lambda t: (-t[1], t[0].channel_id))
    return out


@lru_cache(maxsize=65536)
def _ranked(iso3: str, model_sector: str, customer_type: str, level: int, yes: frozenset | None) -> tuple[dict, ...]:
    return tuple({"channel_id": c.channel_id, "name": c.name, "type": c.type, "audience": c.audience,
                  "reachable": reachable, "score": score, "min_maturity": c.min_maturity,
                  "steps_to_reach": [] if reachable else list(missing),
                  "prerequisites": list(c.prerequisites),
                  "setup_effort": c.setup_effort, "cost_model": c.cost_model,
                  "requirements_it": c.requirements_it, "requirements_en": c.requirements_en,
                  "as_of": c.as_of, "source_note": c.source_note}
                 for c, score, reachable, missing in _order(iso3, model_sector, customer_type, level, yes))


def overall_channels(markets: list[str], model_sector: str, customer_type: str, maturity, k: int = 5) -> list[dict]:
    """Channels across the recommended markets: ranked by how many of the
    markets they serve, then by their per-market score."""
    return list(_overall(tuple(markets), model_sector, customer_type, *_maturity_key(maturity), k))


@lru_cache(maxsize=16384)
def _overall(markets: tuple[str, ...], model_sector: str, customer_type: str, level: int, yes, k: int) -> tuple[dict, ...]:
    return tuple(tally_channels({iso3: _ranked(iso3, model_sector, customer_type, level, yes) for iso3 in markets}, k))


def tally_channels(per_market: dict, k: int = 5) -> list[dict]:
    """Channels across markets ({iso3: that market's ranked channel dicts}): ranked by how
    many of the markets they serve times their score; each with the list of its markets."""
    tally: dict[str, dict] = {}
    for iso3, channels in per_market.items():
        for c in channels:
            t = tally.setdefault(c["channel_id"], {**c, "markets": []})
            t["markets"].append(iso3)
    return sorted(tally.values(), key=lambda d: (-len(d["markets"]) * d["score"], d["channel_id"]))[:k]

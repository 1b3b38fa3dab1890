"""Shapes a recommendation result for the templates, defensively.

The recommender's result is read generically: the score parts are the keys
of ``result["scoring"]["weights"]``; markets may or may not carry
``horizon``/``needs_level`` (then they are shown in two groups) or
``district_evidence``; anything missing is simply not shown. Nothing here
scores or ranks: it only groups, labels and lays out what the library said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.web import i18n
from recommender import maturity

# colour-blind-safe palette (Okabe-Ito), dark enough for white text
PALETTE = ("#0b5394", "#b45f06", "#38761d", "#741b47", "#5b5b5b", "#7f6000", "#134f5c", "#990000")


@dataclass
class Segment:
    key: str
    label: str
    value: float        # the part, 0-1
    weight: float
    x: float
    width: float
    color: str


@dataclass
class Bar:
    iso3: str
    name: str
    y: float
    score: float | None
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    """A horizontal stacked bar per market: each segment is weight x part, so the
    bar's length is the score (out of 100) when the weights add up to one."""

    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int
    bars: list[Bar]
    legend: list[tuple[str, str, float]]   # (label, colour, weight)
    ticks: list[tuple[float, int]]         # (x, value)


def part_keys(result: dict) -> list[str]:
    weights = (result.get("scoring") or {}).get("weights") or {}
    return [k for k in weights if isinstance(weights[k], (int, float))]


def part_value(market: dict, key: str) -> float | None:
    value = (market.get("parts") or {}).get(key)
    return float(value) if isinstance(value, (int, float)) else None


def score_chart(result: dict, label_width: int = 170, plot_width: int = 600, bar_height: int = 18,
                gap: int = 8) -> Chart:
    # a part the fitted weights leave out (weight 0) draws nothing: no colour, no legend entry
    keys = [k for k in part_keys(result) if result["scoring"]["weights"][k] > 0]
    weights = result["scoring"]["weights"] if keys else {}
    total_w = sum(weights[k] for k in keys) or 1.0
    colors = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}
    bars, top = [], 22
    for i, m in enumerate(result.get("markets") or []):
        y = top + i * (bar_height + gap)
        # the bar is the evidence score out of 100; an outcome factor is shown beside the market, not here
        score = (m.get("outcome") or {}).get("prior_score", m.get("score"))
        bar = Bar(m.get("iso3", "?"), i18n.localized(m, "name") or m.get("iso3", "?"), y, score)
        x = float(label_width)
        for k in keys:
            v = part_value(m, k)
            if v is None:
                continue
            w = plot_width * weights[k] / total_w * max(0.0, min(1.0, v))
            bar.segments.append(Segment(k, i18n.label(i18n.SCORE_PARTS, k), v, weights[k], x, w, colors[k]))
            x += w
        bars.append(bar)
    height = top + len(bars) * (bar_height + gap) + 10
    ticks = [(label_width + plot_width * t / 100, t) for t in (0, 25, 50, 75, 100)]
    legend = [(i18n.label(i18n.SCORE_PARTS, k), colors[k], weights[k]) for k in keys]
    return Chart(label_width + plot_width + 50, height, label_width, plot_width, bar_height, bars, legend, ticks)


def market_groups(markets: list[dict]) -> list[tuple[str | None, list[dict]]]:
    """[(group title or None, markets)]: "now" then "prepare" when markets carry a
    horizon, else one untitled group. Unknown horizons form their own group."""
    if not any("horizon" in m for m in markets):
        return [(None, markets)]
    order = ["now", "prepare"] + sorted({m.get("horizon") for m in markets} - {"now", "prepare", None})
    groups = []
    for h in order:
        members = [m for m in markets if m.get("horizon") == h]
        if members:
            groups.append((i18n.label(i18n.HORIZONS, h), members))
    rest = [m for m in markets if m.get("horizon") is None]
    if rest:
        groups.append((None, rest))
    return groups


def market_choices(result: dict | None) -> list[tuple[str, str]]:
    """(iso3, name) of a recommendation's markets, for the outcome form."""
    return [(m["iso3"], i18n.localized(m, "name") or m["iso3"]) for m in (result or {}).get("markets") or []
            if m.get("iso3")]


def channel_choices(result: dict | None) -> list[tuple[str, str]]:
    """(channel_id, name) of a recommendation's channels (overall and per market), once each."""
    seen = {}
    for c in (result or {}).get("channels") or []:
        seen.setdefault(c.get("channel_id"), c.get("name"))
    for m in (result or {}).get("markets") or []:
        for c in m.get("channels") or []:
            seen.setdefault(c.get("channel_id"), c.get("name"))
    return [(k, v or k) for k, v in seen.items() if k]


@dataclass
class Understood:
    """What the app understood of a firm's file (shown on the firm page)."""

    ateco_code: str
    ateco_title: str
    edition: str
    product: str | None = None          # product family, in the page language
    product_title: str | None = None    # the class or sub-category the product comes from
    chosen_by: str | None = None        # class | subcategory | district | division
    icio_sector: str | None = None
    icio_sector_name: str | None = None
    district: str | None = None         # the district's name
    province: str | None = None         # "Belluno (BL)"
    maturity_level: int | None = None
    maturity_source: str | None = None  # "estimate" | "questionnaire"
    maturity_score: int | None = None


def understood(firm) -> Understood | None:
    """The firm's profile as the recommender reads it: ATECO code and title, the product
    (family, ICIO sector: recommender.products.product_for via the engine's product_of),
    the district's name and the web maturity (estimated or answered). None if the stored
    profile no longer validates (the page then shows the raw fields only)."""
    from api.schemas import firm_profile
    from recommender.errors import RecommenderError
    from recommender.recommend.engine import product_of
    from recommender.sectors import FINE_SECTOR_NAMES

    try:
        profile = firm_profile({**firm.profile, "name": firm.name})
        product = product_of(profile)
    except (RecommenderError, ValueError):
        return None
    it = i18n.lang() == "it"
    a = profile.ateco
    out = Understood(ateco_code=a.ateco_code, ateco_title=a.title_it, edition=a.edition)
    if product is not None:
        out.product = product.family_name_it if it else product.family_name_en
        out.product_title = product.title_it
        out.chosen_by = product.chosen_by
        out.icio_sector = product.icio_sector
        names = FINE_SECTOR_NAMES.get(product.icio_sector)
        out.icio_sector_name = (names[0] if it else names[1]) if names else None
    if profile.district is not None:
        out.district = profile.district.name
    if profile.province is not None:
        out.province = f"{profile.province.name} ({profile.province.sigla})"
    m = profile.maturity
    out.maturity_level = m.level
    out.maturity_source = "questionnaire" if m.source != "level" else "estimate"
    out.maturity_score = m.score
    return out


def market_channel_choices(result: dict | None, iso3: str | None) -> list[tuple[str, str]]:
    """(channel_id, name) of the channels the recommendation gave for market ``iso3``
    (none for a market it did not recommend, or before a market is chosen)."""
    for m in (result or {}).get("markets") or []:
        if iso3 and m.get("iso3") == iso3:
            return [(c["channel_id"], channel_name(c["channel_id"])) for c in m.get("channels") or []
                    if c.get("channel_id")]
    return []


def channel_name(channel_id: str | None) -> str:
    """A channel's name in the page language from the channel catalogue (the id if unknown)."""
    if not channel_id:
        return ""
    channel = _catalogue().get(channel_id)
    if channel is None:
        return channel_id
    return (channel.name_it if i18n.lang() == "it" else channel.name_en) or channel.name or channel_id


def _catalogue() -> dict:
    from recommender.channels import load_catalogue  # cached by the library
    return {c.channel_id: c for c in load_catalogue()}


def flatten_vintages(vintages: dict, prefix: str = "") -> list[tuple[str, str]]:
    """{"potential": {"household": "wiod2013 2011"}, "gdp": "..."} -> [(label, text)]."""
    out = []
    for k, v in (vintages or {}).items():
        name = i18n.label(i18n.VINTAGES, k)
        name = f"{prefix} – {name}" if prefix else name
        if isinstance(v, dict):
            out += flatten_vintages(v, name)
        else:
            out.append((name, i18n.label(i18n.VINTAGE_TEXTS, v) if v in i18n.VINTAGE_TEXTS else str(v)))
    return out


def maturity_reading(history) -> dict | None:
    """What the latest questionnaire's level means: its band of "yes" out of 12 and how many more
    "yes" reach the next level (None at level 4). None without a questionnaire."""
    if not history:
        return None
    score = int(history[0].score)
    level = maturity.level_of_score(score)
    low, high = maturity.LEVEL_BANDS[level]
    more = maturity.yes_to_next_level(score)
    return {"level": level, "low": low, "high": high, "more": more, "next": level + 1 if more else None}

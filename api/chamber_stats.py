"""What a Chamber has done so far, for its dashboard and CSV export.

Counts over one tenant's rows: firms advised (with a stored
recommendation), their web-maturity levels, the markets and channels most
often recommended (in each firm's latest recommendation, top
``TOP_PER_FIRM`` markets) and the outcomes recorded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from api.db.models import Feedback, Firm, MaturityAssessment, StoredRecommendation
from recommender.errors import InvalidInput
from recommender.maturity import assess

TOP_PER_FIRM = 3


@dataclass
class FirmLine:
    firm_id: int
    name: str
    ateco: str | None
    province: str | None
    district: str | None
    maturity_level: int | None
    assessed: bool
    top_markets: list[str] = field(default_factory=list)
    top_channels: list[str] = field(default_factory=list)
    recommended_at: object = None
    model_version: str | None = None
    outcomes: Counter = field(default_factory=Counter)


@dataclass
class ChamberSummary:
    firms: int
    advised: int
    maturity: dict[int, int]                 # level -> firms (levels 1-4, zeros included)
    markets: list[tuple[str, int]]           # iso3 -> firms it was recommended to, most first
    channels: list[tuple[str, str, int]]     # (channel_id, name, firms), most first
    outcomes: dict[str, int]                 # status -> rows
    outcomes_by_market: list[tuple[str, dict[str, int]]]
    lines: list[FirmLine]


def _level(profile: dict) -> int | None:
    try:
        if profile.get("maturity_answers"):
            return assess(answers=profile["maturity_answers"]).level
        if profile.get("maturity_level") is not None:
            return int(profile["maturity_level"])
    except (InvalidInput, ValueError, TypeError):  # an odd profile: no level rather than no dashboard
        return None
    return None


def summary(session, tenant_id: int, top: int = 10) -> ChamberSummary:
    firms = session.scalars(select(Firm).where(Firm.tenant_id == tenant_id).order_by(Firm.id)).all()
    latest_ids = select(func.max(StoredRecommendation.id)).where(
        StoredRecommendation.tenant_id == tenant_id).group_by(StoredRecommendation.firm_id)
    latest = {r.firm_id: r for r in session.scalars(
        select(StoredRecommendation).where(StoredRecommendation.id.in_(latest_ids))).all()}
    assessed = set(session.scalars(select(MaturityAssessment.firm_id).where(
        MaturityAssessment.tenant_id == tenant_id)).all())
    feedback = session.scalars(select(Feedback).where(Feedback.tenant_id == tenant_id)).all()

    lines, maturity, markets, channels, names = [], Counter(), Counter(), Counter(), {}
    by_firm: dict[int, Counter] = {}
    for fb in feedback:
        by_firm.setdefault(fb.firm_id, Counter())[fb.status] += 1
    for f in firms:
        p = f.profile or {}
        line = FirmLine(f.id, f.name, p.get("ateco"), p.get("province"), p.get("district"), _level(p),
                        f.id in assessed, outcomes=by_firm.get(f.id, Counter()))
        rec = latest.get(f.id)
        if rec is not None:
            result = rec.result or {}
            line.top_markets = [m.get("iso3") for m in (result.get("markets") or [])[:TOP_PER_FIRM] if m.get("iso3")]
            chans = result.get("channels") or []
            line.top_channels = [c.get("channel_id") for c in chans[:TOP_PER_FIRM] if c.get("channel_id")]
            for c in chans[:TOP_PER_FIRM]:
                names.setdefault(c.get("channel_id"), c.get("name"))
            line.recommended_at, line.model_version = rec.created_at, rec.model_version
            markets.update(line.top_markets)
            channels.update(line.top_channels)
        if line.maturity_level:
            maturity[line.maturity_level] += 1
        lines.append(line)

    outcomes = Counter(fb.status for fb in feedback)
    per_market: dict[str, Counter] = {}
    for fb in feedback:
        per_market.setdefault(fb.market, Counter())[fb.status] += 1
    return ChamberSummary(
        firms=len(firms), advised=len(latest),
        maturity={lv: maturity.get(lv, 0) for lv in (1, 2, 3, 4)},
        markets=markets.most_common(top),
        channels=[(cid, names.get(cid) or cid, n) for cid, n in channels.most_common(top)],
        outcomes=dict(outcomes),
        outcomes_by_market=sorted(((m, dict(c)) for m, c in per_market.items()), key=lambda x: -sum(x[1].values())),
        lines=lines)


CSV_COLUMNS = ["firm_id", "name", "ateco", "province", "district", "maturity_level", "questionnaire",
               "top_markets", "top_channels", "recommended_at", "model_version",
               "planned", "started", "first_sale", "abandoned"]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A cell a spreadsheet will not run: text starting with ``= + - @``, tab
    or carriage return gets a leading ``'`` (OWASP CSV injection). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(s: ChamberSummary):
    """One row per firm, columns ``CSV_COLUMNS`` (lists joined with ';')."""
    yield CSV_COLUMNS
    for ln in s.lines:
        yield [ln.firm_id, ln.name, ln.ateco or "", ln.province or "", ln.district or "", ln.maturity_level or "",
               "yes" if ln.assessed else "no", ";".join(ln.top_markets), ";".join(ln.top_channels),
               ln.recommended_at.isoformat() if ln.recommended_at else "", ln.model_version or "",
               ln.outcomes.get("planned", 0), ln.outcomes.get("started", 0), ln.outcomes.get("first_sale", 0),
               ln.outcomes.get("abandoned", 0)]

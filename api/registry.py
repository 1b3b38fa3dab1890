"""The Chamber's firm registry, shared by the REST API and the web app.

Plain functions over a SQLAlchemy session and a tenant id: validate and
store firms, their dated maturity questionnaires and outcome feedback, and
compute a firm's recommendation. Every read filters on the tenant, so another
Chamber's firm is simply not found (``None``), indistinguishable from a
missing one. Validation errors are the library's :class:`InvalidInput` with
field errors; the callers turn them into problem+json or form messages.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from api.db.models import Feedback, Firm, MaturityAssessment, StoredRecommendation
from api.vat import is_valid_partita_iva
from recommender.errors import FieldError, InvalidInput
from recommender.lookups import resolve_country
from recommender.maturity import assess
from recommender.recommend import FirmProfile

# profile keys stored in Firm.profile (everything a FirmProfile takes except the name)
PROFILE_FIELDS = ("ateco", "province", "district", "customer_type", "current_markets", "excluded_markets",
                  "languages", "employees", "maturity_level", "maturity_answers")
OUTCOME_STATUSES = ("planned", "started", "first_sale", "abandoned")
MAX_ID = 2**31 - 1  # database integer range; anything larger cannot exist


class InvalidVatNumber(InvalidInput):
    """The partita IVA fails its checksum (checked before the profile)."""


def validated(data: dict) -> tuple[str | None, str | None, dict]:
    """``(name, vat_number, profile)`` from a firm dict, or raise.

    Raises :class:`InvalidVatNumber` for a bad partita IVA (11 digits, check
    digit), else :class:`InvalidInput` listing every bad profile field, exactly
    as a recommendation request would. Empty optional values are dropped.
    """
    vat = data.get("vat_number") or None
    if vat is not None and not is_valid_partita_iva(vat):
        raise InvalidVatNumber([FieldError("vat_number", "not a valid partita IVA (11 digits, check digit)",
                                           value=vat)])
    profile = {k: v for k, v in data.items() if k in PROFILE_FIELDS and v not in (None, "", [], {})}
    FirmProfile.from_dict(profile)  # raises InvalidInput with field errors
    return data.get("name"), vat, profile


def own_firm(session, tenant_id: int, firm_id: int) -> Firm | None:
    """The tenant's firm with this id, or None (also for another tenant's firm)."""
    if not 0 < int(firm_id) <= MAX_ID:
        return None
    return session.scalar(select(Firm).where(Firm.id == firm_id, Firm.tenant_id == tenant_id))


def create_firm(session, tenant_id: int, data: dict) -> Firm:
    """Validate and store a new firm (committed)."""
    name, vat, profile = validated(data)
    firm = Firm(tenant_id=tenant_id, name=name, vat_number=vat, profile=profile)
    session.add(firm)
    session.commit()
    return firm


def update_firm(session, firm: Firm, changes: dict) -> Firm:
    """Merge ``changes`` into the firm (a key set to None or "" clears it),
    validate the merged profile again, store (committed)."""
    merged = {"name": firm.name, "vat_number": firm.vat_number, **firm.profile, **changes}
    name, vat, profile = validated(merged)
    firm.name, firm.vat_number, firm.profile = name, vat, profile
    session.commit()
    return firm


def list_firms(session, tenant_id: int, q: str = "", limit: int = 50, offset: int = 0) -> tuple[list[Firm], int]:
    """The tenant's firms, newest first, optionally filtered by name or partita IVA; and the total."""
    where = [Firm.tenant_id == tenant_id]
    if q:
        like = f"%{q.strip().lower()}%"
        where.append(or_(func.lower(Firm.name).like(like), Firm.vat_number.like(like)))
    total = session.scalar(select(func.count()).select_from(Firm).where(*where))
    items = session.scalars(select(Firm).where(*where).order_by(Firm.id.desc()).limit(limit).offset(offset)).all()
    return list(items), total


def save_assessment(session, firm: Firm, answers: dict, user_id: int | None = None) -> MaturityAssessment:
    """Store a dated questionnaire for the firm and make it the firm's web
    maturity (its profile then carries the answers instead of a level).
    Raises InvalidInput if the answers are not acceptable (see recommender.maturity)."""
    m = assess(answers=answers)
    row = MaturityAssessment(tenant_id=firm.tenant_id, firm_id=firm.id, user_id=user_id, answers=m.answers,
                             score=m.score, level=m.level)
    profile = {k: v for k, v in firm.profile.items() if k not in ("maturity_level", "maturity_answers")}
    firm.profile = {**profile, "maturity_answers": dict(m.answers)}
    session.add(row)
    session.commit()
    return row


def assessments(session, firm: Firm) -> list[MaturityAssessment]:
    """The firm's questionnaires, newest first."""
    return list(session.scalars(select(MaturityAssessment).where(
        MaturityAssessment.firm_id == firm.id, MaturityAssessment.tenant_id == firm.tenant_id)
        .order_by(MaturityAssessment.id.desc())).all())


def record_feedback(session, firm: Firm, market: str, status: str, on: date, channel_id: str | None = None,
                    revenue_band: str | None = None, note: str | None = None) -> Feedback:
    """Store what happened for one market (and channel) of a firm (committed).
    The market is resolved like any country input (ISO2/ISO3/name)."""
    if status not in OUTCOME_STATUSES:
        raise InvalidInput([FieldError("status", f"must be one of {', '.join(OUTCOME_STATUSES)}", value=status,
                                       suggestions=OUTCOME_STATUSES)])
    iso3 = resolve_country(market, field="market").iso3
    fb = Feedback(tenant_id=firm.tenant_id, firm_id=firm.id, market=iso3, channel_id=channel_id or None,
                  status=status, date=on, revenue_band=revenue_band or None, note=note or None)
    session.add(fb)
    session.commit()
    return fb


def feedback_for(session, tenant_id: int, firm: Firm | None = None) -> list[Feedback]:
    """The tenant's feedback rows (optionally one firm's), newest first."""
    where = [Feedback.tenant_id == tenant_id]
    if firm is not None:
        where.append(Feedback.firm_id == firm.id)
    return list(session.scalars(select(Feedback).where(*where).order_by(Feedback.id.desc())).all())


def recommend_for_firm(recommender, firm: Firm, overrides: dict | None = None, k: int = 10,
                       lang: str = "it") -> dict:
    """The recommendation for a registered firm, optionally with some profile
    fields changed for this request only (e.g. ``customer_type``,
    ``excluded_markets``, ``current_markets``). Raises InvalidInput for bad overrides."""
    profile = {**firm.profile, **{k2: v for k2, v in (overrides or {}).items() if k2 in PROFILE_FIELDS}}
    profile = {k2: v for k2, v in profile.items() if v not in (None, "", [])}
    return recommender.recommend(FirmProfile.from_dict({**profile, "name": firm.name}), k=k, lang=lang)


def store_recommendation(session, firm: Firm, model_version: str, result: dict) -> StoredRecommendation:
    """Keep a computed recommendation with the model version that made it (committed)."""
    row = StoredRecommendation(tenant_id=firm.tenant_id, firm_id=firm.id, model_version=model_version, result=result)
    session.add(row)
    session.commit()
    return row


def remember_recommendation(session, firm: Firm, model_version: str, result: dict) -> StoredRecommendation:
    """Store the recommendation unless it is the same as the latest one stored
    for the firm (same model version, same result): viewing a page twice adds no row."""
    latest = latest_recommendation(session, firm)
    if latest is not None and latest.model_version == model_version and latest.result == result:
        return latest
    return store_recommendation(session, firm, model_version, result)


def latest_recommendation(session, firm: Firm) -> StoredRecommendation | None:
    return session.scalar(select(StoredRecommendation).where(
        StoredRecommendation.firm_id == firm.id, StoredRecommendation.tenant_id == firm.tenant_id)
        .order_by(StoredRecommendation.id.desc()).limit(1))

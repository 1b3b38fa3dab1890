"""The Chamber's firm registry, shared by the REST API and the web app.

Plain functions over a SQLAlchemy session and a tenant id: validate and
store firms, their dated maturity questionnaires and outcome feedback, and
compute a firm's recommendation. Every stored recommendation that was shown
(API or web) is logged as an impression in the same transaction, and each
outcome is linked to the impression it follows (issue 11: learning from
outcomes; the library decides what an impression holds). Every read filters on the tenant, so another
Chamber's firm is simply not found (``None``), indistinguishable from a
missing one. Validation errors are the library's :class:`InvalidInput` with
field errors; the callers turn them into problem+json or form messages.

Writes that refer to a firm are safe against a concurrent delete of that
firm (another worker, another user): its foreign key fails and the write
raises :class:`FirmGone` (the API answers 404, the web app its 404 page), or
:class:`ConcurrentChange` if the firm is still there (409: retry). Text that
no database can store (NUL characters, unpaired surrogates) is a field error
here, whichever surface it came from.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import StaleDataError

from api.db.models import Feedback, FeedbackHistory, Firm, Impression, MaturityAssessment, StoredRecommendation, utcnow
from api.schemas import firm_profile
from api.vat import is_valid_partita_iva
from recommender.errors import FieldError, InvalidInput
from recommender.lookups import resolve_country
from recommender.maturity import assess
from recommender.outcomes.impressions import impression_from_result
from recommender.outcomes.registry import UNPROMPTED_STATUSES, served_markets

# profile keys stored in Firm.profile (everything a FirmProfile takes except the name)
PROFILE_FIELDS = ("ateco", "province", "district", "customer_type", "current_markets", "excluded_markets",
                  "languages", "employees", "maturity_level", "maturity_answers")
OUTCOME_STATUSES = ("planned", "started", "first_sale", "abandoned")
SURFACES = ("api", "web")  # where a recommendation was shown (impressions.surface)
MAX_ID = 2**31 - 1  # database integer range; anything larger cannot exist
NUL_REASON = "contains a NUL character (\\u0000)"
SURROGATE_REASON = "contains an unpaired surrogate (not valid Unicode)"


class InvalidVatNumber(InvalidInput):
    """The partita IVA fails its checksum (checked before the profile)."""


class FirmGone(LookupError):
    """The firm was deleted while something referring to it was being stored."""

    def __init__(self, firm_id: int):
        super().__init__(f"firm {firm_id} was deleted meanwhile")
        self.firm_id = firm_id


class ConcurrentChange(RuntimeError):
    """A concurrent change interfered with a write; the firm still exists: retry."""


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def unstorable_text(value, path: str = "") -> list[FieldError]:
    """A field error for every string (or key) in ``value`` holding a NUL
    character (PostgreSQL text cannot store it) or an unpaired surrogate (no
    database encoding accepts it); paths like ``current_markets[2]``."""
    out = []
    stack = [(path, value)]
    while stack:
        p, v = stack.pop()
        if isinstance(v, str):
            if "\x00" in v:
                out.append(FieldError(p, NUL_REASON))
            elif _has_surrogate(v):
                out.append(FieldError(p, SURROGATE_REASON))
        elif isinstance(v, dict):
            for k, item in v.items():
                k = str(k)
                sub = f"{p}.{k}" if p else k
                if "\x00" in k or _has_surrogate(k):
                    out.append(FieldError(sub.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\u0000"),
                                          NUL_REASON if "\x00" in k else SURROGATE_REASON))
                else:
                    stack.append((sub, item))
        elif isinstance(v, (list, tuple)):
            stack.extend((f"{p}[{i}]", item) for i, item in enumerate(v))
    return sorted(out, key=lambda e: e.field)


def _check_text(data: dict) -> None:
    errors = unstorable_text(data)
    if errors:
        raise InvalidInput(errors)


def validated(data: dict) -> tuple[str | None, str | None, dict]:
    """``(name, vat_number, profile)`` from a firm dict, or raise.

    Raises :class:`InvalidInput` for text no database can store (NUL,
    unpaired surrogates), :class:`InvalidVatNumber` for a bad partita IVA (11
    digits, check digit; its errors also list every bad profile field), else
    :class:`InvalidInput` listing every bad profile field, exactly as a
    recommendation request would. Empty optional values are dropped.
    """
    _check_text({k: v for k, v in data.items() if k in PROFILE_FIELDS or k in ("name", "vat_number")})
    vat = data.get("vat_number") or None
    vat_errors = []
    if vat is not None and not is_valid_partita_iva(vat):
        vat_errors = [FieldError("vat_number", "not a valid partita IVA (11 digits, check digit)", value=vat)]
    profile = {k: v for k, v in data.items() if k in PROFILE_FIELDS and v not in (None, "", [], {})}
    try:
        firm_profile(profile)  # raises InvalidInput with field errors (recently seen profiles remembered)
    except InvalidInput as exc:  # every bad field at once, the partita IVA first
        if vat_errors:
            raise InvalidVatNumber(vat_errors + exc.errors) from None
        raise
    if vat_errors:
        raise InvalidVatNumber(vat_errors)
    return data.get("name"), vat, profile


def own_firm(session, tenant_id: int, firm_id: int) -> Firm | None:
    """The tenant's firm with this id, or None (also for another tenant's firm)."""
    if not 0 < int(firm_id) <= MAX_ID:
        return None
    return session.scalar(select(Firm).where(Firm.id == firm_id, Firm.tenant_id == tenant_id))


def _commit_for_firm(session, firm_id: int, tenant_id: int, row=None, then=None) -> None:
    """Flush (``row`` added first, if given), run ``then(row)`` in the same
    transaction, commit. If the firm was deleted meanwhile, its foreign key
    fails (or its UPDATE matches nothing): :class:`FirmGone` if it is gone,
    else :class:`ConcurrentChange`."""
    try:
        if row is not None:
            session.add(row)
        session.flush()
        if then is not None:
            then(row)
        session.commit()
    except (IntegrityError, OperationalError, StaleDataError):
        session.rollback()
        if session.scalar(select(Firm.id).where(Firm.id == firm_id, Firm.tenant_id == tenant_id)) is None:
            raise FirmGone(firm_id) from None
        raise ConcurrentChange("a concurrent change interfered; retry") from None


def create_firm(session, tenant_id: int, data: dict, then=None) -> Firm:
    """Validate and store a new firm (committed). ``then(firm)`` runs after the
    insert, in the same transaction (the API records its Idempotency-Key there);
    an IntegrityError from it is raised after rolling back."""
    name, vat, profile = validated(data)
    firm = Firm(tenant_id=tenant_id, name=name, vat_number=vat, profile=profile)
    try:
        session.add(firm)
        session.flush()
        if then is not None:
            then(firm)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise
    return firm


def update_firm(session, firm: Firm, changes: dict) -> Firm:
    """Merge ``changes`` into the firm (a key set to None or "" clears it),
    validate the merged profile again, store (committed). FirmGone if the
    firm was deleted meanwhile."""
    merged = {"name": firm.name, "vat_number": firm.vat_number, **firm.profile, **changes}
    name, vat, profile = validated(merged)
    firm_id, tenant_id = firm.id, firm.tenant_id
    firm.name, firm.vat_number, firm.profile = name, vat, profile
    _commit_for_firm(session, firm_id, tenant_id)
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
    Raises InvalidInput if the answers are not acceptable (see recommender.maturity),
    FirmGone if the firm was deleted meanwhile."""
    _check_text({"maturity_answers": answers})
    m = assess(answers=answers)
    firm_id, tenant_id = firm.id, firm.tenant_id
    row = MaturityAssessment(tenant_id=tenant_id, firm_id=firm_id, user_id=user_id, answers=m.answers,
                             score=m.score, level=m.level)
    profile = {k: v for k, v in firm.profile.items() if k not in ("maturity_level", "maturity_answers")}
    firm.profile = {**profile, "maturity_answers": dict(m.answers)}
    _commit_for_firm(session, firm_id, tenant_id, row)
    return row


def assessments(session, firm: Firm) -> list[MaturityAssessment]:
    """The firm's questionnaires, newest first."""
    return list(session.scalars(select(MaturityAssessment).where(
        MaturityAssessment.firm_id == firm.id, MaturityAssessment.tenant_id == firm.tenant_id)
        .order_by(MaturityAssessment.id.desc())).all())


def record_feedback(session, firm: Firm, market: str, status: str, on: date, channel_id: str | None = None,
                    revenue_band: str | None = None, note: str | None = None, then=None,
                    impression_id: int | None = None) -> Feedback:
    """Store what happened for one market (and channel) of a firm (committed).
    The market is resolved like any country input (ISO2/ISO3/name). ``then(row)``
    runs in the same transaction (the API's Idempotency-Key). FirmGone if the
    firm was deleted meanwhile.

    The row is linked to the impression it follows: ``impression_id`` if given
    (it must be one of this firm's impressions, in the firm's Chamber, showing
    the market; else InvalidInput on ``impression_id``, and another Chamber's
    impression reads as not found), otherwise the firm's most recent impression
    showing the market created at or before now (none: not linked)."""
    _check_outcome({"market": market, "channel_id": channel_id, "revenue_band": revenue_band, "note": note}, status)
    iso3 = resolve_country(market, field="market").iso3
    now = utcnow()
    if impression_id is not None:
        impression = _shown_impression(session, firm, iso3, impression_id)
    else:
        impression = latest_impression_showing(session, firm, iso3, at=now)
    fb = Feedback(tenant_id=firm.tenant_id, firm_id=firm.id, market=iso3, channel_id=channel_id or None,
                  status=status, date=on, revenue_band=revenue_band or None, note=note or None,
                  impression_id=impression.id if impression is not None else None, created_at=now)
    fb.impression = impression
    _commit_for_firm(session, firm.id, firm.tenant_id, fb, then)
    return fb


def _check_outcome(texts: dict, status: str) -> None:
    """InvalidInput naming every bad field of an outcome: text the database cannot store, an unknown status."""
    errors = unstorable_text(texts)
    if status not in OUTCOME_STATUSES:
        errors.append(FieldError("status", f"must be one of {', '.join(OUTCOME_STATUSES)}", value=status,
                                 suggestions=OUTCOME_STATUSES))
    if errors:
        raise InvalidInput(errors)


def _history_row(fb: Feedback, action: str, user_id: int | None) -> FeedbackHistory:
    return FeedbackHistory(tenant_id=fb.tenant_id, firm_id=fb.firm_id, feedback_id=fb.id, action=action,
                           user_id=user_id, changed_at=utcnow(), impression_id=fb.impression_id,
                           recorded_at=fb.created_at, **{f: getattr(fb, f) for f in Feedback.FIELDS})


def edit_feedback(session, firm: Firm, fb: Feedback, market: str, status: str, on: date,
                  channel_id: str | None = None, note: str | None = None,
                  user_id: int | None = None) -> Feedback:
    """Change an outcome of the firm (committed); the version before is kept in
    ``feedback_history``. Checked like :func:`record_feedback`; a changed market
    is linked to the firm's latest impression showing it when the outcome was
    first recorded. FirmGone if the firm was deleted meanwhile."""
    _check_outcome({"market": market, "channel_id": channel_id, "note": note}, status)
    iso3 = resolve_country(market, field="market").iso3
    history = _history_row(fb, "edited", user_id)
    if iso3 != fb.market:
        impression = latest_impression_showing(session, firm, iso3, at=fb.created_at)
        fb.impression = impression
        fb.impression_id = impression.id if impression is not None else None
    fb.market, fb.status, fb.date = iso3, status, on
    fb.channel_id, fb.note = channel_id or None, note or None
    _commit_for_firm(session, firm.id, firm.tenant_id, history)
    return fb


def delete_feedback(session, firm: Firm, fb: Feedback, user_id: int | None = None) -> None:
    """Remove an outcome from the firm's current outcomes (committed); it stays
    in ``feedback_history`` as deleted. FirmGone if the firm was deleted meanwhile."""
    history = _history_row(fb, "deleted", user_id)
    session.delete(fb)
    _commit_for_firm(session, firm.id, firm.tenant_id, history)


def feedback_history(session, firm: Firm) -> list[FeedbackHistory]:
    """Earlier versions of the firm's outcomes (edited or deleted), newest first."""
    return list(session.scalars(select(FeedbackHistory).where(
        FeedbackHistory.firm_id == firm.id, FeedbackHistory.tenant_id == firm.tenant_id)
        .order_by(FeedbackHistory.id.desc())).all())


def _shown_impression(session, firm: Firm, iso3: str, impression_id: int) -> Impression:
    """The impression a caller named for an outcome, or InvalidInput on ``impression_id``."""
    found = None
    if isinstance(impression_id, int) and 0 < impression_id <= MAX_ID:
        found = session.scalar(select(Impression).where(Impression.id == impression_id,
                                                        Impression.tenant_id == firm.tenant_id))
    if found is None:  # also another Chamber's: never says it exists
        reason = "no such impression"
    elif found.firm_id != firm.id:
        reason = f"impression of another firm, not of firm {firm.id}"
    elif found.rank_of(iso3) is None:
        reason = f"market {iso3} was not shown in this impression"
    else:
        return found
    raise InvalidInput([FieldError("impression_id", reason, value=impression_id)])


def latest_impression_showing(session, firm: Firm, iso3: str, at: datetime | None = None,
                              chunk: int = 50) -> Impression | None:
    """The firm's most recent impression (created at or before ``at``) whose
    markets include ``iso3``, or None. Read newest first, ``chunk`` at a time."""
    where = [Impression.firm_id == firm.id, Impression.tenant_id == firm.tenant_id]
    if at is not None:
        where.append(Impression.created_at <= at)
    query = select(Impression).where(*where).order_by(Impression.id.desc()).limit(chunk)
    offset = 0
    while True:
        rows = session.scalars(query.offset(offset)).all()
        for row in rows:
            if row.rank_of(iso3) is not None:
                return row
        if len(rows) < chunk:
            return None
        offset += chunk


def own_feedback(session, tenant_id: int, feedback_id: int) -> Feedback | None:
    """The tenant's feedback row with this id, or None."""
    if not 0 < int(feedback_id) <= MAX_ID:
        return None
    return session.scalar(select(Feedback).where(Feedback.id == feedback_id, Feedback.tenant_id == tenant_id))


def feedback_for(session, tenant_id: int, firm: Firm | None = None) -> list[Feedback]:
    """The tenant's feedback rows (optionally one firm's), newest first."""
    where = [Feedback.tenant_id == tenant_id]
    if firm is not None:
        where.append(Feedback.firm_id == firm.id)
    return list(session.scalars(select(Feedback).where(*where).order_by(Feedback.id.desc())).all())


def list_feedback(session, tenant_id: int, limit: int = 50, offset: int = 0,
                  firm: Firm | None = None) -> tuple[list[Feedback], int]:
    """A page of the tenant's feedback (optionally one firm's), newest first; and the total."""
    where = [Feedback.tenant_id == tenant_id]
    if firm is not None:
        where.append(Feedback.firm_id == firm.id)
    total = session.scalar(select(func.count()).select_from(Feedback).where(*where))
    rows = session.scalars(select(Feedback).where(*where).order_by(Feedback.id.desc()).limit(limit).offset(offset))
    return list(rows.all()), total


def recommend_for_firm(recommender, firm: Firm, overrides: dict | None = None, k: int = 10,
                       lang: str = "it", explore: float = 0.0) -> dict:
    """The recommendation for a registered firm, optionally with some profile
    fields changed for this request only (e.g. ``customer_type``,
    ``excluded_markets``, ``current_markets``), for the firm's Chamber (its
    outcome adjustments) with ``explore`` of the slots for uncertain markets.
    Raises InvalidInput for bad overrides."""
    profile = {**firm.profile, **{k2: v for k2, v in (overrides or {}).items() if k2 in PROFILE_FIELDS}}
    profile = {k2: v for k2, v in profile.items() if v not in (None, "", [])}
    _check_text(profile)
    return recommender.recommend(firm_profile({**profile, "name": firm.name}), k=k, lang=lang,
                                 tenant=firm.tenant_id, explore=explore, registered=registry_row(recommender, firm))


def registry_row(recommender, firm: Firm) -> frozenset | None:
    """The firm's own row in the registry evidence the serving model learned from (its listed
    markets plus the markets of its unprompted outcomes, as training counts them), so that its
    own ranking leaves it out; None when the model has no registry evidence or the firm was
    registered after the registries were read (``read_at``)."""
    registry = getattr(recommender, "registry", None)
    if registry is None or firm.created_at is None:
        return None
    read_at = datetime.fromisoformat(registry.params["read_at"])
    created = firm.created_at if firm.created_at.tzinfo else firm.created_at.replace(tzinfo=read_at.tzinfo)
    if created > read_at:
        return None
    session = object_session(firm)
    own = set(session.scalars(select(Feedback.market).where(
        Feedback.firm_id == firm.id, Feedback.status.in_(UNPROMPTED_STATUSES), Feedback.created_at <= read_at)))
    if own:  # the impressions are read only when there is an outcome they could have prompted
        own -= {m.get("iso3") for markets in session.scalars(
            select(Impression.markets).where(Impression.firm_id == firm.id, Impression.created_at <= read_at))
            for m in markets}
    listed = firm_profile({**firm.profile, "name": firm.name}).current_markets  # ISO3, as training reads them
    return served_markets(listed, own)


def _trim_history(session, firm_id: int, keep: int) -> None:
    """Keep the newest ``keep`` recommendations stored for the firm."""
    old = select(StoredRecommendation.id).where(StoredRecommendation.firm_id == firm_id).order_by(
        StoredRecommendation.id.desc()).offset(keep)
    old_ids = session.scalars(old).all()
    if old_ids:
        session.execute(delete(StoredRecommendation).where(StoredRecommendation.id.in_(old_ids)))


def impression_row(firm: Firm, result: dict, surface: str, recommendation_id: int | None = None) -> Impression:
    """The impression of ``result`` shown to ``firm`` on ``surface`` (api | web):
    the library's :func:`impression_from_result` stored with Chamber, firm and surface."""
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {SURFACES}, not {surface!r}")
    return Impression(tenant_id=firm.tenant_id, firm_id=firm.id, recommendation_id=recommendation_id,
                      surface=surface, **impression_from_result(result))


def store_recommendation(session, firm: Firm, model_version: str, result: dict, keep: int | None = None, *,
                         surface: str | None) -> StoredRecommendation:
    """Keep a computed recommendation with the model version that made it
    (committed); with ``keep``, only the firm's newest ``keep`` stay
    (HISTORY_MAX_PER_FIRM). ``surface`` says where it is shown (``api`` or
    ``web``): its impression is logged in the same transaction (so neither is
    ever stored without the other); None stores a recommendation nobody is
    shown, without an impression. Trimming the history keeps the impressions
    (their ``recommendation_id`` becomes NULL). FirmGone if the firm was
    deleted meanwhile."""
    firm_id, tenant_id = firm.id, firm.tenant_id
    impression = impression_row(firm, result, surface) if surface is not None else None
    row = StoredRecommendation(tenant_id=tenant_id, firm_id=firm_id, model_version=model_version, result=result)

    def then(stored):
        if impression is not None:
            impression.recommendation_id = stored.id
            session.add(impression)
            session.flush()
        if keep:
            _trim_history(session, firm_id, keep)
    _commit_for_firm(session, firm_id, tenant_id, row, then)
    return row


def remember_recommendation(session, firm: Firm, model_version: str, result: dict, keep: int | None = None, *,
                            surface: str = "web") -> StoredRecommendation:
    """Store the recommendation (and its impression, see :func:`store_recommendation`)
    unless it is the same as the latest one stored for the firm (same model
    version, same result): viewing a page twice adds no row."""
    latest = latest_recommendation(session, firm)
    if latest is not None and latest.model_version == model_version and latest.result == result:
        return latest
    return store_recommendation(session, firm, model_version, result, keep=keep, surface=surface)


def list_impressions(session, tenant_id: int, firm: Firm | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[Impression], int]:
    """A page of the tenant's impressions (optionally one firm's), newest first; and the total."""
    where = [Impression.tenant_id == tenant_id]
    if firm is not None:
        where.append(Impression.firm_id == firm.id)
    total = session.scalar(select(func.count()).select_from(Impression).where(*where))
    rows = session.scalars(select(Impression).where(*where).order_by(Impression.id.desc())
                           .limit(limit).offset(offset))
    return list(rows.all()), total


def latest_recommendation(session, firm: Firm) -> StoredRecommendation | None:
    return session.scalar(select(StoredRecommendation).where(
        StoredRecommendation.firm_id == firm.id, StoredRecommendation.tenant_id == firm.tenant_id)
        .order_by(StoredRecommendation.id.desc()).limit(1))


def recommendation_history(session, firm: Firm, limit: int = 50,
                           offset: int = 0) -> tuple[list[StoredRecommendation], int]:
    """A page of the firm's stored recommendations, newest first; and the total."""
    where = (StoredRecommendation.firm_id == firm.id) & (StoredRecommendation.tenant_id == firm.tenant_id)
    total = session.scalar(select(func.count()).select_from(StoredRecommendation).where(where))
    rows = session.scalars(select(StoredRecommendation).where(where).order_by(StoredRecommendation.id.desc())
                           .limit(limit).offset(offset))
    return list(rows.all()), total

"""Database tables: tenants (Chambers), their API keys and users, firms,
their dated maturity questionnaires, stored recommendations, the impressions
they were shown as, feedback and registry-scoring jobs. Plain SQLAlchemy 2 so batch and training code
can use them without Flask. Every tenant-owned row carries ``tenant_id``;
queries always filter on it (see api/blueprints)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names on SQLite and PostgreSQL (Alembic batch mode needs them)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that always comes back timezone-aware in UTC. SQLite stores
    no offset, so rows read back from it were naive before this."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiKey(Base):
    """An API key, stored only as a SHA-256 hash plus a short public prefix for lookup."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(10))  # read | write | admin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Firm(Base):
    __tablename__ = "firms"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted row's id is never reused
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    vat_number: Mapped[str | None] = mapped_column(String(11), nullable=True)
    profile: Mapped[dict] = mapped_column(JSON)  # the firm profile as given (validated)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StoredRecommendation(Base):
    __tablename__ = "recommendations"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted row's id is never reused
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Impression(Base):
    """What a firm was shown: the markets (with their positions, scores and
    channels) and the firm's context, as :func:`recommender.outcomes.impressions.impression_from_result`
    builds it, stored with the Chamber, the firm and where it was shown
    (``api`` or ``web``). Written in the same transaction as the stored
    recommendation; kept when that recommendation is trimmed from the history
    (``recommendation_id`` becomes NULL). The training code reads this table
    (and ``feedback.impression_id``) with SQLAlchemy Core: names are a contract."""

    __tablename__ = "impressions"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted row's id is never reused
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id", ondelete="SET NULL"),
                                                          nullable=True, index=True)
    surface: Mapped[str] = mapped_column(String(8))  # api | web
    model_version: Mapped[str] = mapped_column(String(64))
    outcome_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sector: Mapped[str] = mapped_column(String(64))
    division: Mapped[str] = mapped_column(String(8))
    district: Mapped[str | None] = mapped_column(String(120), nullable=True)
    province: Mapped[str | None] = mapped_column(String(8), nullable=True)
    locality: Mapped[str | None] = mapped_column(String(130), nullable=True)
    maturity_level: Mapped[int] = mapped_column(Integer)
    size_class: Mapped[str] = mapped_column(String(16))
    customer_type: Mapped[str] = mapped_column(String(8))
    markets: Mapped[list] = mapped_column(JSON)  # [{"iso3", "rank", "score", "prior_score", "explored", "parts", "channels"}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def rank_of(self, iso3: str) -> int | None:
        """The position ``iso3`` was shown at (1 = first), or None if it was not shown."""
        return next((m["rank"] for m in self.markets if m.get("iso3") == iso3), None)


class OutcomeFields:
    """What an outcome says: the columns a current outcome (``Feedback``) and each of its earlier
    versions (``FeedbackHistory``) share, so the two tables cannot drift apart."""

    FIELDS = ("market", "channel_id", "status", "date", "revenue_band", "note")
    market: Mapped[str] = mapped_column(String(3))
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    date: Mapped[date] = mapped_column(Date)
    revenue_band: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Feedback(OutcomeFields, Base):
    __tablename__ = "feedback"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted row's id is never reused
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the impression this outcome follows (the firm's latest one showing the market), if any
    impression_id: Mapped[int | None] = mapped_column(ForeignKey("impressions.id", ondelete="SET NULL"),
                                                      nullable=True, index=True)
    impression: Mapped[Impression | None] = relationship(lazy="selectin")

    @property
    def position(self) -> int | None:
        """The market's rank in the impression this outcome follows (None without one)."""
        return self.impression.rank_of(self.market) if self.impression is not None else None


class FeedbackHistory(OutcomeFields, Base):
    """An outcome as it was before someone edited or deleted it (web app): the
    feedback table holds the current outcomes (what training reads); this one
    keeps every earlier version, with who changed it and when."""

    __tablename__ = "feedback_history"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    feedback_id: Mapped[int] = mapped_column(Integer, index=True)  # no foreign key: the row may be deleted
    action: Mapped[str] = mapped_column(String(10))  # edited | deleted
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    impression_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the outcome was first recorded


class IdempotencyKey(Base):
    """A POST that carried ``Idempotency-Key``: the same key again (same tenant,
    same operation, same body) returns the resource created the first time."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_idempotency_keys_tenant_id_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(100))    # e.g. "POST /firms"
    request_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical request body
    resource_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    """A person who signs in to the web app (a borsista or Chamber staff), in one tenant.
    Only a salted password hash is stored; ``password_hash`` is None until the
    password is set on first login."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted user's id (in old session cookies) is never reused
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(120), nullable=True)  # shown as "prepared by"; else the e-mail
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(20), default="borsista")  # borsista | staff
    locale: Mapped[str | None] = mapped_column(String(5), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # in every session cookie; incremented on sign-out, which invalidates the cookies issued before
    session_version: Mapped[int] = mapped_column(Integer, server_default="0")


class MaturityAssessment(Base):
    """One dated answer to the 12-question web-maturity questionnaire; kept as
    history so a redone questionnaire shows how the level moved."""

    __tablename__ = "maturity_assessments"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted row's id is never reused
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    answers: Mapped[dict] = mapped_column(JSON)  # question id -> true/false (unanswered omitted)
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


Index("ix_firms_tenant_created", Firm.tenant_id, Firm.id)


class Job(Base):
    """A registry-scoring job (api/jobs): a Chamber's uploaded file, scored by a
    job worker into a compact result and an errors file kept under JOBS_DIR.

    The table is also the queue: a worker claims a ``queued`` job, or a
    ``running`` one whose lease ran out (its worker died), with one
    compare-and-set UPDATE, and renews ``lease_until`` while it works
    (api/jobs/queue.py). ``id`` is random, so ids say nothing about other
    Chambers' jobs; every query filters on ``tenant_id`` as well."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done | failed | expired
    k: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(2))
    input_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    input_format: Mapped[str] = mapped_column(String(10))   # csv | xlsx | parquet
    input_bytes: Mapped[int] = mapped_column(Integer)
    input_sha256: Mapped[str] = mapped_column(String(64))
    rows_estimate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_ok: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # why a job failed: {"detail", "errors"}
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


Index("ix_jobs_tenant_created", Job.tenant_id, Job.created_at)
Index("ix_jobs_status_created", Job.status, Job.created_at)

"""The jobs table as a job queue, on SQLite (``make run``) and PostgreSQL alike.

Why the database and not RQ/Celery on Redis: the embedded default
(``make run``) has no Redis, and a job's state must survive restarts anyway,
so it lives in the database; a queue in the same database needs no second
system to keep consistent with it, and scales out by starting more workers
against the same DATABASE_URL (and JOBS_DIR).

Contract:
- :func:`claim` hands a job to exactly one worker: the oldest ``queued`` job,
  or a ``running`` one whose lease has run out (its worker died), taken with
  one compare-and-set UPDATE (PostgreSQL: candidates read ``FOR UPDATE SKIP
  LOCKED``, so workers never wait on each other; SQLite: one writer at a
  time). It sets the worker, a lease of ``lease`` seconds and counts the attempt.
- A worker keeps its job by :func:`renew`-ing the lease; every write it makes
  to the job (progress, finish) is conditional on still owning it, so a worker
  that lost its job (paused past its lease) cannot overwrite its successor.
- Rows are acknowledged by chunk: the library commits each chunk's parts
  before the progress is written, and a successor resumes from them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from api.db.models import Job

ACTIVE = ("queued", "running")


def now() -> datetime:
    return datetime.now(timezone.utc)


def _claimable(at: datetime):
    return or_(Job.status == "queued", and_(Job.status == "running", Job.lease_until < at))


def claim(session: Session, worker: str, lease: float) -> Job | None:
    """The job this worker now owns, or None when there is nothing to do."""
    at = now()
    candidates = select(Job.id).where(_claimable(at)).order_by(Job.created_at, Job.id).limit(5)
    if session.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    for job_id in session.scalars(candidates).all():
        taken = session.execute(
            update(Job).where(Job.id == job_id, _claimable(at))
            .values(status="running", worker=worker, lease_until=at + timedelta(seconds=lease),
                    attempts=Job.attempts + 1, started_at=func.coalesce(Job.started_at, at))
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            session.commit()
            return session.get(Job, job_id, populate_existing=True)
    session.commit()
    return None


def _owned(job_id: str, worker: str):
    return update(Job).where(Job.id == job_id, Job.worker == worker, Job.status == "running") \
        .execution_options(synchronize_session=False)


def renew(session: Session, job_id: str, worker: str, lease: float, **values) -> bool:
    """Extend the lease (and set ``values``, e.g. progress); False if the job is no longer this worker's."""
    done = session.execute(_owned(job_id, worker).values(lease_until=now() + timedelta(seconds=lease), **values))
    session.commit()
    return done.rowcount == 1


def finish(session: Session, job_id: str, worker: str, status: str, keep_days: float, **values) -> bool:
    """End the job (done or failed); its files are kept ``keep_days``."""
    at = now()
    done = session.execute(_owned(job_id, worker).values(
        status=status, finished_at=at, expires_at=at + timedelta(days=keep_days), lease_until=None, **values))
    session.commit()
    return done.rowcount == 1


def release(session: Session, job_id: str, worker: str) -> None:
    """Give the job back to the queue at once (a worker stopping): the next worker resumes it."""
    session.execute(_owned(job_id, worker).values(status="queued", worker=None, lease_until=None))
    session.commit()


def active_count(session: Session, tenant_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Job)
                          .where(Job.tenant_id == tenant_id, Job.status.in_(ACTIVE))) or 0


def due_for_deletion(session: Session) -> list[Job]:
    """Ended jobs whose retention time has passed."""
    return list(session.scalars(select(Job).where(Job.status.in_(("done", "failed")), Job.expires_at < now())))

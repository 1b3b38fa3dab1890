"""Health, readiness, Prometheus metrics and the serving model's card."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, g
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.arguments import Blueprint
from api.errors import ApiProblem
from api.model_holder import without_paths
from api.observability import queue_metrics
from recommender.errors import ModelError

blp = Blueprint("ops", __name__, url_prefix="/api/v1", description="Operations")


@blp.route("/healthz", methods=["GET"])
@blp.response(200)
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200)
@blp.problems(503)
def readyz():
    """Model loaded and verified (and the one models/CURRENT names: 503 while that one failed
    verification), database reachable and migrated."""
    holder = current_app.extensions["model_holder"]
    try:
        version = holder.get().model.version
    except ModelError as exc:
        raise ApiProblem(503, "Service Unavailable", f"model: {without_paths(str(exc))}") from None
    refused = holder.current_refused()
    if refused:  # serving the previous version is not the model the operator promoted
        raise ApiProblem(503, "Service Unavailable", f"model: {refused}", headers={"Retry-After": "30"})
    head = current_app.extensions["alembic_head"]
    try:
        at = g.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # the database driver's own errors, or no alembic_version table
        g.db.rollback()
        raise ApiProblem(503, "Service Unavailable", f"database: {type(exc).__name__}",
                         headers={"Retry-After": "5"}) from None
    if at != head:
        raise ApiProblem(503, "Service Unavailable", f"database not migrated: at {at}, code needs {head} "
                                                     "(run `flask --app api db upgrade`)")
    return {"status": "ready", "model_version": version, "schema_version": at}


@blp.route("/metrics", methods=["GET"])
@blp.doc(responses={"200": {"description": "Prometheus text exposition format, all workers added up",
                            "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics():
    """Prometheus text format: requests, latency, errors and model version of every worker,
    and the registry-scoring queue (jobs per status, oldest queued and running job's age,
    jobs whose worker's lease ran out) read from the database."""
    m = current_app.extensions["metrics"]
    m.set_model(current_app.extensions["model_holder"].version)
    try:
        with current_app.extensions["db_sessions"]() as session:
            queue = queue_metrics(session, datetime.now(timezone.utc))
    except SQLAlchemyError:  # the database is down: the request metrics still answer (readyz says why)
        queue = None
    return current_app.response_class(m.exposition(queue), content_type=CONTENT_TYPE_LATEST)


@blp.route("/model", methods=["GET"])
@blp.response(200)
def model():
    """The serving model: version, score weights and how they were fitted, forecast and
    real-destination metrics against the baselines (with CIs), data sources, and the
    outcome model (`outcomes`: what it learned from, i.e. prompted trials, unprompted
    outcomes and the registries' firms and cells, its fitted scalars and checks; null when
    the model has none)."""
    rec = current_app.extensions["model_holder"].get()
    man = rec.model.manifest
    metrics = dict(man["metrics"], districts={k: v for k, v in man["metrics"]["districts"].items() if k != "per_unit"})
    # the version this worker serves (its folder name), not what its manifest was trained as
    return {"version": rec.model.version, "trained_as": man["version"], "trained_at": man["trained_at"],
            "seed": man["seed"],
            "score": {k: man["score"][k] for k in ("parts", "weights", "fitted_on")},
            "promotion": man["promotion"], "forecast": {k: v for k, v in man["forecast"].items()
                                                        if k != "share_logit_coefficients"},
            "metrics": metrics, "data_tables": man["data_tables"],
            "serving": man["serving"], "data_vintages": rec.vintages, "outcomes": man.get("outcomes"),
            "sources": "see data/SOURCES.md: OECD ICIO, WIOD 2013, CEPII, World Bank, OWID/ITU, Eurostat, ISTAT"}

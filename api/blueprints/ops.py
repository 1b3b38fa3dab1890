"""Health, readiness, Prometheus metrics and the serving model's card."""

from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.errors import ApiProblem
from recommender.errors import ModelError

blp = Blueprint("ops", __name__, url_prefix="/api/v1", description="Operations")


@blp.route("/healthz", methods=["GET"])
@blp.response(200)
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200)
@blp.alt_response(503, description="model or database unusable")
def readyz():
    """Model loaded and verified, database reachable."""
    try:
        version = current_app.extensions["model_holder"].get().model.version
        g.db.execute(text("SELECT 1"))
    except ModelError as exc:
        raise ApiProblem(503, "Service Unavailable", f"model: {exc}") from None
    except Exception as exc:  # the database driver's own errors
        raise ApiProblem(503, "Service Unavailable", f"database: {type(exc).__name__}") from None
    return {"status": "ready", "model_version": version}


@blp.route("/metrics", methods=["GET"])
def metrics():
    """Prometheus text format."""
    m = current_app.extensions["metrics"]
    holder = current_app.extensions["model_holder"]
    m.model.clear()
    if holder.version:
        m.model.labels(holder.version).set(1)
    return current_app.response_class(generate_latest(m.registry), mimetype=CONTENT_TYPE_LATEST)


@blp.route("/model", methods=["GET"])
@blp.response(200)
def model():
    """The serving model: version, score weights and how they were fitted, forecast and
    real-destination metrics against the baselines (with CIs), data sources."""
    rec = current_app.extensions["model_holder"].get()
    man = rec.model.manifest
    metrics = dict(man["metrics"], districts={k: v for k, v in man["metrics"]["districts"].items() if k != "per_unit"})
    return {"version": man["version"], "trained_at": man["trained_at"], "seed": man["seed"],
            "score": {k: man["score"][k] for k in ("parts", "weights", "fitted_on")},
            "promotion": man["promotion"], "forecast": {k: v for k, v in man["forecast"].items()
                                                        if k != "share_logit_coefficients"},
            "metrics": metrics, "data_tables": man["data_tables"],
            "serving": man["serving"], "data_vintages": rec.vintages,
            "sources": "see data/SOURCES.md: OECD ICIO, WIOD 2013, CEPII, World Bank, OWID/ITU, Eurostat, ISTAT"}

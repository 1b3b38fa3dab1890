"""Flask app for Chambers of Commerce: a thin layer over ``recommender``.

``create_app()`` builds the app (Flask tutorial / microblog style): layered
config, extensions set up here, one blueprint per surface, nothing done at
import time. Run it with ``make run`` (gunicorn, see gunicorn.conf.py) or
``flask --app api run``.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from api import config as cfg
from api.db.session import make_engine, make_session_factory
from api.errors import register as register_errors
from api import limits, logs
from api.keys import VerifiedKeys, identify_caller
from api.model_holder import ModelHolder
from api.fast_json import OrjsonProvider
from api.observability import Metrics
from api.openapi import ProblemApi


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder="static")
    app.config.from_object(cfg.DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(cfg.from_env())
    if test_config:
        app.config.update(test_config)
    cfg.check(app.config)  # a bad value stops the start with a message naming the setting
    logs.init_app(app)  # first: the request id exists before any other hook can answer
    if app.config["TRUSTED_PROXIES"]:  # behind nginx: the client address comes from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{os.path.join(app.instance_path, 'recommender.db')}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = cfg.instance_secret_key(app.instance_path)

    # database: one engine per app, one session per request
    engine = make_engine(app.config["DATABASE_URL"])
    sessions = make_session_factory(engine)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = sessions

    @app.before_request
    def _open_session():
        g.db = sessions()

    @app.teardown_request
    def _close_session(_exc):
        db = g.pop("db", None)
        if db is not None:
            db.rollback()  # anything not committed explicitly is not acknowledged
            db.close()

    # keys are verified before the rate limits are counted (see api/limits.py)
    app.extensions["verified_keys"] = VerifiedKeys(app.config["API_KEY_CACHE_SECONDS"])
    app.before_request(identify_caller)

    app.extensions["model_holder"] = ModelHolder(app.config.get("MODELS_DIR"), app.config["MODEL_CHECK_SECONDS"],
                                                 signing_key=app.config.get("MODEL_SIGNING_KEY"))
    metrics = Metrics()
    metrics.init_app(app)
    app.extensions["metrics"] = metrics
    app.extensions["model_holder"].on_swap = metrics.set_model  # every worker's version on /metrics

    app.json = OrjsonProvider(app)
    api = ProblemApi(app, spec_kwargs={"components": {"securitySchemes": {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}}})
    register_errors(app)  # after Api(): our problem+json handlers replace flask-smorest's

    from api.blueprints import feedback, firms, impressions, ops, recommendations, reference
    from api.jobs import views as jobs

    limiter = limits.init_app(app, (recommendations.blp, firms.blp, feedback.blp, impressions.blp, jobs.blp))
    for blp in (recommendations.blp, firms.blp, feedback.blp, impressions.blp, jobs.blp, reference.blp, ops.blp):
        api.register_blueprint(blp)

    # the web app for borsisti and Chamber staff: sign-in, then server-rendered pages
    # (no API key, no JSON body parser: session login and CSRF-checked forms)
    from api import auth, web
    auth.init_app(app, limiter)
    web.init_app(app)

    from api import security_headers
    security_headers.init_app(app)  # CSP, framing, nosniff, no-store on every answer

    from api.cli import alembic_head, register as register_cli
    from api.jobs.cli import register as register_jobs_cli
    app.extensions["alembic_head"] = alembic_head()
    register_cli(app)
    register_jobs_cli(app)
    return app

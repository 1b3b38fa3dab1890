"""The web app for borsisti and Chamber staff: server-rendered Jinja + htmx
pages over the same database, tenants and model holder as the REST API.

``init_app(app)`` sets up Flask-Babel (Italian first), Jinja helpers, the
``web`` blueprint and friendly error pages. The API under ``/api/v1`` keeps
its problem+json errors.
"""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import Babel, format_date, format_decimal, format_percent

from api.errors import DATABASE_UNAVAILABLE, database_unavailable, model_unavailable, problem
from api.web import i18n
from recommender.errors import ModelError

babel = Babel()


def _is_api(path: str) -> bool:
    return path.startswith(("/api/", "/static/"))


def unavailable_page(retry_after: str):
    """503 page: the database or the model is unavailable (an outage, not a bug)."""
    from api.auth import login_manager
    if "_login_user" not in g:  # the page header must not ask the unavailable database for the user
        g._login_user = login_manager.anonymous_user()
    return render_template("error.html", code=503, message=None), 503, {"Retry-After": retry_after}


def database_down_page(e: Exception):
    current_app.logger.error("database unavailable: %s", e)
    return unavailable_page("5")


def no_model_page(e: ModelError):
    current_app.logger.error("no model to serve: %s", e)
    return unavailable_page("30")


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=i18n.select_locale, default_translation_directories="translations")

    from api.web.views import bp
    app.register_blueprint(bp)

    app.jinja_env.globals.update(i18n=i18n, page_lang=i18n.lang)
    app.jinja_env.filters.update(
        number=lambda v, digits=1: format_decimal(v, format=f"#,##0.{'0' * digits}" if digits else "#,##0"),
        percent=lambda v, digits=0: format_percent(v, format=f"#,##0.{'0' * digits}%" if digits else "#,##0%"),
        long_date=lambda d: format_date(d, format="long"),
        short_date=lambda d: format_date(d, format="medium"),
        country=i18n.country_name,
    )

    @app.errorhandler(404)
    def _not_found(e):  # unknown URLs: problem+json under /api, a page elsewhere
        if _is_api(request.path):
            return problem(404, e.name, e.description)
        return render_template("error.html", code=404, message=None), 404

    # the API answers these with problem+json (api/errors.py); pages (sign-in too) get a page
    def _database_down(e):
        return database_unavailable(e) if _is_api(request.path) else database_down_page(e)

    def _no_model(e: ModelError):
        return model_unavailable(e) if _is_api(request.path) else no_model_page(e)

    for exc in DATABASE_UNAVAILABLE:
        app.register_error_handler(exc, _database_down)
    app.register_error_handler(ModelError, _no_model)

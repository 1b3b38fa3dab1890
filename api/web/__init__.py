"""The web app for borsisti and Chamber staff: server-rendered Jinja + htmx
pages over the same database, tenants and model holder as the REST API.

``init_app(app)`` sets up Flask-Babel (Italian first), Jinja helpers, the
``web`` blueprint and friendly error pages. The API under ``/api/v1`` keeps
its problem+json errors.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import Babel, format_date, format_decimal, format_percent

from api.errors import problem
from api.web import i18n

babel = Babel()


def _is_api(path: str) -> bool:
    return path.startswith(("/api/", "/static/"))


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

"""Sign-in for the web app: users of a Chamber (tenant), session login with
hashed passwords, rate-limited login, logout, and ``flask --app api users ...``.

``init_app(app, limiter)`` sets up Flask-Login and registers the ``auth``
blueprint and the CLI group. The web pages require a signed-in user
(``login_required``); a user sees only their tenant's firms.
"""

from __future__ import annotations

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from api.auth.users import load_signed_in

login_manager = LoginManager()
# CSRF for the web forms; with WTF_CSRF_CHECK_DEFAULT off, the web and auth
# blueprints call csrf.protect() themselves (the API authenticates with keys).
csrf = CSRFProtect()


def init_app(app: Flask, limiter) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says why on its own
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str):
        return load_signed_in(g.db, user_id)

    from api.auth import views
    # login attempts per client address; read per request so tests can configure it
    limiter.limit(lambda: app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
                  key_func=views.client_address)(views.bp)
    app.register_blueprint(views.bp)

    from api.auth.cli import register as register_cli
    register_cli(app)

"""Sign-in for the web app: users of a Chamber (tenant), session login with
hashed passwords, rate-limited login, logout, and ``flask --app api users ...``.

``init_app(app, limiter)`` sets up Flask-Login and registers the ``auth``
blueprint and the CLI group. The web pages require a signed-in user
(``login_required``); a user sees only their tenant's firms.
"""

from __future__ import annotations

from flask import Flask, g, request
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
    # Failed sign-ins (401) are counted, per account (any address), per account from one
    # address, and per address (a generous cap, for an office behind one NAT address):
    # someone guessing one account's password never locks out a colleague who types theirs.
    # Read per request so tests can configure them; a refused attempt says which limit it hit.
    failed = lambda response: response.status_code == 401  # noqa: E731
    only_login = lambda: request.endpoint != "auth.login"  # noqa: E731  (not sign-out)
    for setting, key, message in (
            ("LOGIN_RATE_LIMIT", views.address_account_key, views.TOO_MANY_FOR_ACCOUNT),
            ("LOGIN_ACCOUNT_RATE_LIMIT", views.account_key, views.TOO_MANY_FOR_ACCOUNT),
            ("LOGIN_ADDRESS_RATE_LIMIT", views.client_address, views.TOO_MANY_FROM_ADDRESS)):
        limiter.limit(lambda setting=setting: app.config[setting], methods=["POST"], key_func=key,
                      deduct_when=failed, exempt_when=only_login, error_message=message)(views.bp)
    app.register_blueprint(views.bp)

    from api.auth.cli import register as register_cli
    register_cli(app)

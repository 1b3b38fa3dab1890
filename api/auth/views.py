"""``/login`` and ``/logout``. Every POST here is CSRF-checked and login is
rate-limited per client address (see ``init_app``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from api.auth import csrf
from api.auth.forms import LoginForm, LogoutForm
from api.auth.users import authenticate, end_sessions, load_signed_in, normalise_email

bp = Blueprint("auth", __name__)  # its templates are in api/web/templates (one look)


def client_address() -> str:
    return "login:" + (request.remote_addr or "unknown")


def _account() -> str:
    return normalise_email(request.form.get("email", ""))[:254]


def account_key() -> str:
    """Failed sign-ins of one account, from any address."""
    return "login-account:" + _account()


def address_account_key() -> str:
    """Failed sign-ins of one account from one address."""
    return f"login-address-account:{request.remote_addr or 'unknown'}:{_account()}"


# the 429 page's message, per limit (lazy: rendered in the page language)
def TOO_MANY_FOR_ACCOUNT() -> str:  # noqa: N802
    return _("Too many wrong passwords for this e-mail address. Wait a few minutes and try again, "
             "or ask the Chamber's staff to reset the password.")


def TOO_MANY_FROM_ADDRESS() -> str:  # noqa: N802
    return _("Too many failed sign-ins from this network. Wait a few minutes and try again.")


@bp.before_request
def _check_csrf():
    csrf.protect()  # only does work on POST/PUT/PATCH/DELETE; raises CSRFError (400)


def safe_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirect:
    not ``//host``, not ``/\\host``, no scheme)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.firms"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(g.db, form.email.data, form.password.data)
        if user is not None:
            lang = session.get("lang")
            session.clear()  # a fresh session on every sign-in
            if lang:
                session["lang"] = lang
            session.permanent = True
            login_user(load_signed_in(g.db, f"{user.id}:{user.session_version or 0}"))
            return redirect(safe_path(request.args.get("next"), url_for("web.firms")))
        flash(_("Wrong e-mail or password."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if LogoutForm().validate_on_submit():
        if current_user.is_authenticated:
            end_sessions(g.db, current_user.id)  # the old cookie, replayed, no longer signs in
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.errorhandler(CSRFError)
def _csrf_error(e):
    return render_template("error.html", code=400, message=_(
        "This form has expired or did not come from this site. Go back, reload the page and try again.")), 400


@bp.errorhandler(429)
def _too_many(e):
    # our limits carry their own message (which limit was reached); Flask-Limiter's default is "10 per 1 minute"
    message = e.description if isinstance(e, RateLimitExceeded) and e.limit.error_message else None
    return render_template("error.html", code=429, message=message or _(
        "Too many sign-in attempts from this computer. Wait a minute and try again.")), 429

"""``/login`` and ``/logout``. Every POST here is CSRF-checked and login is
rate-limited per client address (see ``init_app``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from api.auth import csrf
from api.auth.forms import LoginForm, LogoutForm
from api.auth.users import authenticate, load_signed_in

bp = Blueprint("auth", __name__)  # its templates are in api/web/templates (one look)


def client_address() -> str:
    return "login:" + (request.remote_addr or "unknown")


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
            login_user(load_signed_in(g.db, str(user.id)))
            return redirect(safe_path(request.args.get("next"), url_for("web.firms")))
        flash(_("Wrong e-mail or password."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if LogoutForm().validate_on_submit():
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
    return render_template("error.html", code=429, message=_(
        "Too many sign-in attempts from this computer. Wait a minute and try again.")), 429

"""Issue #20, security: sign-out ends the session server-side, the dashboard's
CSV cannot carry spreadsheet formulas, every answer carries the security
headers (CSP without inline script or style), and failed sign-ins are limited
per account and per address without locking out colleagues behind one address."""

import csv
import io
import re

import pytest
from alembic import command
from webclient import PASSWORDS, Browser

from api import create_app
from api.auth.users import create_user
from api.cli import alembic_config
from api.keys import create_key

FIRM = {"name": "Lanificio Sassolese", "ateco": "1413", "province": "Sassuolo", "maturity_level": "2"}


def new_firm(b, **changes) -> int:
    r = b.post("/firms/new", {**FIRM, **changes})
    assert r.status_code == 302, r.text[:2000]
    return int(re.search(r"/firms/(\d+)/", r.location).group(1))


# -- sign-out ---------------------------------------------------------------------
def test_a_session_cookie_replayed_after_sign_out_opens_nothing(app):
    b = Browser(app.test_client()).login("a@prato.example")
    other_device = Browser(app.test_client()).login("a@prato.example")
    stolen = b.client.get_cookie("session").value
    assert b.client.get("/firms").status_code == 200
    assert b.post("/logout").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    r = replay.get("/firms")
    assert r.status_code == 302 and "/login" in r.location
    assert replay.get("/dashboard.csv").status_code == 302
    # signing out ends the user's other sessions too; signing in again works
    assert other_device.client.get("/firms").status_code == 302
    again = Browser(app.test_client()).login("a@prato.example")
    assert again.client.get("/firms").status_code == 200
    assert other_device.client.get("/firms").status_code == 302  # a new sign-in does not revive old cookies


def test_a_session_from_before_versions_still_works_until_sign_out(app):
    """Cookies issued before this change carry a bare user id: read as version 0."""
    from api.auth.users import load_signed_in
    with app.extensions["db_sessions"]() as s:
        user = load_signed_in(s, "1:0") or load_signed_in(s, "1")
        assert load_signed_in(s, "1:999") is None and load_signed_in(s, "x:1") is None
        if user is not None:  # version 0 unless this module signed user 1 out already
            assert load_signed_in(s, str(user.id)) == load_signed_in(s, f"{user.id}:0")


# -- CSV injection ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x.example\",\"clic\")", "+39 055 123", "-1+2",
                                  "@SUM(A1:A2)"])
def test_dashboard_csv_neutralises_formulas(modena, name):
    new_firm(modena, name=name)
    r = modena.get("/dashboard.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.text)))
    names = [row[1] for row in rows[1:]]
    assert "'" + name in names
    assert not any(n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)
    assert rows[0][0] == "firm_id" and all(row[0].isdigit() for row in rows[1:])  # numbers untouched


def test_csv_safe_leaves_plain_values():
    from api.chamber_stats import csv_safe
    assert csv_safe("Lanificio") == "Lanificio" and csv_safe(-3) == -3 and csv_safe("") == ""
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("\tx") == "'\tx" and csv_safe("\r=1") == "'\r=1"  # the form strips them; the API may not


# -- headers ------------------------------------------------------------------------
def _assert_security_headers(r, no_store=True):
    csp = r.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
    assert directives.get("script-src") == "'self'", csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives.get("frame-ancestors") == "'none'"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    if no_store:
        assert r.headers["Cache-Control"] == "no-store"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.I)


def test_every_answer_carries_security_headers(app, prato):
    firm_id = new_firm(prato, name="Headers srl")
    for url in ("/firms", f"/firms/{firm_id}", f"/firms/{firm_id}/edit", f"/firms/{firm_id}/questionnaire",
                f"/firms/{firm_id}/recommendation", "/dashboard", "/firms/new", "/dashboard.csv",
                "/lookup/ateco?ateco=14", "/nowhere"):
        r = prato.get(url)
        assert r.status_code in (200, 404), url
        _assert_security_headers(r)
        if r.mimetype == "text/html":
            assert not INLINE_SCRIPT.search(r.text), url
            assert not INLINE_STYLE.search(r.text), url
            assert not EVENT_HANDLER.search(r.text), url
    anon = app.test_client()
    _assert_security_headers(anon.get("/login"))
    assert not INLINE_SCRIPT.search(anon.get("/login").text)
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "read")[0]
    for r in (anon.get("/api/v1/firms", headers={"X-API-Key": key}), anon.get("/api/v1/firms"),
              anon.get("/api/v1/openapi.json"), anon.get("/api/v1/nowhere")):
        _assert_security_headers(r)
    # static files may be cached (no session data in them)
    r = anon.get("/web/static/web.css")
    _assert_security_headers(r, no_store=False)
    assert r.headers.get("Cache-Control") != "no-store"


def test_swagger_ui_page_has_no_inline_script(app):
    r = app.test_client().get("/api/v1/docs")
    assert r.status_code == 200
    _assert_security_headers(r)
    assert not INLINE_SCRIPT.search(r.text)
    assert "/static/swagger-ui-init.js" in r.text and 'data-spec-url="/api/v1/openapi.json"' in r.text
    js = app.test_client().get("/static/swagger-ui-init.js")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.text


# -- sign-in limits -----------------------------------------------------------------
@pytest.fixture()
def limited_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "k", "LOGIN_RATE_LIMIT": "10 per minute",
                      "LOGIN_ACCOUNT_RATE_LIMIT": "30 per hour", "LOGIN_ADDRESS_RATE_LIMIT": "60 per hour"})
    with app.extensions["db_sessions"]() as s:
        for email, (tenant, pw) in PASSWORDS.items():
            create_user(s, tenant, email, password=pw)
    yield app
    app.extensions["db_engine"].dispose()


def _from(app, address) -> Browser:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    b = Browser(client)
    b.get("/login")
    return b


def test_wrong_passwords_lock_the_account_not_the_colleague_behind_the_same_address(limited_app):
    office = _from(limited_app, "10.0.0.7")
    codes = [office.post("/login", {"email": "a@prato.example", "password": f"guess-{i}"}).status_code
             for i in range(40)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    r = office.post("/login", {"email": "a@prato.example", "password": "guess-41"})
    assert r.status_code == 429 and "Troppe password errate per questo indirizzo e-mail" in r.text
    assert "Retry-After" in r.headers
    # the colleague at the next desk (same address) signs in with the right password
    colleague = _from(limited_app, "10.0.0.7")
    r = colleague.post("/login", {"email": "b@modena.example", "password": "pw-modena-123"})
    assert r.status_code == 302 and r.location.endswith("/firms")
    # the attacked account, from another address: allowed until the per-account limit (30) is reached
    for i, address in enumerate(("10.0.1.1", "10.0.1.2")):
        b = _from(limited_app, address)
        codes = [b.post("/login", {"email": "A@prato.example ", "password": f"x{i}{j}"}).status_code
                 for j in range(10)]
        assert codes == [401] * 10
    r = _from(limited_app, "10.0.1.3").post("/login", {"email": "a@prato.example", "password": "pw-prato-123"})
    assert r.status_code == 429 and "Troppe password errate per questo indirizzo e-mail" in r.text


def test_a_generous_cap_per_address_for_password_spraying(limited_app):
    sprayer = _from(limited_app, "10.0.0.9")
    codes = [sprayer.post("/login", {"email": f"u{i}@prato.example", "password": "Estate2026!"}).status_code
             for i in range(61)]
    assert codes[:60] == [401] * 60 and codes[60] == 429
    r = sprayer.post("/login", {"email": "b@modena.example", "password": "pw-modena-123"})
    assert r.status_code == 429 and "Troppi accessi non riusciti da questa rete" in r.text
    # other addresses are not affected
    r = _from(limited_app, "10.0.0.10").post("/login", {"email": "b@modena.example", "password": "pw-modena-123"})
    assert r.status_code == 302

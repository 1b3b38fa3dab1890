"""A test client that posts forms with the page's CSRF token."""

import re

from databases import fresh_database_url

PASSWORDS = {"a@prato.example": ("CCIAA Prato", "pw-prato-123"), "b@modena.example": ("CCIAA Modena", "pw-modena-123")}


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


class Browser:
    """A test client that keeps the page's CSRF token and posts forms with it."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kw):
        r = self.client.get(url, **kw)
        if r.mimetype == "text/html" and "csrf_token" in r.text:
            self.token = csrf_token(r.text)
        return r

    def post(self, url, data=None, **kw):
        if self.token is None:
            self.get("/login")
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kw)

    def login(self, email):
        self.get("/login")
        r = self.post("/login", {"email": email, "password": PASSWORDS[email][1]})
        assert r.status_code == 302, r.text
        self.get("/firms")
        return self


def database_url(tmp_path_factory) -> str:
    """SQLite in a temp dir, or a fresh database on TEST_DATABASE_URL's PostgreSQL server (as the API tests)."""
    return fresh_database_url(tmp_path_factory, "w")

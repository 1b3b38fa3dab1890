"""A live server for browser tests and screenshots: the real app on a temp
SQLite database, served by werkzeug in a thread on 127.0.0.1 (random free
port), and Debian's Chromium driven by Playwright (never downloaded)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from alembic import command
from werkzeug.serving import make_server

from api import create_app
from api.auth.users import create_user
from api.cli import alembic_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
USERS = {  # email -> (tenant, password)
    "borsista@prato.example": ("CCIAA Prato", "prato-password-1"),
    "staff@modena.example": ("CCIAA Modena", "modena-password-1"),
}


class LiveServer:
    def __init__(self, workdir: Path, **config):
        url = f"sqlite:///{workdir / 'web.db'}"
        command.upgrade(alembic_config(url), "head")
        self.app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-tests", "LOGIN_RATE_LIMIT": "200 per minute",
                               "API_RATE_LIMIT": "1000 per minute", **config})
        with self.app.extensions["db_sessions"]() as s:
            for email, (tenant, password) in USERS.items():
                create_user(s, tenant, email, password=password)
        self.app.extensions["model_holder"].get()  # load the model before the first page
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log in test output
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.app.extensions["db_engine"].dispose()


def launch(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} missing: run scripts/install-system-packages (as root) or make test")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def login(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", USERS[email][1])
    page.click("main form button[type=submit]")
    page.wait_for_url("**/firms")


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's WCAG violations of the current page at these impact levels."""
    # evaluated, not added as an inline <script>: the pages' Content-Security-Policy
    # (script-src 'self') would block that, as it should
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]

"""Registry evidence as a borsista sees it (issue #22): after the Chamber's registered Fermo
shoe firms (listing Norway) are learned from, a new Fermo shoe firm's recommendation page says
so in the market's reasons, in Italian, with the factor beside the score; no accessibility
violation. Screenshot: docs/screenshots/it-registry-reason.png when SCREENSHOTS is set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from model_copies import serving_copy
from support import LiveServer, axe_violations, login

from api.keys import create_key
from recommender.train import main as train_main

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
FERMO = {"ateco": "15.20.10", "province": "FM", "district": "calzaturiero-fermano-maceratese", "maturity_level": 3}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    models = serving_copy(tmp_path_factory.mktemp("models"))
    work = tmp_path_factory.mktemp("registry-live")
    with LiveServer(work, MODELS_DIR=str(models), MODEL_CHECK_SECONDS=0) as live:
        with live.app.extensions["db_sessions"]() as s:
            key = {"X-API-Key": create_key(s, "CCIAA Prato", "write")[0]}  # the borsista's Chamber
        client = live.app.test_client()
        for i in range(12):
            r = client.post("/api/v1/firms", headers=key,
                            json={"name": f"Calzaturificio {i}", **FERMO, "current_markets": ["NOR", "DEU"]})
            assert r.status_code == 201, r.get_data(as_text=True)
        assert train_main(["--outcomes", live.app.config["DATABASE_URL"], "--models-dir", str(models)]) == 0
        live.app.extensions["model_holder"].refresh()
        yield live


def test_a_new_firm_page_says_where_the_districts_registered_firms_sell(browser, trained):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    login(page, trained.url, "borsista@prato.example")
    page.goto(trained.url + "/firms/new")
    page.fill("#name", "Scarpe Nuove srl")
    page.fill("#ateco", "15.20.10")
    page.fill("#province", "Fermo")
    page.focus("#district")  # htmx loads the province's districts on focus
    page.wait_for_selector("#district option[value=calzaturiero-fermano-maceratese]", state="attached")
    page.select_option("#district", "calzaturiero-fermano-maceratese")
    page.select_option("#maturity_level", "3")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/firms/\d+/questionnaire$"))
    firm_id = int(re.search(r"/firms/(\d+)/", page.url).group(1))
    page.goto(trained.url + f"/firms/{firm_id}/recommendation")
    norway = page.locator("section:has(#detail-h) details", has_text="Norvegia").first
    norway.locator("summary").click()
    text = norway.inner_text()
    assert "12 imprese del distretto che fanno lo stesso prodotto vendono già qui (su 12 che esportano" in text
    assert "registri al " in text and "dopo registri ed esiti" in norway.locator("summary").inner_text()
    assert "dopo registri ed esiti" in page.content()
    assert not axe_violations(page)
    if os.environ.get("SCREENSHOTS"):
        norway.screenshot(path=str(ROOT / "docs" / "screenshots" / "it-registry-reason.png"))
    page.close()

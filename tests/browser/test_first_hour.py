"""What a borsista hits in the first hour at a firm's desk, in Debian's Chromium:
every item of the web-app issue checked in the browser, as the user meets it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader
from support import login

from recommender.data import load_table

pytestmark = pytest.mark.browser


def _new_firm_form(page, base: str, **fields) -> None:
    page.goto(base + "/firms/new")
    for name, value in {"name": "Occhialeria Agordina", "ateco": "32.50", "province": "BL", **fields}.items():
        page.fill(f"#{name}", value)
    page.select_option("#maturity_level", "2")
    page.click("main form button[type=submit]")


def test_every_form_error_comes_in_one_round_naming_field_and_value(page, live):
    login(page, live.url, "borsista@prato.example")
    _new_firm_form(page, live.url, vat_number="00743110158", languages="inglese, tedesco", ateco="9999")
    assert page.url.endswith("/firms/new")
    assert "«00743110158»" in page.locator("#vat_number-error").inner_text()
    languages = page.locator("#languages-error").inner_text()
    assert "«inglese»" in languages and "«tedesco»" in languages
    assert "«9999»" in page.locator("#ateco-error").inner_text()
    assert "3 campi da correggere" in page.locator(".error-summary").inner_text()


def test_product_words_find_the_ateco_code_with_its_title(page, live):
    login(page, live.url, "borsista@prato.example")
    page.goto(live.url + "/firms/new")
    for word, code in (("occhiali", "32.50"), ("calzature", "15.20"), ("vino", "11.02"), ("325", "32.50")):
        page.fill("#ateco", "")
        page.type("#ateco", word)  # typed: htmx asks the lookup as the borsista writes
        option = page.locator(f"#ateco-options option[value^='{code}']").first
        option.wait_for(state="attached")
        assert option.get_attribute("value").startswith(code)
        assert re.match(re.escape(option.get_attribute("value")) + r" – \w", option.inner_text() or
                        option.get_attribute("label") or option.text_content()), word


def test_outcome_form_preselects_nothing(page, live):
    login(page, live.url, "borsista@prato.example")
    _new_firm_form(page, live.url)
    firm_id = int(re.search(r"/firms/(\d+)/", page.url).group(1))
    page.goto(live.url + f"/firms/{firm_id}")
    assert page.locator("#market").input_value() == "" and page.locator("#status").input_value() == ""
    assert page.locator("#date").input_value() == ""
    page.click("#outcomes form button[type=submit].primary")  # one careless click stores nothing
    assert "nessun esito" in page.locator("#outcomes").inner_text().lower() or \
        page.locator("#outcomes tbody tr").count() == 0


def test_a_cookie_replayed_after_sign_out_opens_nothing(browser, live):
    context = browser.new_context()
    page = context.new_page()
    login(page, live.url, "borsista@prato.example")
    stolen = context.cookies()
    page.click("text=Esci")
    page.wait_for_url("**/login")
    replay = browser.new_context()
    replay.add_cookies(stolen)
    other = replay.new_page()
    other.goto(live.url + "/firms")
    assert "/login" in other.url
    context.close()
    replay.close()


def test_dashboard_csv_neutralises_formulas(page, live):
    login(page, live.url, "borsista@prato.example")
    _new_firm_form(page, live.url, name='=HYPERLINK("http://evil.example","x")')
    page.goto(live.url + "/dashboard")
    with page.expect_download() as dl:
        page.click("text=Esporta CSV")
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells if not re.fullmatch(r"-?\d+([.,]\d+)?", c))


def test_pages_carry_the_security_headers(page, live):
    response = page.goto(live.url + "/login")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "no-store" in headers["cache-control"]


def test_plan_is_at_most_four_pages_for_ten_markets_and_named_after_the_firm(page, live, tmp_path):
    login(page, live.url, "borsista@prato.example")
    _new_firm_form(page, live.url)
    firm_id = int(re.search(r"/firms/(\d+)/", page.url).group(1))
    page.goto(live.url + f"/firms/{firm_id}/recommendation")
    assert page.locator(".tiles .tile").count() == 10
    with page.expect_download() as dl:
        page.click("text=Scarica il piano (PDF)")
    assert re.fullmatch(r"piano-export-occhialeria-agordina-\d{4}-\d{2}-\d{2}\.pdf", dl.value.suggested_filename)
    path = tmp_path / "plan.pdf"
    dl.value.save_as(path)
    reader = PdfReader(path)
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) <= 4
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Come leggere questo piano" in first and "preparato da" in first and "CCIAA Prato" in first
    assert "2022: 1,0530 USD per euro" in text  # the euro rate, with its source, once


def test_english_pages_have_no_italian_channel_names_and_say_amounts_in_euro(page, live):
    login(page, live.url, "borsista@prato.example")
    _new_firm_form(page, live.url, ateco="23.31", province="MO", name="Ceramica Fiorano")
    firm_id = int(re.search(r"/firms/(\d+)/", page.url).group(1))
    page.goto(live.url + f"/firms/{firm_id}/recommendation")
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    channels = load_table("channels")
    italian_only = channels[channels["name_it"] != channels["name_en"]]
    shown = [n for n in channels["name_en"] if n in body]
    assert shown  # the page does name channels ...
    assert not [n for n in italian_only["name_it"] if n in body]  # ... in English only
    assert re.search(r"USD [\d.,]+ (m|bn) \(≈ €[\d.,]+ (m|bn) at the ECB's 2022 average rate\)", body)
    assert "2022: 1.0530 USD per euro" in body

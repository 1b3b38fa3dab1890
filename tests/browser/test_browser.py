"""A borsista's journey in a real browser (Debian Chromium via Playwright)
against the live app, with axe-core on every page: zero serious or critical
accessibility violations."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader
from support import axe_violations, login

pytestmark = pytest.mark.browser

ANSWERS = {"website": "yes", "site_foreign_language": "yes", "online_catalogue": "yes", "sells_own_site": "no",
           "sells_marketplaces": "no", "social_accounts": "yes", "paid_ads": "no", "web_analytics": "yes",
           "online_payments": "no", "crm_email": "unknown", "ships_abroad": "yes", "foreign_language_staff": "yes"}


def accessible(page) -> None:
    bad = axe_violations(page)
    assert not bad, f"{page.url}: {bad}"


def create_firm(page, base: str, name: str) -> int:
    page.goto(base + "/firms/new")
    page.fill("#name", name)
    page.fill("#ateco", "1413")
    page.fill("#province", "Sassuolo")
    page.select_option("#maturity_level", "2")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/firms/\d+/questionnaire$"))
    return int(re.search(r"/firms/(\d+)/", page.url).group(1))


def test_borsista_journey(page, live, tmp_path):
    base = live.url
    page.goto(base + "/")
    assert page.url.endswith("/login") and page.locator("html").get_attribute("lang") == "it"
    accessible(page)
    login(page, base, "borsista@prato.example")
    accessible(page)

    # a firm with odd inputs: a bad ATECO first, explained next to the field
    page.goto(base + "/firms/new")
    page.fill("#name", "Lanificio Sassolese")
    page.fill("#ateco", "1499")
    page.fill("#province", "Sassuolo")
    page.click("main form button[type=submit]")
    error = page.locator("#ateco-error")
    assert "codice ATECO non valido" in error.inner_text() and "14.29" in error.inner_text()
    assert page.locator("#ateco").get_attribute("aria-invalid") == "true"
    accessible(page)
    page.fill("#ateco", "1413")  # typed without the dot
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/firms/\d+/questionnaire$"))
    firm_id = int(re.search(r"/firms/(\d+)/", page.url).group(1))
    accessible(page)

    # the questionnaire
    for q, answer in ANSWERS.items():
        page.check(f"input[name={q}][value={answer}]")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/firms/{firm_id}")
    assert "maturità digitale 3 su 4" in page.locator(".flashes").inner_text()
    accessible(page)

    # the recommendation; changing the customer type re-ranks in place (no reload)
    page.goto(base + f"/firms/{firm_id}/recommendation")
    assert page.locator("svg[role=img] rect").count() > 10
    assert page.locator(".tiles .tile").count() == 10
    accessible(page)
    page.evaluate("window.__still_here = true")
    before = page.locator("#summary-title + dl").inner_text()
    assert "Consumatori (B2C)" in before
    page.select_option("#customer_type", "b2b")
    # (a selector, not wait_for_function: the page's CSP forbids the eval that would need)
    page.wait_for_selector("#summary-title + dl:has-text('Imprese (B2B)')")
    assert page.evaluate("window.__still_here") is True
    assert "customer_type=b2b" in page.url
    accessible(page)

    # the plan as a PDF
    with page.expect_download() as dl:
        page.click("text=Scarica il piano (PDF)")
    pdf_path = tmp_path / "plan.pdf"
    dl.value.save_as(pdf_path)
    reader = PdfReader(pdf_path)
    text = " ".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 2 and "Lanificio Sassolese" in text and "Imprese (B2B)" in text

    # an outcome
    page.goto(base + f"/firms/{firm_id}")
    page.select_option("#market", index=1)  # nothing is preselected: the first market comes after the empty choice
    market = page.locator("#market option:checked").inner_text()
    page.select_option("#status", "started")
    page.fill("#date", "2026-11-20")
    page.fill("#note", "contatto con un importatore")
    page.click("#outcomes form button[type=submit].primary")
    page.wait_for_url(f"**/firms/{firm_id}#outcomes")
    row = page.locator("#outcomes tbody tr").first.inner_text()
    assert market in row and "avviato" in row
    accessible(page)

    page.goto(base + "/dashboard")
    assert "1" in page.locator(".stats").inner_text()
    accessible(page)

    # English, then back to Italian
    page.goto(base + f"/firms/{firm_id}/recommendation")
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    body = page.locator("main").inner_text()
    assert "Where Italian firms already sell" in body and "Potenziale" not in body
    accessible(page)
    page.click("button[name=lang][value=it]")
    page.wait_for_load_state()

    page.click("text=Esci")
    page.wait_for_url("**/login")
    assert "Sei uscito" in page.content()
    assert page.goto(base + f"/firms/{firm_id}").url.endswith(f"/login?next=%2Ffirms%2F{firm_id}")


def test_other_chamber_gets_404_and_csrf_less_posts_are_refused(browser, live):
    prato = browser.new_context()
    page = prato.new_page()
    login(page, live.url, "borsista@prato.example")
    firm_id = create_firm(page, live.url, "Tessitura Segreta")
    r = page.request.post(live.url + "/firms/new", form={"name": "x", "ateco": "1413", "province": "PO",
                                                         "maturity_level": "2"})
    assert r.status == 400  # no CSRF token
    r = page.request.post(live.url + "/logout")
    assert r.status == 400
    prato.close()

    modena = browser.new_context()
    page = modena.new_page()
    login(page, live.url, "staff@modena.example")
    for url in (f"/firms/{firm_id}", f"/firms/{firm_id}/recommendation", f"/firms/{firm_id}/plan.pdf"):
        response = page.goto(live.url + url)
        assert response.status == 404, url
        assert "Pagina non trovata" in page.locator("h1").inner_text()
    assert "Tessitura Segreta" not in page.goto(live.url + "/firms").text()
    accessible(page)
    modena.close()


def test_main_flow_works_without_javascript(browser, live):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, live.url, "borsista@prato.example")
    firm_id = create_firm(page, live.url, "Senza JS srl")
    page.goto(live.url + f"/firms/{firm_id}/recommendation")
    page.select_option("#customer_type", "b2b")
    page.click("text=Aggiorna la classifica")
    page.wait_for_url(re.compile(r".*customer_type=b2b.*"))
    assert "Imprese (B2B)" in page.locator("#summary-title + dl").inner_text()
    context.close()


def test_pages_and_swagger_ui_run_under_the_content_security_policy(page, live):
    """No CSP violation on the pages (htmx and the CSS load as files, no inline
    script or style) and Swagger UI still renders the API under its CSP."""
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(live.url + "/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Export recommender API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 5  # the operations are listed
    login(page, live.url, "borsista@prato.example")
    firm_id = create_firm(page, live.url, "CSP Srl")
    for path in ("/firms", f"/firms/{firm_id}", "/firms/new", "/dashboard", f"/firms/{firm_id}/recommendation"):
        page.goto(live.url + path)
        page.wait_for_load_state("networkidle")
    page.goto(live.url + "/firms/new")
    page.fill("#ateco", "14")  # htmx still works: the ATECO suggestions arrive
    page.locator("#ateco-options option").first.wait_for(state="attached")
    accessible(page)
    assert violations == []


def test_outcome_channels_follow_the_market(page, live):
    """Choosing a market narrows the channel list to the channels recommended for it (htmx)."""
    login(page, live.url, "borsista@prato.example")
    firm_id = create_firm(page, live.url, "Esiti Srl")
    page.goto(f"{live.url}/firms/{firm_id}/recommendation")
    page.goto(f"{live.url}/firms/{firm_id}")
    assert page.locator("#market").input_value() == "" and page.locator("#status").input_value() == ""
    assert page.locator("#channel_id option").count() == 1  # no market chosen yet: no channels
    first = page.locator("#market optgroup").first.locator("option").first.get_attribute("value")
    page.select_option("#market", first)
    page.locator("#channel_id option:nth-child(2)").wait_for(state="attached")
    names = page.locator("#channel_id option").all_inner_texts()
    assert len(names) > 1 and not any(re.fullmatch(r"[a-z0-9-]+", n) for n in names[1:])  # names, not ids
    page.select_option("#channel_id", index=1)
    page.select_option("#status", "started")
    page.fill("#date", "2026-11-20")
    page.click("#outcomes form button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/firms/\d+#outcomes$"))
    assert names[1] in page.locator("#outcomes table").first.inner_text()
    accessible(page)


def test_pages_fit_a_360_px_phone(browser, live):
    """Nothing scrolls sideways on a phone: the pages fit 360 px (the narrowest common
    width); the chart and the wide ranking table scroll inside their own boxes, with labels
    at a readable size."""
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    login(page, live.url, "borsista@prato.example")
    firm_id = create_firm(page, live.url, "Telefono Srl")
    for path in ("/firms", f"/firms/{firm_id}", "/firms/new", f"/firms/{firm_id}/questionnaire",
                 f"/firms/{firm_id}/recommendation", "/dashboard"):
        page.goto(live.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    label = page.goto(live.url + f"/firms/{firm_id}/recommendation") and page.locator(".chart > svg text").first
    assert label.bounding_box()["height"] >= 8  # the 11 px labels are not shrunk to ~4 px
    context.close()

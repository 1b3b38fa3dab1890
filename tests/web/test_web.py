"""The web app through its pages (Flask test client): sign-in, tenants,
CSRF, firm validation messages, questionnaire history, recommendation
rendering (also of result shapes the recommender may grow), PDF, outcomes,
dashboard, languages and the users CLI."""

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from webclient import Browser

from api.auth.users import authenticate
from api.db.models import User
from api.keys import create_key
from recommender.maturity import QUESTION_IDS

FIRM = {"name": "Lanificio Sassolese", "ateco": "1413", "province": "Sassuolo", "maturity_level": "2"}
ALL_YES = {q: "yes" for q in QUESTION_IDS}
MONTHS_IT = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
             "ottobre", "novembre", "dicembre"]


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def new_firm(b, **changes) -> int:
    r = b.post("/firms/new", {**FIRM, **changes})
    assert r.status_code == 302, text_of(r.text)[:2000]
    return int(re.search(r"/firms/(\d+)/", r.location).group(1))


def test_pages_need_sign_in_and_root_leads_to_login(app):
    c = app.test_client()
    assert c.get("/").location.endswith("/login")
    r = c.get("/firms")
    assert r.status_code == 302 and "/login" in r.location
    r = c.get("/login")
    assert r.status_code == 200 and '<html lang="it">' in r.text and "Accedi" in r.text


def test_login_logout_and_cookie_flags(app):
    b = Browser(app.test_client())
    b.get("/login")
    r = b.post("/login", {"email": "a@prato.example", "password": "wrong"})
    assert r.status_code == 401 and "E-mail o password errate" in r.text
    r = b.post("/login", {"email": "A@Prato.example ", "password": "pw-prato-123"})
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # off by default so http://127.0.0.1 works; SESSION_COOKIE_SECURE=1 turns it on
    b.get("/firms")
    r = b.post("/logout")
    assert r.status_code == 302
    assert b.client.get("/firms").status_code == 302  # signed out
    with app.extensions["db_sessions"]() as s:
        user = s.scalar(select(User).where(User.email == "a@prato.example"))
        assert user.password_hash.startswith("scrypt:") and "pw-prato-123" not in user.password_hash
        assert authenticate(s, "nobody@x.example", "pw") is None


def test_secure_cookie_is_configurable(tmp_path):
    from alembic import command

    from api import create_app
    from api.cli import alembic_config
    url = f"sqlite:///{tmp_path / 'c.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "SESSION_COOKIE_SECURE": True,
                      "LOGIN_RATE_LIMIT": "2 per minute"})
    b = Browser(app.test_client())
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    r = b.get("/login", **https)  # a Secure cookie only comes back over https
    assert "Secure" in r.headers["Set-Cookie"]
    # failed sign-ins are rate-limited (per account and address: LOGIN_RATE_LIMIT); the third
    # answers with a page, not problem+json
    for _ in range(2):
        assert b.post("/login", {"email": "x@y.z", "password": "p"}, **https).status_code == 401
    r = b.post("/login", {"email": "x@y.z", "password": "p"}, **https)
    assert r.status_code == 429 and r.mimetype == "text/html" and "Troppi tentativi" in r.text
    app.extensions["db_engine"].dispose()


def test_posts_without_csrf_token_are_refused(app, prato):
    r = prato.client.post("/firms/new", data=FIRM)
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "Il modulo è scaduto" in r.text
    r = app.test_client().post("/login", data={"email": "a@prato.example", "password": "pw-prato-123"})
    assert r.status_code == 400
    # the API is not affected: it authenticates with keys
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "write")[0]
    r = app.test_client().post("/api/v1/firms", json={"name": "x", "ateco": "23.31", "province": "MO",
                                                     "maturity_level": 2}, headers={"X-API-Key": key})
    assert r.status_code == 201


def test_odd_inputs_are_accepted_and_bad_ones_explained(prato):
    r = prato.post("/firms/new", {**FIRM, "ateco": "1499"})
    assert r.status_code == 422
    page = text_of(r.text)
    assert "codice ATECO non valido" in page and "Valori validi più vicini" in page and "14.29" in page
    r = prato.post("/firms/new", {**FIRM, "vat_number": "00743110158"})
    assert "partita IVA non valida" in text_of(r.text)
    r = prato.post("/firms/new", {**FIRM, "current_markets": "Germania, Narnia"})
    assert "paese sconosciuto" in text_of(r.text)
    r = prato.post("/firms/new", {**FIRM, "province": "Atlantide"})
    assert "provincia sconosciuta" in text_of(r.text)
    firm_id = new_firm(prato, vat_number="00743110157", current_markets="DE, Francia")
    r = prato.get(f"/firms/{firm_id}")
    assert r.status_code == 200 and "Lanificio Sassolese" in r.text and "00743110157" in r.text


def test_firm_list_search_paging_and_edit(prato):
    ids = [new_firm(prato, name=f"Ceramica {i:02d}", ateco="C23", province="MO") for i in range(22)]
    r = prato.get("/firms?q=ceramica")
    assert "22 imprese" in text_of(r.text) and "Pagina 1 di 2" in text_of(r.text)
    assert "Ceramica 01" not in r.text and "Ceramica 21" in r.text  # newest first
    assert "Ceramica 01" in prato.get("/firms?q=ceramica&page=2").text
    r = prato.post(f"/firms/{ids[0]}/edit", {"name": "Ceramica Zero", "ateco": "23.31", "province": "Sassuolo",
                                             "district": "piastrelle-di-sassuolo", "maturity_level": "3",
                                             "customer_type": "b2b"})
    assert r.status_code == 302
    assert "Piastrelle di Sassuolo" in prato.get(f"/firms/{ids[0]}").text  # the district's name, not its slug
    # the district list follows the province
    r = prato.get("/lookup/districts?province=Sassuolo")
    assert "piastrelle-di-sassuolo" in r.text and "tessile-di-prato" not in r.text
    assert "MO" in prato.get("/lookup/places?province=Sassuolo").text
    assert "Fabbricazione di articoli di abbigliamento" in prato.get("/lookup/ateco?ateco=14").text


def test_another_chambers_firm_is_not_found(prato, modena):
    firm_id = new_firm(prato)
    for url in (f"/firms/{firm_id}", f"/firms/{firm_id}/edit", f"/firms/{firm_id}/recommendation",
                f"/firms/{firm_id}/plan.pdf", f"/firms/{firm_id}/questionnaire"):
        r = modena.get(url)
        assert r.status_code == 404 and r.mimetype == "text/html", url
        assert "Pagina non trovata" in r.text
    r = modena.post(f"/firms/{firm_id}/outcomes", {"market": "DEU", "status": "started", "date": "2026-11-01"})
    assert r.status_code == 404
    assert "Lanificio Sassolese" not in modena.get("/firms").text


def test_questionnaire_history_moves_the_level(app, prato):
    firm_id = new_firm(prato)
    r = prato.get(f"/firms/{firm_id}/questionnaire")
    page = text_of(r.text)
    assert "L'impresa ha un sito web proprio?" in page and "Perché lo chiediamo" in page
    low = {**{q: "no" for q in QUESTION_IDS}, "website": "yes", "social_accounts": "unknown"}
    r = prato.post(f"/firms/{firm_id}/questionnaire", low)
    assert r.status_code == 302
    page = text_of(prato.get(f"/firms/{firm_id}").text)
    assert '1 risposta "non so" conta come "non ancora" finché non si risponde: Ha account social' in page  # the level is explained, with what would raise it
    assert 'Il livello 1 corrisponde a 0-3 "sì" su 12' in page and 'Con 3 "sì" in più si arriva al livello 2' in page
    r = prato.post(f"/firms/{firm_id}/questionnaire", ALL_YES)
    page = text_of(prato.get(f"/firms/{firm_id}").text)
    assert "Come è cambiato il livello" in page and "4/4 · molto alta" in page and "1/4 · molto bassa" in page
    assert "È il livello più alto." in page
    today = datetime.now(ZoneInfo("Europe/Rome")).date()
    assert f"{today.day} {MONTHS_IT[today.month - 1]} {today.year}" in page  # dates in Italian
    # incomplete answers are refused with the reason
    r = prato.post(f"/firms/{firm_id}/questionnaire", {"website": "yes"})
    assert r.status_code == 422 and "Scegli una risposta" in r.text
    # the firm's profile now carries the answers: the API sees the same maturity
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "read")[0]
    firm = app.test_client().get(f"/api/v1/firms/{firm_id}", headers={"X-API-Key": key}).get_json()
    assert firm["profile"]["maturity_answers"]["website"] is True and "maturity_level" not in firm["profile"]


def test_recommendation_page_rerank_and_pdf(prato):
    firm_id = new_firm(prato, name="Maglificio Carpigiano", ateco="14.13", province="Carpi")
    r = prato.get(f"/firms/{firm_id}/recommendation")
    assert r.status_code == 200
    page = text_of(r.text)
    for part in ("Dove già vendono le imprese italiane", "Previsione a cinque anni", "Potenziale non sfruttato",
                 "Germania", "Prossimi passi", "Mercati esclusi", "Versione del modello", "Cosa serve:",
                 "Mercati per iniziare", "Dati che sono stime"):
        assert part in page, part
    assert "<svg" in r.text and 'role="img"' in r.text
    assert re.search(r"\d+,\d", page)  # Italian decimals
    # euro beside USD, at the ECB's rate of the figure's year, said once with its source
    assert re.search(r"mln USD \(≈ [\d.]+ mln € al cambio medio BCE 2022\)", page)
    assert "2022: 1,0530 USD per euro, media di 257 quotazioni giornaliere (fonte: BCE" in page
    # htmx asks for the fragment only; without htmx the same URL is a full page
    r = prato.get(f"/firms/{firm_id}/recommendation?customer_type=b2b&excluded_markets=DE",
                  headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and 'id="rec-body"' in r.text
    assert "Imprese (B2B)" in text_of(r.text) and "1. Germania" not in r.text
    r = prato.get(f"/firms/{firm_id}/recommendation?excluded_markets=Narnia")
    assert "paese sconosciuto" in text_of(r.text) and "1. " in r.text  # error shown, ranking kept
    r = prato.get(f"/firms/{firm_id}/plan.pdf?customer_type=b2b")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data[:5] == b"%PDF-"
    import io

    from pypdf import PdfReader
    pdf = PdfReader(io.BytesIO(r.data))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert len(pdf.pages) >= 2 and "Maglificio Carpigiano" in text and "Piano export digitale" in text
    assert "Come leggere questo piano" in text and "CCIAA Prato" in text
    assert "2022: 1,0530 USD per euro" in " ".join(text.split())


def test_page_and_plan_show_the_product_the_requirements_and_the_plan(prato):
    firm_id = new_firm(prato, name="Cantina Trevigiana", ateco="11.02", province="TV")
    page = text_of(prato.get(f"/firms/{firm_id}/recommendation").text)
    for part in ("Prodotto", "vino", "OECD ICIO C10T12", "adempimenti prima", "da fare prima della prima vendita",
                 "Passo:", "Fonti sul prodotto", "Non proposti per questo prodotto qui:", "Arabia Saudita",
                 "divieto di importazione per il prodotto", "Chi: l'impresa", "Chi: la Camera di commercio",
                 "Costo:", "Tempi di apertura:", "Stati Uniti: Registrare lo stabilimento presso la FDA"):
        assert part in page, part
    import io

    from pypdf import PdfReader
    r = prato.get(f"/firms/{firm_id}/plan.pdf")
    assert re.search(r'filename="piano-export-cantina-trevigiana-\d{4}-\d{2}-\d{2}\.pdf"', r.headers["Content-Disposition"])
    pdf = PdfReader(io.BytesIO(r.data))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())  # table cells wrap their lines
    assert len(pdf.pages) <= 4 and "Come leggere questo piano" in text and "I mercati consigliati" in text
    assert "la Camera di commercio" in text and "Stati Uniti: Registrare lo stabilimento" in text
    assert "Entro (data)" in text and "adempimenti prima della prima vendita" in text


def test_outcomes_are_api_feedback_and_feed_the_dashboard(app, prato):
    firm_id = new_firm(prato, name="Outcome Srl")
    prato.get(f"/firms/{firm_id}/recommendation")  # stores a recommendation (once: the same one is not stored again)
    prato.get(f"/firms/{firm_id}/recommendation")
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "read")[0]
    history = app.test_client().get(f"/api/v1/firms/{firm_id}/recommendations/history",
                                    headers={"X-API-Key": key}).get_json()["items"]
    assert len(history) == 1
    r = prato.get(f"/firms/{firm_id}")
    assert "Mercati consigliati" in r.text  # recommended markets offered first
    r = prato.post(f"/firms/{firm_id}/outcomes", {"market": "DEU", "channel_id": "amazon-de", "status": "first_sale",
                                                  "date": "2026-11-20", "note": "primo ordine"})
    assert r.status_code == 302
    assert "prima vendita" in prato.get(f"/firms/{firm_id}").text
    r = prato.post(f"/firms/{firm_id}/outcomes", {"market": "", "status": "started", "date": "2026-11-20"})
    assert r.status_code == 422
    items = app.test_client().get("/api/v1/feedback", headers={"X-API-Key": key}).get_json()["items"]
    mine = [i for i in items if i["firm_id"] == firm_id]
    assert mine and mine[0]["market"] == "DEU" and mine[0]["status"] == "first_sale"
    page = text_of(prato.get("/dashboard").text)
    assert "imprese consigliate" in page and "Germania" in page and "prime vendite" in page
    r = prato.get("/dashboard.csv")
    assert r.mimetype == "text/csv"
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("firm_id,name,ateco") and any("Outcome Srl" in ln and ",1," in ln for ln in lines)


def test_english_page_and_locale_formats(prato):
    firm_id = new_firm(prato, name="English Srl")
    r = prato.post("/language", {"lang": "en", "next": f"/firms/{firm_id}"})
    assert r.status_code == 302 and r.location.endswith(f"/firms/{firm_id}")
    r = prato.get(f"/firms/{firm_id}/recommendation")
    page = text_of(r.text)
    assert '<html lang="en">' in r.text and "Where Italian firms already sell" in page and "Germany" in page
    # sources are quoted verbatim in their own language (Italian press, associations): the rest is English
    ours = text_of(re.sub(r'<ul class="citations">.*?</ul>', "", r.text, flags=re.S))
    assert "Potenziale" not in ours and "Previsione" not in ours and "Germania" not in ours and "Requisiti" not in ours
    assert re.search(r"\d+\.\d", page)
    prato.post("/language", {"lang": "it"})
    assert "Scheda impresa" in text_of(prato.get(f"/firms/{firm_id}").text)


def test_friendly_errors_and_api_keeps_problem_json(app, prato, monkeypatch):
    r = prato.get("/no-such-page")
    assert r.status_code == 404 and r.mimetype == "text/html" and "Pagina non trovata" in r.text
    r = app.test_client().get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    firm_id = new_firm(prato)

    def boom(*a, **k):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr("api.registry.assessments", boom)
    r = prato.get(f"/firms/{firm_id}")
    assert r.status_code == 500 and "Qualcosa non ha funzionato" in r.text and "secret internal" not in r.text


def test_result_shapes_are_rendered_defensively(app):
    """Markets with horizon / needs_level / district_evidence and a new score part render; absent keys don't break."""
    from flask import render_template
    from flask_login import login_user

    from api.auth.users import SignedInUser
    from api.web import presenter
    result = {
        "scoring": {"weights": {"demand": 0.5, "gravity_new": 0.5}},
        "markets": [
            {"iso3": "DEU", "name_it": "Germania", "name_en": "Germany", "score": 80.5, "horizon": "now",
             "parts": {"demand": 0.9, "gravity_new": 0.7}, "reasons": ["Ragione con dato (Fonte 2022)"],
             "district_evidence": [{"source_title": "Rapporto distretto", "url": "https://example.org/r",
                                    "year": 2024, "quote": "export in crescita"}]},
            {"iso3": "USA", "name_it": "Stati Uniti", "name_en": "United States", "score": 60.0, "horizon": "prepare",
             "needs_level": 3, "parts": {"demand": 0.8}},
            {"iso3": "NOR", "name_it": "Norvegia", "name_en": "Norway", "score": 130.0, "horizon": "now",
             "parts": {"demand": 0.6}, "outcome": {"prior_score": 52.0, "reweighting": 1.0, "lift": 2.5}},
        ],
    }
    with app.test_request_context("/"):
        from flask import g
        g.db = app.extensions["db_sessions"]()
        login_user(SignedInUser(1, 1, "CCIAA Prato", "a@prato.example", "borsista", None))
        html = render_template("recommendation/_result.html", result=result, printing=False,
                               chart=presenter.score_chart(result), groups=presenter.market_groups(result["markets"]),
                               vintages=[])
        g.db.close()
    page = text_of(html)
    assert "Mercati per iniziare" in page and "Mercati da preparare" in page
    assert "richiede maturità digitale 3" in page
    assert "Rapporto distretto" in page and "export in crescita" in page and "2024" in page
    assert "Gravity new" in page and "Domanda" in page  # unknown key: readable fallback
    # an outcome-adjusted score is never "out of 100" above 100: the evidence score, then the factor
    assert "52,0 / 100 × 2,50 dopo registri ed esiti" in page and "130,0" not in page
    assert "80,5 / 100" in page
    assert "Ogni parte va da 0% a 100%" in page and "Parole e sigle" in page and "PPML pseudo-massima verosimiglianza di Poisson" in page
    assert presenter.market_groups([{"iso3": "DEU"}]) == [(None, [{"iso3": "DEU"}])]
    with app.test_request_context("/"):  # a part the fitted weights drop gets no colour or legend entry
        chart = presenter.score_chart({"scoring": {"weights": {"demand": 0.0, "gravity_new": 1.0}},
                                       "markets": [{"iso3": "DEU", "parts": {"demand": 0.9, "gravity_new": 0.5}}]})
    assert [w for _, _, w in chart.legend] == [1.0] and [s.key for s in chart.bars[0].segments] == ["gravity_new"]


def test_users_cli(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "create", "--tenant", "CCIAA Lucca", "--email", "new@lucca.example"])
    assert r.exit_code == 0
    password = r.stdout.strip().splitlines()[0]
    assert len(password) >= 12
    with app.extensions["db_sessions"]() as s:
        assert authenticate(s, "new@lucca.example", password) is not None
    r = runner.invoke(args=["users", "create", "--tenant", "CCIAA Lucca", "--email", "new@lucca.example"])
    assert r.exit_code != 0 and "already exists" in r.output
    assert "new@lucca.example" in runner.invoke(args=["users", "list"]).output
    r = runner.invoke(args=["users", "reset-password", "new@lucca.example"])
    with app.extensions["db_sessions"]() as s:
        assert authenticate(s, "new@lucca.example", r.stdout.strip()) is not None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example/x"])
def test_login_never_redirects_off_site(app, target):
    b = Browser(app.test_client())
    b.get("/login")
    r = b.post(f"/login?next={target}", {"email": "b@modena.example", "password": "pw-modena-123"})
    assert r.status_code == 302 and r.location.endswith("/firms")


def test_the_plan_is_prepared_by_the_users_name_and_chamber(app, prato):
    import io

    from pypdf import PdfReader

    def plan_text(firm_id):
        r = prato.get(f"/firms/{firm_id}/plan.pdf")
        return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages).split())

    firm_id = new_firm(prato, name="Firmato Srl")
    assert "preparato da a@prato.example, CCIAA Prato" in plan_text(firm_id)  # no name yet: the e-mail address
    cli = app.test_cli_runner()
    r = cli.invoke(args=["users", "set-name", "A@prato.example", "  Maria   Rossi "])
    assert r.exit_code == 0 and "a@prato.example: Maria Rossi" in r.output
    try:
        assert "preparato da Maria Rossi, CCIAA Prato" in plan_text(firm_id)
        r = cli.invoke(args=["users", "set-name", "nobody@prato.example", "X"])
        assert r.exit_code != 0 and "no user with e-mail nobody@prato.example" in r.output
        r = cli.invoke(args=["users", "set-name", "a@prato.example", "x" * 121])
        assert r.exit_code != 0 and "name must be 1 to 120 printable characters" in r.output
    finally:
        cli.invoke(args=["users", "set-name", "a@prato.example", ""])


def test_a_source_that_says_a_market_fell_is_shown_against_it(prato):
    firm_id = new_firm(prato, name="Maglificio Carpigiano Due", ateco="14.39", province="MO",
                       district="maglieria-di-carpi")
    page = text_of(prato.get(f"/firms/{firm_id}/recommendation").text)
    assert "Segnale contrario: la stessa fonte riporta un calo («il calo dell’Olanda»" in page
    assert "in calo, secondo la fonte" in page


def test_a_firm_giving_only_its_division_gets_its_districts_product_and_is_told(prato):
    firm_id = new_firm(prato, name="Cantina del Distretto", ateco="11", province="TV")
    page = text_of(prato.get(f"/firms/{firm_id}/recommendation").text)
    assert "vino (ATECO 11.02" in page
    assert "si usa il prodotto del distretto; indicate la classe ATECO" in page
    firm_id = new_firm(prato, name="Bevande Milanesi", ateco="11", province="MI")  # no district says which
    page = text_of(prato.get(f"/firms/{firm_id}/recommendation").text)
    assert "ATECO 11.01" in page and "indicate la classe ATECO per un consiglio sul prodotto." in page

"""Issue #20, forms: one submit shows every error of the form at once, each
naming the field and the value it refuses (not the partita IVA first and the
languages on a second submit, not the same sentence twice)."""

import html
import re

from sqlalchemy import func, select

from api.db.models import Firm

FIRM = {"name": "Lanificio Sassolese", "ateco": "1413", "province": "Sassuolo", "maturity_level": "2"}


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def field_errors(page: str, field: str) -> list[str]:
    m = re.search(rf'<div class="error" id="{field}-error">(.*?)</div>', page, re.S)
    return [text_of(p).strip() for p in re.findall(r"<p>(.*?)</p>", m.group(1), re.S)] if m else []


def firm_count(app) -> int:
    with app.extensions["db_sessions"]() as s:
        return s.scalar(select(func.count()).select_from(Firm))


def test_every_firm_error_after_one_submit_naming_field_and_value(app, prato):
    before = firm_count(app)
    r = prato.post("/firms/new", {**FIRM, "vat_number": "00743110158", "languages": "inglese, tedesco, en",
                                  "current_markets": "Germania, Narnia", "ateco": "9999", "employees": "-3"})
    assert r.status_code == 422 and firm_count(app) == before
    page = r.text
    assert field_errors(page, "vat_number") == ["«00743110158»: partita IVA non valida (11 cifre, cifra di controllo)"]
    langs = field_errors(page, "languages")
    assert len(langs) == 2 and langs[0].startswith("«inglese»:") and langs[1].startswith("«tedesco»:")
    assert langs[0] != langs[1]
    assert field_errors(page, "current_markets")[0].startswith("«Narnia»:")
    assert field_errors(page, "ateco")[0].startswith("«9999»:")
    assert field_errors(page, "employees") == ["«-3»: deve essere un numero intero da 0 a 1.000.000"]
    # the summary at the top names each field and links to it
    summary = re.search(r'<div class="error error-summary" role="alert">(.*?)</div>', page, re.S).group(1)
    text = text_of(summary)
    assert "5 campi da correggere" in text
    for label in ("Partita IVA", "Lingue parlate", "Mercati già serviti", "Codice ATECO", "Addetti"):
        assert label in text, label
    for field in ("vat_number", "languages", "current_markets", "ateco", "employees"):
        assert f'href="#{field}"' in summary


def test_shape_errors_and_meaning_errors_come_together(app, prato):
    """An empty name (the form's check) and a bad province (the library's) in one answer."""
    r = prato.post("/firms/new", {**FIRM, "name": "", "province": "Atlantide", "languages": "xx1", "employees": "abc"})
    assert r.status_code == 422
    assert field_errors(r.text, "employees") == ["«abc»: deve essere un numero intero da 0 a 1.000.000"]
    assert field_errors(r.text, "name") and field_errors(r.text, "province")[0].startswith("«Atlantide»:")
    assert field_errors(r.text, "languages")[0].startswith("«xx1»:")


def test_edit_shows_every_error_too(app, prato):
    r = prato.post("/firms/new", FIRM)
    firm_id = int(re.search(r"/firms/(\d+)/", r.location).group(1))
    prato.get(f"/firms/{firm_id}/edit")
    r = prato.post(f"/firms/{firm_id}/edit", {**FIRM, "name": "", "vat_number": "123", "languages": "francese"})
    assert r.status_code == 422
    assert field_errors(r.text, "name") and field_errors(r.text, "vat_number")
    assert field_errors(r.text, "languages")[0].startswith("«francese»:")


def test_api_lists_every_bad_field_with_the_partita_iva(app):
    from api.keys import create_key
    with app.extensions["db_sessions"]() as s:
        key = create_key(s, "CCIAA Prato", "write")[0]
    r = app.test_client().post("/api/v1/firms", headers={"X-API-Key": key}, json={
        "name": "x", "vat_number": "00743110158", "ateco": "9999", "province": "PO", "maturity_level": 2,
        "languages": ["inglese"]})
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["vat_number", "ateco", "languages[0]"]


def _options(b, q: str) -> list[tuple[str, str]]:
    r = b.get("/lookup/ateco", query_string={"ateco": q})
    assert r.status_code == 200
    return [(v, html.unescape(t)) for v, t in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', r.text)]


def test_ateco_lookup_finds_product_words_and_partial_codes(prato):
    expected = {"occhiali": "32.50", "calzature": "15.20", "scarpe": "15.20", "vino": "11.02",
                "prosecco": "11.02", "piastrelle": "23.31", "mobili": "31.09", "gioielli": "32.12",
                "yacht": "30.12", "325": "32.50", "32.50": "32.50", "Calzature ": "15.20"}
    for q, code in expected.items():
        options = _options(prato, q)
        codes = [v for v, _t in options[:3]]
        assert any(c == code or c.startswith(code + ".") for c in codes), (q, options[:5])
        assert all(t.startswith(v + " – ") and len(t) > len(v) + 5 for v, t in options), q  # code + title
    assert _options(prato, "occhiali")[0] == ("32.50.4", "32.50.4 – Fabbricazione di montature per occhiali")
    assert _options(prato, "vino")[0] == ("11.02", "11.02 – Produzione di vini da uve")
    assert _options(prato, "calzature")[0] == ("15.20", "15.20 – Fabbricazione di calzature")
    assert _options(prato, "") == [] and _options(prato, "zzzzqqq") == []
    assert not any(v.startswith(("45", "47", "62")) for v, _t in _options(prato, "commercio"))  # goods only


def test_a_code_picked_from_the_product_search_is_accepted(app, prato):
    r = prato.post("/firms/new", {**FIRM, "name": "Occhialeria Agordina", "ateco": "32.50.4", "province": "BL"})
    assert r.status_code == 302


def test_the_firm_page_says_what_the_app_understood(app, prato):
    from recommender.maturity import QUESTION_IDS
    r = prato.post("/firms/new", {**FIRM, "name": "Occhiali del Cadore", "ateco": "3250", "province": "BL",
                                  "district": "occhialeria-di-belluno"})
    assert r.status_code == 302
    firm_id = int(re.search(r"/firms/(\d+)/", r.location).group(1))
    facts = text_of(re.search(r'<dl class="facts">(.*?)</dl>', prato.get(f"/firms/{firm_id}").text, re.S).group(1))
    assert "32.50 – Fabbricazione di strumenti e forniture mediche e dentistiche" in facts
    assert "scritto come 3250" in facts
    assert "Prodotto occhiali" in facts and "scelto in base al distretto" in facts
    assert "C31T33 – " in facts  # the ICIO sector, named
    assert "Belluno (BL)" in facts
    assert "Distretto industriale Occhialeria di Belluno" in facts and "occhialeria-di-belluno" not in facts
    assert "2/4" in facts and "stimata (questionario non ancora compilato)" in facts
    prato.get(f"/firms/{firm_id}/questionnaire")
    prato.post(f"/firms/{firm_id}/questionnaire", {q: "yes" for q in QUESTION_IDS})
    facts = text_of(re.search(r'<dl class="facts">(.*?)</dl>', prato.get(f"/firms/{firm_id}").text, re.S).group(1))
    assert "4/4" in facts and "dalle risposte al questionario" in facts


def test_the_api_offers_the_same_ateco_search(app):
    r = app.test_client().get("/api/v1/ateco?q=occhiali")
    assert r.status_code == 200
    body = r.get_json()
    assert body["items"][0] == {"code": "32.50.4", "title": "Fabbricazione di montature per occhiali"}
    assert body["total"] == len(body["items"])
    assert app.test_client().get("/api/v1/ateco?q=325").get_json()["items"][0]["code"] == "32.50"
    assert app.test_client().get("/api/v1/ateco?q=" + "x" * 200).status_code == 422

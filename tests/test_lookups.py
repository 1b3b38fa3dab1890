"""Lookups: what users type resolves to typed objects, or fails with the field and suggestions."""

import pytest

from recommender.data import table_path
from recommender.errors import LookupFailed
from recommender.lookups import (districts_for_province, resolve_ateco, resolve_country, resolve_district,
                                 resolve_province)


@pytest.mark.parametrize("typed", ["14.13", "14.13.1", "1413", "14131", "C14", "c 14", "14", " 14.13 "])
def test_ateco_spellings_resolve_to_division_14(typed):
    a = resolve_ateco(typed)
    assert a.division == "14" and a.model_sector == "C13T15"
    assert a.name_en == "Manufacture of wearing apparel"


def test_ateco_keeps_the_most_specific_code_and_model_sector():
    a = resolve_ateco("23.31")
    assert (a.division, a.ateco_code, a.model_sector) == ("23", "23.31", "C23")
    assert a.icio_sectors == ("C23",) and a.name_it.startswith("Fabbricazione di altri prodotti")
    assert resolve_ateco(" c 14 ").code == "C14" and resolve_ateco("C14").ateco_code == "14"
    assert resolve_ateco("24.10").icio_sectors == ("C24A", "C24B")
    assert resolve_ateco("14131").ateco_code == "14.13.1"
    assert resolve_ateco("62.01").model_sector is None  # services: not modelled


@pytest.mark.parametrize("typed", ["99.99.9", "ZZ", "14.99", "", ".", " .. "])
def test_unknown_ateco_fails_with_field_and_suggestions(typed):
    with pytest.raises(LookupFailed) as err:
        resolve_ateco(typed, field="firms[2].ateco")
    assert err.value.field == "firms[2].ateco" and err.value.suggestions
    assert resolve_ateco(err.value.suggestions[0])  # every suggestion is itself valid


def test_ateco_suggestions_stay_in_the_division():
    with pytest.raises(LookupFailed) as err:
        resolve_ateco("14.99")
    assert all(s.startswith("14.") for s in err.value.suggestions)


@pytest.mark.parametrize("typed,sigla", [("MO", "MO"), ("mo", "MO"), ("Modena", "MO"), ("Reggio Emilia", "RE"),
                                         ("reggio nell'emilia", "RE"), ("Forlì", "FC"), ("Bozen", "BZ"),
                                         ("Sassuolo", "MO"), ("Prato", "PO"), ("NA", "NA"),
                                         ("Forli", "FC"), ("Bolzano", "BZ"), ("Carpi", "MO")])
def test_province_by_sigla_name_or_comune(typed, sigla):
    assert resolve_province(typed).sigla == sigla


def test_province_values():
    p = resolve_province("MO")
    assert (p.name, p.region, p.code, p.nuts3) == ("Modena", "Emilia-Romagna", "036", "ITH54")


def test_unknown_sigla_fails_with_suggestions():
    with pytest.raises(LookupFailed) as err:
        resolve_province("XX", field="firm.province")
    assert err.value.field == "firm.province" and err.value.error.value == "XX"
    assert all(len(resolve_province(s).sigla) == 2 for s in err.value.suggestions) and err.value.suggestions
    with pytest.raises(LookupFailed) as err:
        resolve_province("MX")
    assert err.value.field == "province"
    assert len(err.value.suggestions) == 3 and all(s.startswith("M") for s in err.value.suggestions)
    with pytest.raises(LookupFailed) as err:
        resolve_province("Modna")
    assert "Modena" in err.value.suggestions


def test_sassuolo_district_spans_modena_and_reggio():
    for typed in ("sassuolo", "Piastrelle di Sassuolo", "piastrelle-di-sassuolo", "PIASTRELLE DI SASSUOLO"):
        d = resolve_district(typed)
        assert d.provinces == ("MO", "RE") and d.origin == "dsw2013" and "23" in d.ateco_divisions


def test_district_accent_insensitive_and_ambiguous():
    assert resolve_district("Forlì-Cesena").slug == resolve_district("mobile imbottito di forli").slug
    with pytest.raises(LookupFailed) as err:
        resolve_district("orafo")
    assert "ambiguous" in err.value.error.reason and len(err.value.suggestions) >= 2


def test_a_province_suggests_its_districts():
    slugs = [d.slug for d in districts_for_province("MO")]
    assert slugs[0] == "piastrelle-di-sassuolo" and "maglieria-di-carpi" in slugs


needs_countries = pytest.mark.skipif(not table_path("countries").exists(),
                                     reason="data/countries.csv not built yet")


@needs_countries
@pytest.mark.parametrize("typed", ["DE", "DEU", "Germania", "germany", "GERMANY", "deu"])
def test_country_spellings(typed):
    assert resolve_country(typed).iso3 == "DEU"


@needs_countries
def test_country_names_and_unknowns():
    assert resolve_country("Stati Uniti").iso3 == "USA" and resolve_country("USA").iso2 == "US"
    de = resolve_country("germania")
    assert (de.iso3, de.iso2, de.name_it, de.name_en) == ("DEU", "DE", "Germania", "Germany")
    with pytest.raises(LookupFailed) as err:
        resolve_country("Germnia", field="current_markets[0]")
    assert err.value.field == "current_markets[0]" and "Germania" in err.value.suggestions

"""Product profiles, product rules and product evidence, through the public library API."""

import json
from pathlib import Path

import ateco
import pandas as pd
import pytest

from recommender.data import load_table
from recommender.data.builders import product_evidence as product_evidence_builder
from recommender.errors import DataError
from recommender.products import banned_markets, product_evidence, product_for, rules_for
from recommender.products import rules as rules_module
from recommender.products.evidence import source_weights


@pytest.fixture(scope="module")
def profiles():
    return load_table("product_profiles")


def _row(profiles, code, edition="2022", sub=None):
    t = profiles[(profiles["ateco_class"] == code) & (profiles["edition"] == edition)]
    t = t[t["subcategory"].isna()] if sub is None else t[t["subcategory"] == sub]
    assert len(t) == 1, (code, edition, sub)
    return t.iloc[0]


def _classes(edition):
    nodes = json.loads((Path(ateco.__file__).parent / "data" / edition / "nodes.json").read_text())["nodes"]
    return {n["code"] for n in nodes if n["level"] == "class" and int(n["code"][:2]) <= 33}


@pytest.mark.parametrize("edition", ["2022", "2025"])
def test_every_ateco_class_of_divisions_01_to_33_has_a_product(profiles, edition):
    mine = set(profiles.loc[(profiles["edition"] == edition) & profiles["subcategory"].isna(), "ateco_class"])
    assert mine == _classes(edition)
    assert (profiles["hs6_count"] > 0).all()  # every class has goods (its own, its ISIC class's or its division's)


# one known product per family: its family, finest ICIO sector, end use and HS codes (HS 2022, UN BEC Rev. 4)
KNOWN = [
    # code, edition, subcategory, family, ICIO sector, end use, default customer, an HS code it must hold
    ("11.02", "2022", None, "wine", "C10T12", "consumption", "b2c", "220421"),
    ("01.21", "2025", None, "wine", "C10T12", "consumption", "b2c", "220421"),  # farm wineries (ISTAT note)
    ("11.05", "2022", None, "spirits_beer", "C10T12", "consumption", "b2c", "220300"),
    ("10.13", "2022", None, "pork_meat", "C10T12", "consumption", "b2c", "021011"),
    ("10.11", "2022", None, "meat_other", "C10T12", None, None, "020130"),
    ("10.51", "2022", None, "dairy", "C10T12", "consumption", "b2c", "040690"),
    ("10.73", "2022", None, "pasta_bakery", "C10T12", "consumption", "b2c", "190219"),
    ("10.41", "2022", None, "olive_oil", "C10T12", None, None, "150920"),
    ("10.82", "2022", None, "confectionery_coffee", "C10T12", None, None, "180632"),
    ("14.13", "2022", None, "apparel", "C13T15", "consumption", "b2c", "620342"),
    ("13.20", "2022", None, "textiles", "C13T15", "intermediate", "b2b", "511211"),
    ("15.11", "2022", None, "leather", "C13T15", "intermediate", "b2b", "410712"),
    ("15.12", "2022", None, "leather_goods", "C13T15", "consumption", "b2c", "420221"),
    ("15.20", "2022", None, "footwear", "C13T15", "consumption", "b2c", "640359"),
    ("32.50", "2022", "32.50.5", "eyewear", "C31T33", None, None, "900410"),
    ("32.50", "2025", "32.50.4", "eyewear", "C31T33", None, None, "900311"),
    ("32.50", "2022", None, "medical_devices", "C31T33", None, None, "901890"),
    ("32.12", "2022", None, "jewellery", "C31T33", "consumption", "b2c", "711319"),
    ("31.09", "2022", None, "furniture", "C31T33", None, None, "940360"),
    ("23.31", "2022", None, "tiles_building", "C23", "intermediate", "b2b", "690721"),
    ("23.13", "2022", None, "glass", "C23", None, None, "701337"),
    ("23.70", "2022", None, "stone", "C23", None, "b2b", "680221"),
    ("20.42", "2022", None, "cosmetics", "C20", "consumption", "b2c", "330499"),
    ("21.20", "2022", None, "pharma", "C21", None, None, "300490"),
    ("24.10", "2022", None, "metals", "C24A", "intermediate", "b2b", "720890"),
    ("24.41", "2022", None, "metals", "C24B", None, None, "710812"),
    ("25.71", "2022", None, "household_goods", "C25", None, None, "821192"),
    ("27.51", "2022", None, "appliances", "C27", None, None, "845011"),
    ("28.94", "2022", None, "machinery", "C28", "capital", "b2b", "845310"),
    ("28.41", "2022", None, "machinery", "C28", "capital", "b2b", "845811"),
    ("28.29", "2022", "28.29.3", "machinery", "C28", "capital", "b2b", "842240"),
    ("29.10", "2022", None, "vehicles_parts", "C29", None, None, "870323"),
    ("30.12", "2022", None, "boats", "C301", "consumption", "b2c", "890399"),
    ("30.92", "2022", None, "motorcycles_bicycles", "C302T309", None, None, "871200"),
    ("32.40", "2022", None, "toys_sports", "C31T33", "consumption", "b2c", "950300"),
]


@pytest.mark.parametrize("code,edition,sub,family,icio,end_use,customer,hs", KNOWN, ids=[k[3] + "-" + k[0] for k in KNOWN])
def test_known_products_per_family(profiles, code, edition, sub, family, icio, end_use, customer, hs):
    r = _row(profiles, code, edition, sub)
    assert r["family"] == family and r["icio_sector"] == icio
    assert hs in r["hs6"].split(";")
    if end_use is not None:
        assert r["end_use"] == end_use
    if customer is not None:
        assert r["default_customer"] == customer
    assert r["family_name_it"] and r["family_name_en"] and r["title_it"] and r["isic4_title_en"]


def test_classes_sharing_an_isic_class_get_their_own_hs_codes(profiles):
    wine, cider = _row(profiles, "11.02"), _row(profiles, "11.03")
    assert wine["isic4"] == cider["isic4"] == "1102"
    assert {h[:4] for h in wine["hs6"].split(";")} == {"2204"} and {h[:4] for h in cider["hs6"].split(";")} == {"2206"}
    ham, beef = _row(profiles, "10.13"), _row(profiles, "10.11")
    assert not set(ham["hs6"].split(";")) & set(beef["hs6"].split(";"))
    assert _row(profiles, "23.31")["hs_basis"] == "class" and _row(profiles, "15.20")["hs_basis"] == "isic_class"


def test_product_resolution_from_what_the_firm_types():
    assert product_for("11.02.10", "2025").family == "wine"
    eyewear = product_for("32.50", "2025", None, ("occhialeria-di-belluno",))
    assert (eyewear.family, eyewear.chosen_by, eyewear.subcategory) == ("eyewear", "district", "32.50.4")
    assert product_for("32.50", "2025", "biomedicale-di-mirandola").family == "medical_devices"
    assert product_for("32.50.5", "2022").family == "eyewear"  # ATECO 2007/2022 sub-category
    assert product_for("32.50.5", "2025").family == "medical_devices"  # the same code is another thing in 2025
    division = product_for("11", "2025")
    assert division.from_division and division.chosen_by == "division" and division.ateco_class.startswith("11.")
    assert product_for("62.01", "2025") is None  # services
    assert product_for("01.21.00", "2025").demand_mix["household"] > 0.5


def test_a_division_alone_takes_the_product_of_the_firms_district():
    # a Prosecco district firm typing "11" makes wine, not the division's largest class (spirits)
    wine = product_for("11", "2025", "prosecco-di-conegliano-valdobbiadene")
    assert (wine.ateco_class, wine.family, wine.chosen_by, wine.from_division) == ("11.02", "wine", "district", True)
    # without a district, the only district of the province that says (Treviso: the Prosecco one)
    assert product_for("11", "2025", None, ("prosecco-di-conegliano-valdobbiadene",)).family == "wine"
    # the class the district's reports are on among its family's (Sassuolo: 23.31 tiles, not 23.99)
    assert product_for("23", "2025", "piastrelle-di-sassuolo").ateco_class == "23.31"
    # eyewear is a sub-category in division 32
    assert product_for("32", "2025", "occhialeria-di-belluno").family == "eyewear"
    # the district's family is elsewhere but its reports name a class of this division (Vigevano's
    # shoe machinery, 28.94)
    assert product_for("28", "2025", "calzature-e-macchine-di-vigevano").ateco_class == "28.94"
    # the Packaging Valley's family (machinery) is all of division 28; its reports say packaging machines
    assert product_for("28", "2025", "packaging-valley-bologna").subcategory == "28.29.3"
    # a district the table does not know: the division's largest class, as without one
    assert product_for("28", "2025", "meccatronica-di-reggio-emilia").chosen_by == "division"
    assert product_for("11", "2025", None, ()).chosen_by == "division"


def test_rules_ban_alcohol_and_pork_with_their_source():
    assert {"SAU", "BRN", "PAK"} <= banned_markets("wine", "food")
    assert {"SAU", "CHN", "JPN"} <= banned_markets("pork_meat", "food")  # JPN, CHN: African swine fever
    assert "SAU" not in banned_markets("dairy", "food") and not banned_markets("tiles_building", "building")
    for iso3, rules in rules_for("pork_meat", "food").items():
        for r in rules:
            assert r.source_url.startswith("http") and 0 < len(r.quote) <= 200 and r.as_of[:4].isdigit()
    kinds = {r.kind for r in rules_for("pork_meat", "food")["JPN"]}
    assert "animal_health_ban" in kinds
    us_wine = rules_for("wine", "food")["USA"]
    assert {r.kind for r in us_wine} == {"requirement"} and all(r.step_it and r.step_en for r in us_wine)
    assert rules_for("wine", "food")["SWE"][0].kind == "monopoly"
    # a lifted rule is kept in the table for the record, never applied
    lifted = load_table("product_rules").query("kind == 'lifted'")
    assert len(lifted) and not any(r.kind == "lifted" for rs in rules_for("machinery", "capital").values() for r in rs)


def test_source_weights_known_answer():
    rows = pd.DataFrame({"source_url": ["a", "a", "a", "b"], "rank": pd.array([1, 2, 3, None], dtype="Int64")})
    assert source_weights(rows).round(3).tolist() == [1.0, 0.75, 0.5, 0.75]


def test_product_evidence_names_markets_with_citations_and_can_leave_sources_out():
    value, cites, key = product_evidence(("wine",))
    assert key == "wine" and value.attrs["sources"] >= 3
    assert value.between(0, 1).all() and value.idxmax() in {"USA", "DEU", "GBR"}
    c = cites["USA"][0]
    assert c.source_url.startswith("http") and 0 < len(c.quote) <= 200 and c.year >= 2010
    urls = frozenset(r.source_url for r in cites["USA"])
    fewer, _, _ = product_evidence(("wine",), exclude_urls=urls)
    assert fewer.attrs["sources"] < value.attrs["sources"]
    # the first key with sources speaks: a finer list before the family's
    _, _, used = product_evidence(("footwear_machinery", "textile_machinery", "machinery"))
    assert used in ("footwear_machinery", "textile_machinery", "machinery")
    assert product_evidence(("no_such_key",))[2] is None


def _rules_with(tmp_path, monkeypatch, extra: dict) -> Path:
    """The curated product rules plus one row (``extra`` over a copy of the first *food* row)."""
    rules = pd.read_csv(product_evidence_builder.RULES, dtype=str, keep_default_na=False)
    row = rules[rules["product_family"] == "*food*"].iloc[0].to_dict() | extra
    path = tmp_path / "product_market_rules.csv"
    pd.concat([rules, pd.DataFrame([row])]).to_csv(path, index=False)
    monkeypatch.setattr(product_evidence_builder, "RULES", path)
    return path


@pytest.mark.parametrize("extra,reason", [
    ({"product_family": "wine", "except_families": "pork_meat"}, "only a rule on a group"),
    ({"except_families": "pork_meat;no_such_family"}, "unknown product families ['no_such_family']"),
], ids=["not-a-group", "unknown-family"])
def test_a_group_rule_can_leave_out_only_known_families(tmp_path, monkeypatch, extra, reason):
    _rules_with(tmp_path, monkeypatch, extra)
    with pytest.raises(DataError) as err:
        product_evidence_builder.build(tmp_path, {})
    assert reason in str(err.value) and "except_families" in str(err.value)


def test_a_group_rule_does_not_apply_to_the_families_it_leaves_out(tmp_path, monkeypatch):
    _rules_with(tmp_path, monkeypatch, {"iso3": "ISL", "except_families": "pork_meat;meat_other"})
    built = product_evidence_builder.build(tmp_path, {})["product_rules"]
    assert built.iloc[-1]["except_families"] == "pork_meat;meat_other"
    monkeypatch.setattr(rules_module, "load_table", lambda name, data_dir=None: built)
    rules_module._rules.cache_clear()
    rules_module.rules_for.cache_clear()
    try:
        assert "ISL" in rules_module.rules_for("dairy", "food")
        assert "ISL" not in rules_module.rules_for("pork_meat", "food")
        assert "ISL" not in rules_module.rules_for("meat_other", "food")
    finally:
        rules_module._rules.cache_clear()
        rules_module.rules_for.cache_clear()


def test_meat_for_the_usa_answers_to_the_usda_not_the_fdas_food_rules():
    """FDA food-facility registration, prior notice and FSVP do not cover USDA-regulated meat and
    poultry (each exemption sourced in the rule's scope note); FSIS reinspection and, for pork, the
    Ministry of Health's conditions and approved plants apply instead."""
    def sources(family):
        return {r.source_url for r in rules_for(family, "food")["USA"]}
    fsis = "https://www.fsis.usda.gov/es/node/4065"
    ham, beef, wine, cheese = sources("pork_meat"), sources("meat_other"), sources("wine"), sources("dairy")
    fda = {r.source_url for r in load_table("product_rules").query("product_family == '*food*' and iso3 == 'USA'")
           .itertuples()}
    assert len(fda) == 3 and not fda & ham and not fda & beef
    assert fda <= wine and fda <= cheese and fsis not in cheese
    assert fsis in ham and fsis in beef and any("salute.gov.it" in u for u in ham)
    for r in rules_for("pork_meat", "food")["USA"]:
        assert r.kind == "requirement" and r.step_it and r.step_en and 0 < len(r.quote) <= 200

"""Product-true advice through the public library API: the firm's product decides the markets,
import bans are never recommended, requirements move a market to "prepare" with their step."""

import pytest

from recommender.products import banned_markets
from recommending import recommend


def top(rec, k=10, **profile):
    return [m["iso3"] for m in recommend(rec, k=k, **profile)["markets"]]


def test_products_of_one_icio_sector_get_different_markets(rec):
    wine = top(rec, ateco="11.02", province="TV")
    ham = top(rec, ateco="10.13", province="PR")
    cheese = top(rec, ateco="10.51", province="RE")
    assert len({tuple(wine), tuple(ham), tuple(cheese)}) == 3
    tiles, glass = top(rec, ateco="23.31", province="MO"), top(rec, ateco="23.13", province="VE")
    assert tiles != glass


def test_each_figure_says_which_product_or_sector_it_is_for(rec):
    r = recommend(rec, ateco="30.12", province="LU")
    p = r["product"]
    assert (p["family"], p["icio_sector"], p["parts_sector"], p["forecast_sector"]) == ("boats", "C301", "C301",
                                                                                        "C29T30")
    for m in r["markets"]:
        assert m["figures_for"]["peers"] == "C301" and m["figures_for"]["forecast"] == "C29T30"
        assert "ICIO C301" in m["reasons"][0] and "non solo del prodotto" in m["reasons"][0]
    en = recommend(rec, ateco="30.12", province="LU", lang="en")
    assert "not the product alone" in en["markets"][0]["reasons"][0]


def test_yachts_are_ranked_on_ships_and_boats_not_cars(rec):
    boats = top(rec, ateco="30.12", province="LU", k=15)
    cars = top(rec, ateco="29.10", province="TO", k=15)
    assert boats != cars


@pytest.mark.parametrize("ateco,province,banned", [
    ("11.02", "TV", {"SAU", "BRN", "PAK"}),       # alcohol bans
    ("10.13", "PR", {"SAU", "CHN", "JPN"}),       # pork ban (SAU); African swine fever (CHN, JPN)
])
def test_no_market_under_an_import_ban_at_any_k(rec, ateco, province, banned):
    r = recommend(rec, k=30, ateco=ateco, province=province)
    shown = {m["iso3"] for m in r["markets"]}
    assert not banned & shown
    excluded = {e["iso3"]: e for e in r["excluded_markets"] if e["reason"] == "import_ban"}
    assert banned <= set(excluded)
    for iso3 in banned:
        rule = excluded[iso3]["rule"]
        assert rule["source_url"].startswith("http") and rule["as_of"][:4].isdigit() and rule["quote"]
    assert {"SAU", "CHN", "JPN"} <= banned_markets("pork_meat", "food")


def test_a_ban_on_one_product_leaves_other_products_alone(rec):
    cheese = top(rec, k=30, ateco="10.51", province="RE")
    assert "JPN" in cheese and "CHN" in cheese  # the swine-fever bans are on pork, not on cheese


def test_a_requirement_moves_the_market_to_prepare_with_its_step(rec):
    r = recommend(rec, k=15, ateco="11.02", province="TV", maturity_level=4)
    usa = next(m for m in r["markets"] if m["iso3"] == "USA")
    assert usa["horizon"] == "prepare"
    steps = [w for w in usa["warnings"] if w["type"] in ("requirement", "monopoly")]
    assert steps and all(w["step"] and w["source_url"].startswith("http") and w["as_of"] for w in steps)
    assert any(s["market"] == "USA" for s in r["next_steps"])


def test_farm_wineries_are_advised_as_wineries(rec):
    r = recommend(rec, ateco="01.21", province="CN")
    assert r["product"]["family"] == "wine" and r["product"]["parts_sector"] == "C10T12"
    assert r["firm"]["customer_type"] == "b2c" and not {"SAU", "PAK"} & {m["iso3"] for m in r["markets"]}


def test_product_evidence_is_cited(rec):
    r = recommend(rec, ateco="32.50.5", province="BL")
    assert r["product"]["family"] == "eyewear"
    usa = next(m for m in r["markets"] if m["iso3"] == "USA")
    assert usa["product_evidence"] and usa["product_evidence"][0]["source_url"].startswith("http")
    assert any("occhial" in reason.lower() for reason in usa["reasons"])


def test_a_winery_giving_only_its_division_is_advised_as_the_districts_wineries(rec):
    # "11" in the Prosecco district: the district's wine stands in, not the division's spirits
    bare = recommend(rec, ateco="11", province="TV", district="prosecco-di-conegliano-valdobbiadene")
    assert (bare["product"]["ateco_class"], bare["product"]["chosen_by"], bare["product"]["from_division"]) == (
        "11.02", "district", True)
    assert top(rec, ateco="11", province="TV", district="prosecco-di-conegliano-valdobbiadene") == top(
        rec, ateco="11.02", province="TV", district="prosecco-di-conegliano-valdobbiadene")
    usa = next(m for m in bare["markets"] if m["iso3"] == "USA")
    assert usa["district_evidence"]  # the district's own reports are its evidence

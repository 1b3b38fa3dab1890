"""Firm recommendations, through the public library API and the CLI."""

import json

import pytest

from recommender.channels import ChannelFit, channels_for_market, load_catalogue, operates_in
from recommender.data import load_table
from recommender.errors import InvalidInput
from recommender.maturity import QUESTION_IDS, assess
from recommender.recommend import FirmProfile
from recommender.recommend.__main__ import main as cli
from recommending import recommend

EMBARGOED = {"RUS", "BLR", "PRK"}


def _programme_districts():
    d = load_table("districts")
    return d[d["origin"] == "dsw2013"].to_dict("records")


@pytest.mark.parametrize("district", _programme_districts(), ids=lambda d: d["slug"])
def test_every_programme_district_gets_a_sound_recommendation(rec, district):
    ateco = district["ateco_divisions"].split(";")[0]
    it = recommend(rec, ateco=ateco, district=district["slug"])
    en = recommend(rec, ateco=ateco, district=district["slug"], lang="en")
    assert len(it["markets"]) == 10
    assert not EMBARGOED & {m["iso3"] for m in it["markets"]}
    catalogue = {c.channel_id: c for c in load_catalogue()}
    for m_it, m_en in zip(it["markets"], en["markets"]):
        assert m_it["iso3"] == m_en["iso3"]
        assert 3 <= len(m_it["reasons"]) <= 9 and len(m_en["reasons"]) == len(m_it["reasons"])
        assert m_it["horizon"] in ("now", "prepare") and 1 <= m_it["needs_level"] <= 4
        assert m_it["reasons"] != m_en["reasons"] and all(r.strip() for r in m_it["reasons"] + m_en["reasons"])
        for ch in m_it["channels"]:
            assert operates_in(catalogue[ch["channel_id"]], m_it["iso3"]), (ch["channel_id"], m_it["iso3"])
    assert 3 <= len([s for s in it["next_steps"] if not s["id"].startswith("support:")]) <= 5
    assert it["model_version"] == rec.model.version and "OECD ICIO 2022" in it["data_vintages"]["peers"]
    scores = [m["score"] for m in it["markets"]]
    assert scores == sorted(scores, reverse=True)


def test_score_is_the_documented_blend_with_fitted_weights(rec):
    r = recommend(rec, ateco="23.31", province="MO", customer_type="b2b")
    w = r["scoring"]["weights"]
    assert w == rec.model.manifest["score"]["weights"] and abs(sum(w.values()) - 1) < 1e-3
    for m in r["markets"]:
        p = m["parts"]
        expected = 100 * sum(w[k] * p[k] for k in ("peers", "forecast", "unrealised", "evidence", "product"))
        assert m["score"] == pytest.approx(expected, abs=0.05)


def test_tiles_b2b_at_low_maturity_keep_the_usa_as_a_market_to_prepare(rec):
    r = recommend(rec, ateco="23.31", province="MO", customer_type="b2b", maturity_level=2)
    top = {m["iso3"]: m for m in r["markets"]}
    assert {"USA", "FRA", "DEU"} <= set(top)  # Italy's main tile markets are never hidden
    usa, fra = top["USA"], top["FRA"]
    assert usa["horizon"] == "prepare" and usa["needs_level"] > 2 and "USA" in r["horizons"]["prepare"]
    assert fra["horizon"] == "now" and "FRA" in r["horizons"]["now"]
    assert fra["parts"]["current_musd"] > 1000  # ~1.26 bn USD of B2B flows in ICIO 2022
    assert "OECD ICIO 2022" in fra["reasons"][0] and "1,3 mld USD" in fra["reasons"][0]


def test_every_estimated_figure_is_flagged(rec):
    r = recommend(rec, ateco="14.13", province="PO", customer_type="b2c", maturity_level=3)
    for m in r["markets"]:
        figures = {e["figure"] for e in m["estimates"]}
        assert "final_demand_2022" in figures  # B2C flows of 2022 are estimates
        assert "stima" in m["reasons"][0]
        if m["parts"]["gap_musd"] > 0:
            assert "unrealised_potential" in figures and any("stima" in x for x in m["reasons"])


def test_district_evidence_is_cited(rec):
    r = recommend(rec, ateco="15.20", district="calzaturiero-fermano-maceratese", maturity_level=4)
    cited = {m["iso3"]: m["district_evidence"] for m in r["markets"] if m["district_evidence"]}
    assert {"DEU", "FRA", "CHN"} <= set(cited)
    c = cited["DEU"][0]
    assert c["source_url"].startswith("https://") and c["year"] >= 2021 and c["quote"]


def test_current_market_is_marked_expand_not_dropped(rec):
    base = recommend(rec, ateco="23.31", province="MO")
    first = base["markets"][0]["iso3"]
    r = recommend(rec, ateco="23.31", province="MO", current_markets=[first])
    m = next(m for m in r["markets"] if m["iso3"] == first)
    assert m["status"] == "expand"
    assert all(x["status"] == "new" for x in r["markets"] if x["iso3"] != first)


def test_excluding_a_market_removes_it(rec):
    base = recommend(rec, ateco="23.31", province="MO")
    first = base["markets"][0]["iso3"]
    r = recommend(rec, ateco="23.31", province="MO", excluded_markets=[first])
    assert first not in {m["iso3"] for m in r["markets"]} and len(r["markets"]) == 10
    # said back to the reader, so a mistyped or misread country is visible
    assert {"iso3": first, "reason": "excluded_by_firm"}.items() <= next(
        e for e in r["excluded_markets"] if e["iso3"] == first).items()


def test_embargoed_markets_are_listed_as_excluded(rec):
    r = recommend(rec, ateco="28", province="BS", customer_type="b2b", k=30)
    assert {"RUS", "BLR"} <= {e["iso3"] for e in r["excluded_markets"]}
    assert not EMBARGOED & {m["iso3"] for m in r["markets"]}


def test_partially_restricted_market_carries_a_warning(rec):
    others = [c for c in load_table("countries")["iso3"] if c not in ("UKR", "ITA")]
    r = recommend(rec, ateco="28", province="BS", customer_type="b2b", excluded_markets=others)
    assert [m["iso3"] for m in r["markets"]] == ["UKR"]
    warning = r["markets"][0]["warnings"][0]
    assert warning["level"] == "partial" and "Crimea" in warning["text"] and warning["as_of"] == "2025-10-01"


def test_maturity_sets_the_horizon_not_the_ranking(rec):
    low = recommend(rec, ateco="14", province="PO", customer_type="b2c", maturity_level=1)
    high = recommend(rec, ateco="14", province="PO", customer_type="b2c", maturity_level=4)
    assert [m["iso3"] for m in low["markets"]] == [m["iso3"] for m in high["markets"]]
    assert len(low["horizons"]["prepare"]) > len(high["horizons"]["prepare"])
    for m in low["markets"]:
        assert (m["horizon"] == "now") == (m["needs_level"] <= 1)


def test_raising_maturity_never_removes_a_reachable_channel():
    for iso3 in ("DEU", "USA", "CHN", "JPN", "FRA"):
        for sector, customer in ((ChannelFit("apparel", ("consumption",)), "b2c"),
                                 (ChannelFit("machinery", ("capital",)), "b2b"),
                                 (ChannelFit("other_food", ("consumption",)), "both")):
            before = set()
            for level in (1, 2, 3, 4):
                now = {c["channel_id"] for c in channels_for_market(iso3, sector, customer, assess(level=level), k=None)
                       if c["reachable"]}
                assert before <= now, (iso3, sector, level)
                before = now
    answers = {q: False for q in QUESTION_IDS}
    before = set()
    for q in QUESTION_IDS:  # say "yes" one question at a time
        answers[q] = True
        now = {c["channel_id"] for c in channels_for_market("DEU", ChannelFit("apparel", ("consumption",)), "b2c",
                                                    assess(answers=answers), k=None)
               if c["reachable"]}
        assert before <= now
        before = now
    assert before  # a fully mature firm reaches something


def test_b2b_sector_gets_b2b_channels_first_and_b2c_gets_b2c_first(rec):
    machinery = recommend(rec, ateco="28.29", province="BS", customer_type="b2b")
    apparel = recommend(rec, ateco="14.13", province="PO", customer_type="b2c")
    for m in machinery["markets"]:
        assert "b2c" not in m["channels"][0]["audience"]
    for m in apparel["markets"]:
        assert "b2c" in m["channels"][0]["audience"]


def test_default_customer_type_comes_from_the_product(rec):
    assert recommend(rec, ateco="14", province="PO")["firm"]["customer_type"] == "b2c"   # apparel: households
    assert recommend(rec, ateco="28", province="BS")["firm"]["customer_type"] == "b2b"   # machinery
    r = recommend(rec, ateco="28.41", province="BS")
    assert r["firm"]["customer_type_source"] == "product default"
    assert r["demand_weights"] == {"investment": 1.0}  # machine tools: capital goods (UN BEC)


def test_invalid_profile_lists_every_bad_field():
    with pytest.raises(InvalidInput) as err:
        FirmProfile.from_dict({"ateco": "99.99.9", "province": "XX", "customer_type": "b2x", "maturity_level": 9,
                               "current_markets": ["Narnia"], "employees": -3, "colour": "red"})
    fields = {e.field for e in err.value.errors}
    assert fields == {"ateco", "province", "customer_type", "maturity_level", "current_markets[0]", "employees",
                      "colour"}
    assert all(e.reason for e in err.value.errors)


def test_services_are_refused_with_a_reason(rec):
    with pytest.raises(InvalidInput) as err:
        recommend(rec, ateco="62.01", province="MI")
    assert err.value.errors[0].field == "ateco" and "services" in err.value.errors[0].reason


def test_cli_json_and_errors(capsys):
    assert cli(["--ateco", "23.31", "--province", "MO", "--maturity-level", "2", "--customer", "b2b", "-k", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["markets"]) == 3 and out["firm"]["province"] == "MO"
    assert cli(["--ateco", "23.31", "--province", "XX", "--maturity-level", "2"]) == 2
    err = capsys.readouterr().err
    assert "province" in err and "Traceback" not in err
    assert cli(["--ateco", "23.31", "--province", "MO", "--maturity-level", "2", "--lang", "en"]) == 0
    assert "Recommended markets" in capsys.readouterr().out


def test_a_province_suggests_its_districts_sector_first(rec):
    firm = recommend(rec, ateco="14.39", province="MO")["firm"]
    assert firm["suggested_districts"][0]["slug"] == "maglieria-di-carpi"
    assert "piastrelle-di-sassuolo" in [d["slug"] for d in firm["suggested_districts"]]
    assert recommend(rec, ateco="23.31", district="sassuolo")["firm"]["suggested_districts"] == []

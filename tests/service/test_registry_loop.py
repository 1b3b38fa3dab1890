"""Learning from what the Chambers already know (issue #22), end to end through the API:
firms registered with the markets they serve and outcomes recorded for markets they were
never shown, `python -m recommender.train --outcomes DATABASE_URL`, the hot swap, and the
rankings of *new* firms: moved where the registries say, for the same product, and only there;
k-anonymous across Chambers."""


import pytest
from model_copies import learning_service

from recommender.train import main as train_main

V1 = "/api/v1"
FERMO = {"ateco": "15.20.10", "province": "FM", "district": "calzaturiero-fermano-maceratese", "maturity_level": 3,
         "employees": 20}
BARLETTA = {"ateco": "15.20.10", "province": "BT", "district": "calzaturiero-di-barletta", "maturity_level": 3,
            "employees": 20}
SASSUOLO = {"ateco": "23.31", "province": "MO", "district": "piastrelle-di-sassuolo", "maturity_level": 3,
            "employees": 20}


def _service(tmp_path_factory, name):
    return learning_service(tmp_path_factory, name, {"a": "CCIAA Marche", "b": "CCIAA Bari"})


def _firm(client, key, profile, name):
    r = client.post(f"{V1}/firms", json={"name": name, **profile}, headers=key)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


def _ranking(client, key, profile) -> list[dict]:
    """A new firm's 30 markets (a what-if: not registered, nothing of its own to leave out)."""
    r = client.post(f"{V1}/recommendations?k=30", json=profile, headers=key)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["markets"]


def _norway(markets):
    """(rank or 31 if outside the 30, the market's registry evidence or None, its reasons)."""
    m = next((m for m in markets if m["iso3"] == "NOR"), None)
    if m is None:
        return 31, None, []
    return m["rank"], (m["outcome"] or {}).get("registry"), m["reasons"]


def _retrain(app, url, models):
    assert train_main(["--outcomes", url, "--models-dir", str(models)]) == 0
    app.extensions["model_holder"].refresh()


@pytest.fixture(scope="module")
def unprompted(tmp_path_factory):
    app, keys, url, models = _service(tmp_path_factory, "unprompted")
    yield app, keys, url, models
    app.extensions["db_engine"].dispose()


def test_first_sales_in_a_market_never_shown_move_it_for_the_same_product(unprompted):
    app, keys, url, models = unprompted
    client = app.test_client()
    a, b = keys["a"], keys["b"]
    before = {name: _ranking(client, a, p) for name, p in (("fermo", FERMO), ("barletta", BARLETTA),
                                                           ("sassuolo", SASSUOLO))}
    assert _norway(before["fermo"])[0] == 31  # Norway is not among a Fermo shoe firm's 30 markets today
    for i in range(40):  # 40 Fermo shoe firms, never advised, each record a first sale in Norway
        f = _firm(client, a, FERMO, f"Calzaturificio {i}")
        r = client.post(f"{V1}/feedback", json={"firm_id": f, "market": "NOR", "status": "first_sale",
                                                "date": "2026-11-20"}, headers=a)
        assert r.status_code == 201 and r.get_json()["impression_id"] is None
    _retrain(app, url, models)

    learned = client.get(f"{V1}/model").get_json()["outcomes"]["learned_from"]
    assert learned["trials"] == 0 and learned["unprompted"] == 40 and learned["prompted"] == 0
    assert learned["unprompted_by_status"] == {"first_sale": 40, "started": 0}
    assert learned["registry"]["registered_firms"] == 40 and learned["registry"]["exporting_firms"] == 40
    assert learned["registry"]["used"] is True and learned["registry"]["cells"] == 1

    after = {name: _ranking(client, a, p) for name, p in (("fermo", FERMO), ("barletta", BARLETTA),
                                                          ("sassuolo", SASSUOLO))}
    rank_fermo, ev_fermo, reasons = _norway(after["fermo"])
    rank_barletta, ev_barletta, _ = _norway(after["barletta"])
    assert rank_fermo <= 10 and ev_fermo["level"] == "local" and ev_fermo["firms_selling"] == 40
    assert any("40 imprese del distretto che fanno lo stesso prodotto vendono già qui" in r for r in reasons)
    # the same product elsewhere moves less: it hears Fermo only through the national level
    assert ev_barletta["level"] == "national" and 1 < ev_barletta["factor"] < ev_fermo["factor"]
    score = {name: next(m["score"] for m in after[name] if m["iso3"] == "NOR") for name in ("fermo", "barletta")}
    assert score["barletta"] < score["fermo"] and rank_fermo <= rank_barletta <= 10
    # another product: not at all
    assert [m["iso3"] for m in after["sassuolo"]] == [m["iso3"] for m in before["sassuolo"]]
    assert [m["score"] for m in after["sassuolo"]] == [m["score"] for m in before["sassuolo"]]
    # another Chamber sees the 40-firm cell (k >= 5)
    assert _norway(_ranking(client, b, FERMO))[0] == rank_fermo


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    app, keys, url, models = _service(tmp_path_factory, "listed")
    yield app, keys, url, models
    app.extensions["db_engine"].dispose()


def test_registered_markets_move_norway_only_from_five_firms_for_other_chambers(listed):
    app, keys, url, models = listed
    client = app.test_client()
    a, b = keys["a"], keys["b"]
    before = _norway(_ranking(client, a, FERMO))
    four = [_firm(client, a, FERMO | {"current_markets": ["NOR", "FRA"]}, f"Scarpe {i}") for i in range(4)]
    _firm(client, a, FERMO | {"current_markets": ["FRA", "DEU"]}, "Scarpe senza Norvegia")
    _retrain(app, url, models)
    # 4 firms sell in Norway out of 5 exporting: Chamber A learns from its own firms, without naming the
    # count; Chamber B learns nothing of Norway (4 sellers < k = 5 are suppressed) but does of France (5)
    rank_a, ev_a, reasons_a = _norway(_ranking(client, a, FERMO))
    assert ev_a is not None and ev_a["firms_selling"] is None and rank_a < before[0]
    assert not any("imprese registrate" in r.lower() for r in reasons_a)
    markets_b = _ranking(client, b, FERMO)
    norway_b = next(m for m in markets_b if m["iso3"] == "NOR")  # in the 30 now: markets no firm sells in fell
    assert norway_b["outcome"] is None and not any("imprese registrate" in r.lower() for r in norway_b["reasons"])
    france = next(m for m in markets_b if m["iso3"] == "FRA")["outcome"]["registry"]
    assert france["firms_selling"] == 5 and france["firms"] == 5

    twelve = [_firm(client, a, FERMO | {"current_markets": ["NOR", "DEU"]}, f"Stivali {i}") for i in range(8)]
    _retrain(app, url, models)
    rank_a, ev_a, reasons_a = _norway(_ranking(client, a, FERMO))
    assert ev_a["firms_selling"] == 12 and ev_a["firms"] == 13 and rank_a <= 10
    assert any("12 imprese del distretto che fanno lo stesso prodotto vendono già qui (su 13 che esportano"
               in r for r in reasons_a)
    rank_b, ev_b, _ = _norway(_ranking(client, b, FERMO))
    assert ev_b["firms_selling"] == 12 and rank_b == rank_a  # the >= 5 cell, the same for every Chamber

    # a registered firm's own row is left out of its own ranking
    r = client.post(f"{V1}/firms/{twelve[0]}/recommendations?k=30", headers=a)
    own = next(m for m in r.get_json()["result"]["markets"] if m["iso3"] == "NOR")
    assert own["outcome"]["registry"]["firms_selling"] == 11 and own["outcome"]["registry"]["firms"] == 12
    assert four  # (the first four firms stay registered: 12 sellers in all)

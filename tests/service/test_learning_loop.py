"""The learning loop end to end, as Chambers and analysts run it: firms are
created and advised through the API (impressions logged), outcomes recorded
through the API, `python -m recommender.train --outcomes DATABASE_URL`
writes and promotes a new version, the service hot-swaps to it, and the
rankings move where the evidence is, and only there."""


import math

import pytest
from model_copies import learning_service

from recommender.model import artifact
from recommender.outcomes.training import card_section
from recommender.train import main as train_main

V1 = "/api/v1"
SASSUOLO = {"ateco": "23.31", "province": "MO", "district": "piastrelle-di-sassuolo", "maturity_level": 3,
            "customer_type": "b2b", "employees": 30}
CIVITA = {"ateco": "23.31", "province": "VT", "district": "ceramica-di-civita-castellana", "maturity_level": 3,
          "customer_type": "b2b", "employees": 30}
PRATO = {"ateco": "13.20", "province": "PO", "district": "tessile-di-prato", "maturity_level": 3,
         "customer_type": "b2b", "employees": 30}


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    app, keys, url, models = learning_service(tmp_path_factory, "loop",
                                              {"a": "CCIAA Modena-Reggio", "b": "CCIAA Viterbo"})
    yield app, keys, url, models
    app.extensions["db_engine"].dispose()


def _firm(client, key, profile, name):
    r = client.post(f"{V1}/firms", json={"name": name, **profile}, headers=key)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


def _ranking(client, key, firm_id) -> list[dict]:
    r = client.post(f"{V1}/firms/{firm_id}/recommendations?k=30&explore=0", headers=key)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["result"]["markets"]


def _outcome(client, key, firm_id, market, status):
    r = client.post(f"{V1}/feedback", json={"firm_id": firm_id, "market": market, "status": status,
                                            "date": "2026-11-20"}, headers=key)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["impression_id"] is not None  # linked to what was shown


def test_outcomes_retrain_and_move_only_where_the_evidence_is(loop):
    app, keys, url, models = loop
    client = app.test_client()
    a, b = keys["a"], keys["b"]
    sassuolo = [_firm(client, a, SASSUOLO, f"Ceramica {i}") for i in range(12)]
    civita = _firm(client, a, CIVITA, "Ceramica Civita")
    prato = _firm(client, a, PRATO, "Tessile Prato")
    other_chamber = _firm(client, b, SASSUOLO, "Ceramica della Camera B")
    before = {f: [m["iso3"] for m in _ranking(client, a, f)] for f in (sassuolo[0], civita, prato)}
    before_b = [m["iso3"] for m in _ranking(client, b, other_chamber)]

    shown = [m["iso3"] for m in _ranking(client, a, sassuolo[1])][:10]
    top, fifth, second = shown[0], shown[4], shown[1]
    for i, f in enumerate(sassuolo):
        _ranking(client, a, f)                       # the advice each firm got (impression)
        _outcome(client, a, f, top, "abandoned")     # 12 firms tried the top market: no sale
        _outcome(client, a, f, fifth, "first_sale")  # and sold in the fifth
        if i < 4:
            _outcome(client, a, f, second, "first_sale")  # only 4 firms: below the k = 5 rule for other Chambers

    assert train_main(["--outcomes", url, "--models-dir", str(models)]) == 0
    holder = app.extensions["model_holder"]
    holder.refresh()
    assert holder.version.startswith(artifact.current_version(None) + ".o") or ".o" in holder.version
    learned = client.get(f"{V1}/model").get_json()["outcomes"]
    assert learned["learned_from"]["trials"] == 28 and learned["learned_from"]["successes"] == 16
    assert learned["learned_from"]["firms"] == 12 and learned["learned_from"]["chambers"] == 1
    card = (models / holder.version / "MODEL_CARD.md").read_text()
    assert "Calibration on the logit scale" in card and "logistic mixed model over 28 market trials" in card
    seen = learned["params"]["calibration"]["log_prior_range"]  # the scores of the 28 trials, low to high
    assert seen[0] < seen[1] and f"fitted on scores {math.exp(seen[0]):.2f} to {math.exp(seen[1]):.2f}" in card
    assert "order is reversed" not in card  # b > 0 here; a version whose outcomes reverse the score says so
    reversed_ = {**learned, "params": {**learned["params"], "calibration": {**learned["params"]["calibration"],
                                                                            "b": -0.4}}}
    assert "b = -0.400" in card_section(reversed_, curves=False) and "order is reversed" in card_section(reversed_)

    after = {f: _ranking(client, a, f) for f in (sassuolo[0], civita, prato)}
    order = {f: [m["iso3"] for m in after[f]] for f in after}
    pos = lambda f, iso3, o: o[f].index(iso3) if iso3 in o[f] else len(o[f])  # noqa: E731
    # the district moves in the expected direction ...
    assert pos(sassuolo[0], top, order) > pos(sassuolo[0], top, before)
    assert pos(sassuolo[0], fifth, order) < pos(sassuolo[0], fifth, before)
    market = next(m for m in after[sassuolo[0]] if m["iso3"] == fifth)
    assert any("12 imprese del distretto su 12" in r for r in market["reasons"])
    # ... the same sector in another district less ...
    moved_here = pos(sassuolo[0], top, order) - pos(sassuolo[0], top, before)
    moved_there = pos(civita, top, order) - pos(civita, top, before)
    assert 0 <= moved_there < moved_here
    lift = {f: next((m["outcome"]["lift"] for m in after[f] if m["iso3"] == top), 0.0) for f in (sassuolo[0], civita)}
    assert lift[sassuolo[0]] < lift[civita] < 1  # (0.0: dropped out of the top 30 altogether)
    # ... and another sector not at all
    assert order[prato] == before[prato]

    # another Chamber: the 12-firm cells pass the k = 5 rule, the 4-firm cell does not
    after_b = _ranking(client, b, other_chamber)
    lifts_b = {m["iso3"]: m["outcome"] for m in after_b}
    assert top not in lifts_b or lifts_b[top]["lift"] < 1  # moved down (out of the top 30, even)
    assert lifts_b[fifth] is not None and lifts_b[fifth]["lift"] > 1
    # the 4-firm cell is not among B's evidence: no lift, no counts (only the sector's calibration)
    assert second in lifts_b and lifts_b[second]["lift"] == 1.0 and lifts_b[second]["evidence"] == []
    lifts_a = {m["iso3"]: m["outcome"] for m in after[sassuolo[0]]}
    assert lifts_a[second] is not None and lifts_a[second]["lift"] > 1
    assert [m["iso3"] for m in after_b] != before_b  # it did learn from the aggregates

"""The outcome model through its public functions: known answers for the
shrinkage, trials from feedback, Chamber views with k-anonymity, the engine's
re-ranking, exploration, and the training command's version and gate."""

import json
import math
import sqlite3

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender import config
from recommender.model.artifact import current_version, load_current, load_version
from recommender.outcomes import shrinkage
from recommender.recommend.engine import product_of
from recommender.outcomes.exploration import choose_explored, exploration_slots
from recommender.outcomes.model import CELL_COLUMNS, OutcomeModel
from recommender.outcomes.serving import OutcomeAdjuster
from recommender.outcomes.trials import build_trials
from recommender.recommend import Recommender
from recommender.recommend.profile import FirmProfile


# -- shrinkage: known answers -------------------------------------------------
def test_posterior_lift_known_answer():
    # prior weight 5 expected successes, parent lift 1; 8 sales where 4 expected -> (5 + 8) / (5 + 4)
    assert shrinkage.posterior_lift(8, 4, 5.0) == pytest.approx(13 / 9)
    # no evidence: exactly the parent
    assert shrinkage.posterior_lift(0, 0, 5.0, 0.7) == pytest.approx(0.7)
    # failures only pull below 1
    assert shrinkage.posterior_lift(0, 3, 3.0) == pytest.approx(0.5)


def test_fit_kappa_recovers_dispersion_and_defaults_when_too_few_cells():
    rng = pd.Series(range(400))
    import numpy as np
    r = np.random.default_rng(0)
    E = np.full(400, 10.0)
    lam = r.gamma(shape=4.0, scale=1 / 4.0, size=400)  # true κ = 4
    S = r.poisson(lam * E)
    kappa, how = shrinkage.fit_kappa(S, E)
    assert 2.5 < kappa < 6.5, kappa
    assert "marginal likelihood over 400 cells" == how
    assert shrinkage.fit_kappa([1, 2], [1, 1], default=7.0) == (7.0, "default (2 informative cells < 10)")
    assert len(rng) == 400


def test_fit_scale_keeps_beta_positive():
    a, beta, _ = shrinkage.fit_scale([1, 0] * 500, [10.0, 90.0] * 500)  # success at LOW scores only
    assert beta == pytest.approx(0.1)  # clipped: a higher prior score never means a lower prior rate
    # few trials barely move β from 1 (its prior), many decide it
    assert shrinkage.fit_scale([1, 1, 0, 0] * 6, [90.0, 80.0, 30.0, 20.0] * 6)[1] == pytest.approx(1.0, abs=0.6)


# -- trials from feedback --------------------------------------------------------
def _impression(id_, tenant, firm, markets, locality="sassuolo"):
    return {"id": id_, C.TENANT: tenant, C.FIRM: firm, "created_at": "2026-01-01", C.SECTOR: "C23",
            C.LOCALITY: locality, C.MATURITY_LEVEL: 2, C.SIZE_CLASS: "10-49",
            "markets": [{"iso3": m, "rank": i + 1, "score": 90.0 - 10 * i, "prior_score": 90.0 - 10 * i,
                         "explored": False, "channels": [{"channel_id": "amazon-de", "rank": 1, "score": 0.9,
                                                          "prior_score": 0.9}]}
                        for i, m in enumerate(markets)]}


def test_trials_resolve_statuses_and_keep_position():
    imps = pd.DataFrame([_impression(1, 1, 10, ["USA", "FRA", "DEU"])])
    fb = pd.DataFrame([
        {"id": 1, C.TENANT: 1, C.FIRM: 10, C.MARKET: "FRA", C.CHANNEL: None, "status": "started", C.OUTCOME_DATE: "2026-02-01", C.IMPRESSION: 1},
        {"id": 2, C.TENANT: 1, C.FIRM: 10, C.MARKET: "FRA", C.CHANNEL: None, "status": "first_sale", C.OUTCOME_DATE: "2026-03-01", C.IMPRESSION: 1},
        {"id": 3, C.TENANT: 1, C.FIRM: 10, C.MARKET: "DEU", C.CHANNEL: "amazon-de", "status": "abandoned", C.OUTCOME_DATE: "2026-03-01", C.IMPRESSION: 1},
        {"id": 4, C.TENANT: 1, C.FIRM: 10, C.MARKET: "USA", C.CHANNEL: None, "status": "planned", C.OUTCOME_DATE: "2026-03-01", C.IMPRESSION: 1},
        {"id": 5, C.TENANT: 1, C.FIRM: 10, C.MARKET: "CHN", C.CHANNEL: None, "status": "first_sale", C.OUTCOME_DATE: "2026-03-01", C.IMPRESSION: None},
    ])
    trials, counts = build_trials(imps, fb)
    markets = trials[trials[C.CHANNEL].isna()].set_index(C.MARKET)
    assert markets.loc["FRA", C.SUCCESS] == 1 and markets.loc["FRA", C.POSITION] == 2
    assert markets.loc["DEU", C.SUCCESS] == 0 and markets.loc["DEU", C.POSITION] == 3
    assert "USA" not in markets.index and "CHN" not in markets.index
    channel = trials[trials[C.CHANNEL].notna()].iloc[0]
    assert (channel[C.CHANNEL], channel[C.MARKET], channel[C.SUCCESS], channel[C.PRIOR_SCORE]) == ("amazon-de", "DEU", 0, 0.9)
    assert counts["pending"] == 1 and counts["unlinked"] == 1


# -- views and k-anonymity -------------------------------------------------------
def _trials(tenant, firms, market, success, locality="sassuolo", sector="C23", first_firm=0):
    return [{C.TENANT: tenant, C.FIRM: first_firm + f, C.SECTOR: sector, C.LOCALITY: locality, C.MATURITY_LEVEL: 2,
             C.SIZE_CLASS: "10-49", C.MARKET: market, C.CHANNEL: None, C.POSITION: 1, C.PRIOR_SCORE: 80.0,
             C.EXPLORED: False, C.SUCCESS: success, C.OUTCOME_DATE: "2026-05-01", C.IMPRESSION: 1}
            for f in range(firms)]



def test_trials_carry_the_score_parts_the_market_was_shown_with():
    imp = _impression(1, 1, 10, ["USA", "FRA"])
    imp["markets"][0]["parts"] = {"peers": 1.0, "forecast": 0.9, "unrealised": 0.0, "evidence": 0.5}
    fb = pd.DataFrame([{"id": i, C.TENANT: 1, C.FIRM: 10, C.MARKET: m, C.CHANNEL: None, "status": "abandoned",
                        C.OUTCOME_DATE: "2026-03-01", C.IMPRESSION: 1} for i, m in enumerate(["USA", "FRA"])])
    trials = build_trials(pd.DataFrame([imp]), fb)[0].set_index(C.MARKET)
    assert trials.loc["USA", "part_peers"] == 1.0 and trials.loc["USA", "part_evidence"] == 0.5
    assert np.isnan(trials.loc["FRA", "part_peers"])  # logged before impressions carried the parts

def test_other_chambers_count_only_from_five_firms():
    four = OutcomeModel().fit(pd.DataFrame(_trials(1, 4, "USA", 1) + _trials(2, 1, "FRA", 0)))
    adj = OutcomeAdjuster(four.cells_, four.params())
    assert adj.market_lifts(adj.view_of(1), "C23", "sassuolo")["USA"].value > 1  # its own firms count
    assert "USA" not in adj.market_lifts(adj.view_of(2), "C23", "sassuolo")     # 4 firms of another Chamber: not
    assert adj.market_lifts(adj.view_of(None), "C23", "sassuolo") == {}          # nor in the shared view
    five = OutcomeModel().fit(pd.DataFrame(_trials(1, 5, "USA", 1) + _trials(2, 1, "FRA", 0)))
    adj = OutcomeAdjuster(five.cells_, five.params())
    assert adj.market_lifts(adj.view_of(2), "C23", "sassuolo")["USA"].value > 1
    assert adj.market_lifts(adj.view_of(None), "C23", "sassuolo")["USA"].value > 1


def test_a_chamber_view_stores_only_where_it_has_trials_and_reads_the_shared_cells_elsewhere():
    rows = _trials(1, 3, "USA", 1) + _trials(1, 6, "FRA", 0, first_firm=10)           # Chamber 1, Sassuolo
    rows += _trials(2, 6, "USA", 0, locality="civita", first_firm=20)                  # Chamber 2: C23 USA elsewhere
    rows += _trials(2, 6, "DEU", 1, locality="prato", sector="C13T15", first_firm=30)  # and C13T15
    m = OutcomeModel().fit(pd.DataFrame(rows))
    cells = m.cells_[m.cells_["kind"] == "market"]
    mine = cells[cells["view"] == 2]
    # Chamber 2 holds the groups it tried (C23 USA, C13T15 DEU), not C23 FRA
    assert set(zip(mine[C.SECTOR], mine[C.MARKET])) == {("C23", "USA"), ("C13T15", "DEU")}
    adj = OutcomeAdjuster(m.cells_, m.params())
    shared, two = (adj.market_lifts(v, "C23", "sassuolo") for v in (adj.view_of(None), adj.view_of(2)))
    assert two["FRA"] == shared["FRA"]  # not tried by Chamber 2: the shared cells, as they are
    # USA: the shared national cell pools 9 firms (3 sold); Chamber 2 sees its own 6 failures but not
    # Chamber 1's 3 firms (fewer than 5), so its USA is lower
    assert shared["USA"].evidence[0].firms == 9 and two["USA"].evidence[0].firms == 6
    assert two["USA"].value < shared["USA"].value
    b2, _ = adj.exploration_bounds(adj.view_of(2), "C23", "sassuolo")
    assert set(b2) == {"USA", "FRA"}


def test_district_moves_more_than_same_sector_elsewhere_and_other_sectors_not_at_all():
    rows = _trials(1, 20, "FRA", 1) + _trials(1, 20, "USA", 0, first_firm=100)
    rows += _trials(1, 20, "FRA", 0, locality="prato", sector="C13T15", first_firm=200)  # other sector, other market
    m = OutcomeModel().fit(pd.DataFrame(rows))
    adj = OutcomeAdjuster(m.cells_, m.params())
    here = adj.market_lifts(1, "C23", "sassuolo")
    elsewhere = adj.market_lifts(1, "C23", "prov:VI")
    assert here["FRA"].value > elsewhere["FRA"].value > 1.0
    assert here["USA"].value < elsewhere["USA"].value < 1.0
    assert "DEU" not in here


# -- the engine -------------------------------------------------------------------
@pytest.fixture(scope="module")
def rec():
    return Recommender(load_current())


SASSUOLO = {"ateco": "23.31", "province": "MO", "district": "piastrelle-di-sassuolo", "maturity_level": 3,
            "employees": 30}


def test_zero_outcomes_is_exactly_todays_ranking(rec):
    p = FirmProfile.from_dict(SASSUOLO)
    empty = OutcomeModel().fit(pd.DataFrame(_trials(1, 0, "USA", 1)))
    learned = rec.with_outcomes(OutcomeAdjuster(empty.cells_, empty.params()))
    a, b = rec.recommend(p, k=10, tenant=1), learned.recommend(p, k=10, tenant=1, explore=0.1)
    assert [(m["iso3"], m["score"]) for m in a["markets"]] == [(m["iso3"], m["score"]) for m in b["markets"]]
    assert not any(m["explored"] for m in b["markets"])


def _fitted(rec, rows):
    m = OutcomeModel().fit(pd.DataFrame(rows))
    return rec.with_outcomes(OutcomeAdjuster(m.cells_, m.params(), "test", m.counts_))


def test_outcomes_move_the_district_ranking_with_a_reason(rec):
    p = FirmProfile.from_dict(SASSUOLO)
    before = [m["iso3"] for m in rec.recommend(p, k=10)["markets"]]
    top = before[0]
    # 12 firms tried the first market and none sold; 12 others sold in the second
    learned = _fitted(rec, _trials(1, 12, top, 0, locality="piastrelle-di-sassuolo")
                      + _trials(1, 12, before[1], 1, locality="piastrelle-di-sassuolo", first_firm=100))
    after = learned.recommend(p, k=10, tenant=1)
    order = [m["iso3"] for m in after["markets"]]
    assert order.index(top) > 0  # 12 firms tried it and none sold: no longer first
    market = next(m for m in after["markets"] if m["iso3"] == top)
    assert market["outcome"]["lift"] < 1 and market["outcome"]["evidence"][0]["firms"] == 12
    assert any("0 imprese del distretto su 12" in r for r in market["reasons"])
    other_sector = FirmProfile.from_dict({"ateco": "14.13", "province": "PO", "maturity_level": 3})
    assert ([m["iso3"] for m in learned.recommend(other_sector, k=10, tenant=1)["markets"]]
            == [m["iso3"] for m in rec.recommend(other_sector, k=10)["markets"]])
    # another Chamber does not see one Chamber's 12 firms... unless it has 5+ firms (it has 12): k-anonymity passes
    assert [m["iso3"] for m in learned.recommend(p, k=10, tenant=2)["markets"]] == order


def test_channels_say_prior_and_learned(rec):
    p = FirmProfile.from_dict(SASSUOLO)
    channels = rec.recommend(p, k=3)["markets"][0]["channels"]
    assert all(c["learned"] is None and c["lift"] == 1.0 and c["prior"]["rule_score"] == c["score"]
               for c in channels)
    assert 0 < channels[0]["prior"]["eurostat_share"] < 1


def test_exploration_slots_and_choice():
    assert exploration_slots(10, 0.1) == 1 and exploration_slots(10, 0.0) == 0 and exploration_slots(10, 0.3) == 3
    with pytest.raises(ValueError):
        exploration_slots(10, 0.5)
    # equal upper bounds: the next in line; a wide interval wins over a slightly higher prior score
    assert choose_explored([("A", 50, 1.2), ("B", 45, 1.2)], 1) == ["A"]
    assert choose_explored([("A", 50, 1.0), ("B", 45, 1.5)], 1) == ["B"]


def test_bad_exploration_share_is_a_field_error(rec):
    from recommender.errors import InvalidInput
    with pytest.raises(InvalidInput) as exc:
        rec.recommend(FirmProfile.from_dict(SASSUOLO), explore=0.9)
    assert exc.value.errors[0].field == "explore"


# -- the training command ---------------------------------------------------------
def _database(path, impressions, feedback):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE impressions (id INTEGER PRIMARY KEY, tenant_id INT, firm_id INT, created_at TEXT, "
                "sector TEXT, locality TEXT, maturity_level INT, size_class TEXT, markets TEXT)")
    con.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, tenant_id INT, firm_id INT, market TEXT, "
                "channel_id TEXT, status TEXT, date TEXT, impression_id INT)")
    con.execute("CREATE TABLE firms (id INTEGER PRIMARY KEY, tenant_id INT, profile TEXT, created_at TEXT)")
    for firm in sorted({(imp[C.TENANT], imp[C.FIRM]) for imp in impressions}):  # no markets listed: not exporting
        con.execute("INSERT INTO firms VALUES (?,?,?,?)", (firm[1], firm[0], json.dumps(SASSUOLO), "2026-05-01"))
    for imp in impressions:
        con.execute("INSERT INTO impressions VALUES (?,?,?,?,?,?,?,?,?)",
                    (imp["id"], imp[C.TENANT], imp[C.FIRM], imp["created_at"], imp[C.SECTOR], imp[C.LOCALITY],
                     imp[C.MATURITY_LEVEL], imp[C.SIZE_CLASS], json.dumps(imp["markets"])))
    for i, f in enumerate(feedback):
        con.execute("INSERT INTO feedback VALUES (?,?,?,?,?,?,?,?)", (i + 1, *f))
    con.commit()
    con.close()


def test_train_outcomes_writes_a_verified_version_and_promotes_it(tmp_path, rec):
    import shutil
    from recommender.outcomes.training import train_outcomes
    models = tmp_path / "models"
    models.mkdir()
    base = current_version()
    shutil.copytree(config.models_dir() / base, models / base)
    (models / "CURRENT").write_text(base + "\n")
    p = FirmProfile.from_dict(SASSUOLO)
    shown = [m["iso3"] for m in rec.recommend(p, k=10)["markets"]]
    imps = [_impression(f + 1, 1, f + 1, shown, locality="piastrelle-di-sassuolo") for f in range(12)]
    feedback = ([(1, f + 1, shown[0], None, "abandoned", "2026-06-01", f + 1) for f in range(6)]
                + [(1, f + 1, shown[1], None, "first_sale", "2026-06-01", f + 1) for f in range(6, 12)])
    db = tmp_path / "service.db"
    _database(db, imps, feedback)
    assert train_outcomes(f"sqlite:///{db}", models, version="test.o1") == 0
    assert current_version(models) == "test.o1"
    loaded = load_version("test.o1", models)
    section = loaded.manifest["outcomes"]
    assert section["learned_from"]["trials"] == 12 and section["learned_from"]["successes"] == 6
    assert section["base_version"] == base and section["replay"]["evaluated"] is False
    card = (models / "test.o1" / "MODEL_CARD.md").read_text()
    assert "## Outcome model" in card and "learned from 12 feedback rows" in card.lower()
    # 12 market trials are fewer than the 20 the calibration on the logit scale needs: the Poisson one stands
    assert section["params"]["calibration"] is None and "Calibration on the logit scale" not in card
    # the outcome learning curves once, in whichever section has them
    assert card.count("closed by the outcome model") == 1
    served = Recommender(loaded).recommend(p, k=10, tenant=1)
    assert served["outcomes"]["version"] == "test.o1"
    assert [m["iso3"] for m in served["markets"]].index(shown[0]) > 0
    # a corrupted outcome file is refused like any model file
    (models / "test.o1" / "outcomes.parquet").write_bytes(b"garbage")
    from recommender.errors import ModelError
    with pytest.raises(ModelError):
        load_version("test.o1", models)


# -- the labelled simulation -------------------------------------------------------
def test_simulation_metrics_known_answer():
    from recommender.outcomes.simulator import evaluate

    class Served:  # serves B then C, whatever the firm
        def recommend(self, profile, k, tenant):
            return {"markets": [{"iso3": "B"}, {"iso3": "C"}]}

    truth = {"u|1": pd.Series({"A": 0.8, "B": 0.6, "C": 0.4})}
    r = evaluate(Served(), [{"district": "u", "division": "1", "profile": None}], truth, k=2).iloc[0]
    assert r["recall@10"] == 0.5  # B is in the truth's top 2, C is not
    assert r["success@10"] == pytest.approx(0.5) and r["best_success@10"] == pytest.approx(0.7)
    gain = lambda q: 2 ** q - 1  # noqa: E731 (the project's NDCG gain)
    assert r["graded_ndcg@10"] == pytest.approx((gain(0.6) + gain(0.4) / np.log2(3))
                                                / (gain(0.8) + gain(0.6) / np.log2(3)))


def test_the_naive_counter_explores_with_a_poisson_interval_on_its_counts():
    from recommender.outcomes.simulator import TENANT, naive_adjuster
    key = {C.SECTOR: "C23", C.LOCALITY: "x"}
    shown = pd.DataFrame([key | {C.MARKET: m} for m in ("AAA", "BBB") for _ in range(10)])
    trials = pd.DataFrame([key | {C.MARKET: "AAA", C.SUCCESS: s} for s in (1, 1, 0)])
    adj = naive_adjuster(trials, shown)  # 2 sales in 20 impressions: E = 1 per market
    lifts = adj.market_lifts(TENANT, "C23", "x")
    assert lifts["AAA"].value == pytest.approx(2.0) and lifts["AAA"].variance == pytest.approx(3.0)
    assert lifts["BBB"].value == 0.0
    bounds, untried = adj.exploration_bounds(TENANT, "C23", "x")
    assert bounds["AAA"] > 2.0 and bounds["BBB"] < 1e-6  # unshrunk: no sale at all is taken at its word
    assert untried == pytest.approx(1.0, abs=1e-3)  # a market never shown: the prior, as good as certain


def test_simulation_no_harm_at_zero_and_beats_the_naive_counter(rec):
    from recommender.outcomes.simulator import SimulationConfig, learning_curves
    from recommender.validate import district_units
    units = district_units()[:8]
    curves = learning_curves(rec, units, SimulationConfig(checkpoints=(0, 1000), random_state=3)).set_index(
        ["method", "outcomes"])
    at0 = curves.xs(0, level="outcomes").drop(index=["oracle", "oracle_limited"])
    assert at0["ndcg@10"].nunique() == 1  # nothing learned yet: every method serves the prior's list
    # the yardsticks are scored on the learned loop's trials
    assert ("oracle", 1000) in curves.index and ("oracle_limited", 1000) in curves.index
    learned, naive, none = (curves.loc[(m, 1000), "ndcg@10"] for m in ("learned", "naive", "none"))
    assert learned >= none - 0.01   # shrinkage: 1,000 outcomes do no harm
    assert learned > naive + 0.05   # the unshrunk, per-impression counter chases noise and position
    for metric in ("graded_ndcg@10", "success@10"):
        assert curves.loc[("learned", 1000), metric] > curves.loc[("naive", 1000), metric]


def test_channel_outcomes_reorder_the_channels_and_say_what_was_learned(rec):
    p = FirmProfile.from_dict(SASSUOLO)
    market = rec.recommend(p, k=1)["markets"][0]
    channels = rec._channels(market["iso3"], product_of(p), "b2b", 3, None, None, "10-49")
    third = channels[2]["channel_id"]
    rows = [{C.TENANT: 1, C.FIRM: f, C.SECTOR: "C23", C.LOCALITY: "piastrelle-di-sassuolo", C.MATURITY_LEVEL: 3,
             C.SIZE_CLASS: "10-49", C.MARKET: market["iso3"], C.CHANNEL: cid, C.POSITION: 1,
             C.PRIOR_SCORE: c["score"], C.EXPLORED: False, C.SUCCESS: int(cid == third),
             C.OUTCOME_DATE: "2026-06-01", C.IMPRESSION: 1}
            for f in range(10) for cid, c in ((c["channel_id"], c) for c in channels[:3])]
    learned = _fitted(rec, rows).recommend(p, k=1, tenant=1)["markets"][0]["channels"]
    assert learned[0]["channel_id"] == third  # 10 firms sold through it, none through the two above it
    assert learned[0]["lift"] > 1 and learned[0]["learned"][0]["firms_sold"] == 10
    assert learned[0]["prior"]["rule_score"] == channels[2]["score"]


def test_registry_scoring_ranks_like_recommend_under_learned_outcomes(rec):
    """recommend_compact (registry scoring) applies the shared, k-anonymous lifts like recommend() without a Chamber."""
    p = FirmProfile.from_dict(SASSUOLO)
    top, second = (m["iso3"] for m in rec.recommend(p, k=2)["markets"])
    learned = _fitted(rec, _trials(1, 12, top, 0, locality="piastrelle-di-sassuolo")
                      + _trials(1, 12, second, 1, locality="piastrelle-di-sassuolo", first_firm=100))
    full = learned.recommend(p, k=10)
    compact = learned.recommend_compact(p, k=10)
    assert [(m["iso3"], m["score"]) for m in full["markets"]] == [(row[1], row[3]) for row in compact]
    assert compact[0][1] != top


# -- re-weighting the score's parts ---------------------------------------------------
def _logit_trials(rng, markets, trials_per_market, c, b, delta, effect_sd=0.0):
    """Test data: one sector, ``markets`` markets with a prior score and one part each, and
    Bernoulli trials from logit q = c + b·log score + δ·part + u(market), u ~ N(0, effect_sd²)."""
    score = rng.uniform(5, 90, markets)
    part = rng.uniform(0, 1, markets)
    u = rng.normal(0, effect_sd, markets) if effect_sd else np.zeros(markets)
    market = np.repeat(np.arange(markets), trials_per_market)
    eta = c + b * np.log(score[market]) + delta * part[market] + u[market]
    y = (rng.random(len(market)) < 1 / (1 + np.exp(-eta))).astype(float)
    return y, np.log(score[market]), part[market][:, None], market


def test_logit_calibration_known_answer():
    rng = np.random.default_rng(3)
    y, log_prior, X, market = _logit_trials(rng, 200, 100, -3.0, 0.8, 1.5)
    zeros = np.zeros(len(y), int)
    c, b, delta = shrinkage.fit_success_logit(y, log_prior, X, zeros, market, market, part_sd=10.0,
                                              effect_sd=(0.05, 0.05), slope_prior=(1.0, 10.0))
    assert c == pytest.approx(-3.0, abs=0.3) and b == pytest.approx(0.8, abs=0.1)
    assert delta.shape == (1, 1) and delta[0, 0] == pytest.approx(1.5, abs=0.2)
    # δ ~ N(0, 1) pulls a sector with a little evidence toward the market model (δ = 0)
    small = slice(0, 300)
    _, _, loose = shrinkage.fit_success_logit(y[small], log_prior[small], X[small], zeros[small], market[small],
                                              market[small], part_sd=10.0, effect_sd=(0.05, 0.05))
    _, _, tight = shrinkage.fit_success_logit(y[small], log_prior[small], X[small], zeros[small], market[small],
                                              market[small], part_sd=0.1, effect_sd=(0.05, 0.05))
    assert abs(tight[0, 0]) < abs(loose[0, 0]) and abs(tight[0, 0]) < 0.3
    # parts that are all zero (cells under k-anonymity) teach nothing: δ stays exactly 0
    *_, none = shrinkage.fit_success_logit(y, log_prior, X * 0, zeros, market, market)
    assert none[0, 0] == 0.0
    assert shrinkage.logit_success(c, b, np.log(50.0), delta[0, 0]) == pytest.approx(
        1 / (1 + math.exp(-(c + b * math.log(50.0) + delta[0, 0]))))



def test_logit_calibration_can_reverse_the_score_when_firms_sell_where_it_ranks_low():
    # The truth contradicts the market model: the higher the score, the fewer sales (b = -0.8).
    # The prior b ~ N(1, 0.25²) holds b near 1 with a few trials; thousands of them reverse it.
    rng = np.random.default_rng(5)
    y, log_prior, X, market = _logit_trials(rng, 200, 50, 1.0, -0.8, 0.0)
    zeros = np.zeros(len(y), int)
    c, b, _ = shrinkage.fit_success_logit(y, log_prior, X * 0, zeros, market, market)
    assert -1.0 < b < -0.5  # (the market effects, which the truth lacks here, take a little of it)
    low, high = shrinkage.logit_success(c, b, np.log([5.0, 90.0]))
    assert low > 2 * high  # the markets the score ranks low now come first
    few = np.arange(0, len(y), 250)  # 40 trials, one in each of 40 markets
    _, b_few, _ = shrinkage.fit_success_logit(y[few], log_prior[few], X[few] * 0, zeros[few], market[few],
                                              market[few])
    assert b_few > 0.5


def test_a_reversed_calibration_is_not_extrapolated_beyond_the_scores_it_was_fitted_on():
    # b = -1, fitted on trials with prior scores 10 to 80: within that range the chance of a sale
    # falls as the score rises; beyond it the market model's own slope (1) takes over from the
    # edge, so a market it scores near 0 is not lifted without bound; a version fitted before the
    # range was kept extrapolates b
    calibration = {"c": 2.0, "b": -1.0, "a": -3.0, "log_prior_range": [math.log(10.0), math.log(80.0)],
                   "slope_outside": 1.0}
    params = {"kappa": {"national": {"kappa": 5.0}, "local": {"kappa": 5.0}}, "scale": {"a": -3.0, "beta": 1.0},
              "part_weights": {}, "calibration": calibration}
    cells = pd.DataFrame(columns=list(CELL_COLUMNS))
    adjuster = OutcomeAdjuster(cells, params)

    def q(prior, a=adjuster):
        return float(a.base_success(prior)[()]) * a.reweighting("C23", {}, prior)

    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert q(10.0) > q(40.0) > q(80.0)
    assert logit(q(10.0)) == pytest.approx(2.0 - math.log(10.0))
    assert logit(q(1.0)) == pytest.approx(logit(q(10.0)) - math.log(10.0))  # slope 1 below the range
    assert logit(q(800.0)) == pytest.approx(logit(q(80.0)) + math.log(10.0))  # and above it
    older = OutcomeAdjuster(cells, {**params, "calibration": {"c": 2.0, "b": -1.0, "a": -3.0}})
    assert q(0.01, older) > 0.99 > 0.1 > q(0.01)

def test_logit_calibration_is_not_fooled_by_what_the_loop_chose_to_show():
    # The loop tries again where firms sold before: 300 markets get 4 trials each, then only those
    # that sold twice or more get 80 more. Those are the markets whose own effect u turned out
    # good, more often among markets with a low part (a market with a high part sells anyway), so a
    # model without the market effects reads their sales as the part mattering less.
    rng = np.random.default_rng(11)
    fits: dict[str, list[float]] = {"with effects": [], "without": []}
    for _ in range(4):
        part, u = rng.uniform(0, 1, 300), rng.normal(0, 1.0, 300)
        q = 1 / (1 + np.exp(-(-1.0 + 2.0 * part + u)))
        first = rng.random((300, 4)) < q[:, None]
        extra = np.repeat(np.flatnonzero(first.sum(axis=1) >= 2), 80)
        y = np.concatenate([first.ravel(), rng.random(len(extra)) < q[extra]]).astype(float)
        market = np.concatenate([np.repeat(np.arange(300), 4), extra])
        zeros = np.zeros(len(market), int)
        for name, sd in (("with effects", (0.7, 0.7)), ("without", (0.05, 0.05))):
            _, _, d = shrinkage.fit_success_logit(y, zeros.astype(float), part[market][:, None], zeros, market,
                                                  market, part_sd=10.0, effect_sd=sd, slope_prior=(0.0, 1e-3))
            fits[name].append(float(d[0, 0]))
    assert np.mean(fits["without"]) < 1.5, fits  # biased: the part seems to matter much less than it does
    assert np.mean(fits["with effects"]) == pytest.approx(2.0, abs=0.35), fits


def _part_trials(shown, firms, sold, tenant=1, locality="piastrelle-di-sassuolo"):
    """``firms`` firms each tried ``shown`` (result markets); those in ``sold`` sold."""
    return [{**_trials(tenant, 1, m["iso3"], int(m["iso3"] in sold), locality=locality, first_firm=f)[0],
             C.PRIOR_SCORE: m["score"], **{C.PART_PREFIX + p: m["parts"][p] for p in C.SCORE_PARTS}}
            for f in range(firms) for m in shown]


def test_outcomes_reweigh_the_score_parts_for_the_whole_sector_and_say_so(rec):
    p = FirmProfile.from_dict(SASSUOLO)
    shown = rec.recommend(p, k=30)["markets"]
    tried = shown[:8] + shown[-8:]  # the first ones failed, the last ones sold: the score weighs the wrong things
    learned = _fitted(rec, _part_trials(tried, 6, {m["iso3"] for m in shown[-8:]}))
    weights = learned.outcomes.part_weights["C23"]
    # the firms sold where the part that most sets the first markets apart from the last ones is low
    gap = {k: np.mean([m["parts"][k] for m in shown[:8]]) - np.mean([m["parts"][k] for m in shown[-8:]])
           for k in weights}
    assert weights[max(gap, key=gap.get)] < 0
    after = {m["iso3"]: m for m in learned.recommend(p, k=30, tenant=1)["markets"]}
    untried = [m for iso3, m in after.items() if iso3 not in {t["iso3"] for t in tried}]
    # the re-weighting reaches markets nobody tried: they come up, their scores move, with the reason in words
    assert len(untried) >= 10 and [m["iso3"] for m in shown[:8]][0] not in list(after)[:10]
    assert all(m["outcome"]["reweighting"] != 1.0 and m["outcome"]["evidence"] == [] for m in untried)
    moved = [m for m in untried if any(r.startswith("Esiti registrati nel settore: le imprese") for r in m["reasons"])]
    assert moved and all(m["score"] != m["outcome"]["prior_score"] for m in moved)
    # another sector does not move at all
    other = FirmProfile.from_dict({"ateco": "13.20", "province": "PO", "maturity_level": 3})
    assert ([(m["iso3"], m["score"]) for m in learned.recommend(other, k=10, tenant=1)["markets"]]
            == [(m["iso3"], m["score"]) for m in rec.recommend(other, k=10)["markets"]])


def test_part_weights_learn_only_from_cells_of_five_firms_or_more(rec):
    p = FirmProfile.from_dict(SASSUOLO)
    shown = rec.recommend(p, k=30)["markets"]
    tried = shown[:8] + shown[-8:]
    four = OutcomeModel().fit(pd.DataFrame(_part_trials(tried, 4, {m["iso3"] for m in shown[-8:]})))
    assert four.part_weights_ == {}  # 4 firms per cell: not an aggregate other Chambers may learn from
    five = OutcomeModel().fit(pd.DataFrame(_part_trials(tried, 5, {m["iso3"] for m in shown[-8:]})))
    assert set(five.part_weights_) == {"C23"} and "16 cells" in five.part_weights_["C23"]["how"]


def test_every_factor_of_a_recalibrated_score_is_said(rec):
    # 8 firms each tried the first six markets; some sold: enough trials (48) for the calibration
    p = FirmProfile.from_dict(SASSUOLO)
    shown = rec.recommend(p, k=10)["markets"]
    rows = (_part_trials(shown[:3], 8, {shown[2]["iso3"]})
            + _part_trials(shown[3:6], 8, {shown[3]["iso3"], shown[5]["iso3"]}))
    model = OutcomeModel().fit(pd.DataFrame(rows))
    assert model.calibration_ is not None and "48 market trials" in model.calibration_["how"]
    learned = _fitted(rec, rows).recommend(p, k=10, tenant=1)["markets"]
    untried = [m for m in learned if m["iso3"] not in {s["iso3"] for s in shown[:6]}]
    assert untried
    for m in untried:  # no lift: the score moved by the calibration alone, and the reason says by how much
        factor = m["outcome"]["reweighting"]
        # (prior_score and the factor are rounded in the answer)
        assert m["outcome"]["lift"] == 1.0 and m["score"] == pytest.approx(m["outcome"]["prior_score"] * factor,
                                                                            rel=2e-3)
        said = [r for r in m["reasons"] if r.startswith("Esiti registrati nel settore: il punteggio è ricalibrato")]
        assert said and f"×{factor:.2f}".replace(".", ",") in said[0]

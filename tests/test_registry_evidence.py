"""Registry evidence (recommender.outcomes.registry): where registered firms sell, shrunk toward
the prior, k-anonymous across Chambers, never from the firm's own row; and the Bayes oracle
with self-selected observations."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.outcomes import oracle
from recommender.outcomes.registry import LOCAL, NATIONAL, RegistryModel, served_markets, unprompted_outcomes
from recommender.outcomes.registry_lifts import RegistryLifts

MARKETS = ["AAA", "BBB", "CCC", "DDD"]
FLAT = {"flat": pd.Series(50.0, index=MARKETS)}  # every market the same prior score


def _group(tenant, loc, firms, sellers, family="footwear"):
    return {C.TENANT: tenant, C.FAMILY: family, C.LOCALITY: loc, "prior_key": "flat", "firms": firms,
            "sellers": np.array(sellers, float), "first": 2025, "last": 2026}


def _lifts(groups, k=5):
    model = RegistryModel(k_anonymity=k).fit_counts(pd.DataFrame(groups), FLAT, MARKETS)
    return model, RegistryLifts(model.cells_, model.params() | {"as_of": "2026-12-01",
                                                                  "read_at": "2026-12-01T00:00:00+00:00"})


def test_unprompted_outcomes_are_sales_or_starts_in_markets_never_shown():
    impressions = pd.DataFrame({C.TENANT: [1], C.FIRM: [7], "markets": [[{"iso3": "FRA"}, {"iso3": "DEU"}]]})
    feedback = pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 6], C.TENANT: [1, 1, 1, 1, 1, 2], C.FIRM: [7, 7, 7, 7, 8, 7],
        C.MARKET: ["FRA", "NOR", "NOR", "SWE", "USA", "FRA"],
        "status": ["first_sale", "started", "first_sale", "planned", "first_sale", "first_sale"],
        C.OUTCOME_DATE: ["2026-01-01", "2026-02-01", "2026-03-01", "2026-01-01", "2026-01-01", "2026-01-01"]})
    got = unprompted_outcomes(impressions, feedback)
    # FRA was shown to firm 7 of Chamber 1 (a prompted trial); NOR once (the first row); SWE only planned;
    # firm 7 of Chamber 2 is another firm (ids are per Chamber), never shown anything
    assert list(zip(got[C.TENANT], got[C.FIRM], got[C.MARKET], got["status"])) == [
        (1, 7, "NOR", "started"), (1, 8, "USA", "first_sale"), (2, 7, "FRA", "first_sale")]
    assert served_markets(("FRA",), {"NOR"}) == frozenset({"FRA", "NOR"})


def test_lifts_are_the_gamma_poisson_posterior_toward_the_other_localities():
    # Fermo: 20 exporting firms, 12 sell in AAA; Barletta: 10 firms, 2 sell in AAA
    model, lifts = _lifts([_group(1, "fermo", 20, [12, 5, 5, 0]), _group(1, "barletta", 10, [2, 5, 5, 5])])
    k_l, k_n = model.kappa_[LOCAL]["kappa"], model.kappa_[NATIONAL]["kappa"]
    q = np.exp(model.scale_["a"]) * 50.0 ** model.scale_["beta"]  # expected sellers per firm, any market
    assert q * 30 * 4 == pytest.approx(12 + 5 + 5 + 0 + 2 + 5 + 5 + 5, rel=1e-3)  # calibrated on all pairs
    # Fermo's AAA: its own counts shrunk toward what Barletta (the other locality) says of AAA
    e_b, e_f = 10 * q, 20 * q
    w_b = k_l / (k_l + e_b)
    others = (k_n + 2 * w_b) / (k_n + e_b * w_b)
    expected = (k_l * others + 12) / (k_l + e_f)
    got = lifts.factors(1, "footwear", "fermo")["AAA"]
    assert got.level == "local" and got.lift == pytest.approx(expected, rel=1e-9)
    assert got.factor == pytest.approx(expected ** (1 / model.scale_["beta"]), rel=1e-9)
    assert got.firms == 20 and got.firms_selling == 12 and got.shown
    # a locality with no cell: the national lift of all localities; another family: nothing
    w_f = k_l / (k_l + e_f)
    national = (k_n + 12 * w_f + 2 * w_b) / (k_n + e_f * w_f + e_b * w_b)
    assert lifts.factors(1, "footwear", "prov:AP")["AAA"].lift == pytest.approx(national, rel=1e-9)
    assert lifts.factors(1, "tiles_building", "fermo") == {}
    # more sellers than expected lifts, none lowers
    assert got.factor > 1 > lifts.factors(1, "footwear", "fermo")["DDD"].factor


def test_the_firms_own_row_is_left_out_of_its_ranking():
    model, lifts = _lifts([_group(1, "fermo", 20, [12, 5, 5, 0])])
    q = np.exp(model.scale_["a"]) * 50.0 ** model.scale_["beta"]
    own = {"markets": frozenset({"AAA"}), "expected": {m: q for m in MARKETS}}
    mine, everyone = lifts.factors(1, "footwear", "fermo", own)["AAA"], lifts.factors(1, "footwear", "fermo")["AAA"]
    k_l = model.kappa_[LOCAL]["kappa"]
    assert mine.firms_selling == 11 and mine.firms == 19
    assert mine.lift == pytest.approx((k_l * 1.0 + 11) / (k_l + 19 * q), rel=1e-9)  # no other locality: parent 1
    assert mine.lift < everyone.lift


def test_other_chambers_see_only_cells_of_k_firms_and_markets_of_k_sellers():
    # Chamber 1: 6 Fermo firms (4 sell in AAA, 6 in BBB); Chamber 2: 3 Fermo firms
    groups = [_group(1, "fermo", 6, [4, 6, 0, 0]), _group(2, "fermo", 3, [3, 0, 0, 0])]
    _, lifts = _lifts(groups)
    shared = lifts.factors(lifts.view_of(None, "footwear"), "footwear", "fermo")
    assert lifts.view_of(None, "footwear") == 0 and lifts.view_of(3, "footwear") == 0
    # shared view: the pooled cell has 9 firms; AAA has 7 sellers (shown), BBB 6
    assert shared["AAA"].firms_selling == 7 and shared["BBB"].firms_selling == 6
    # Chamber 2 sees its own 3 firms plus Chamber 1's 6-firm cell, where AAA's 4 sellers are suppressed
    two = lifts.factors(2, "footwear", "fermo")
    assert two["AAA"].firms == 3 and two["AAA"].firms_selling == 3 and not two["AAA"].shown
    assert two["BBB"].firms == 9 and two["BBB"].firms_selling == 6
    # Chamber 1 sees its own cell in full, not Chamber 2's 3-firm cell
    one = lifts.factors(1, "footwear", "fermo")
    assert one["AAA"].firms == 6 and one["AAA"].firms_selling == 4 and not one["AAA"].shown
    assert one["AAA"].to_dict()["firms_selling"] is None  # a count below k is not said


def test_oracle_learns_the_success_logit_through_a_known_propensity():
    # one unit, no shared noise: 1,000,000 firms tried the market with probability 0.2 and sold with 0.3
    fixed = np.array([0.0])
    n, t, q = 1e6, 0.2, 0.3
    logit = oracle._posterior_mode(fixed, np.array([n]), np.array([n * t * q]), 0.0, 3.0, unit=[0],
                                   propensity=[t])
    assert 1 / (1 + np.exp(-logit[0])) == pytest.approx(q, abs=1e-3)
    # with propensity 1 it is the plain logistic posterior (trials as before)
    plain = oracle._posterior_mode(fixed, np.array([n]), np.array([n * q]), 0.0, 3.0)
    assert 1 / (1 + np.exp(-plain[0])) == pytest.approx(q, abs=1e-3)


def test_registry_scoring_uses_the_chamber_view_of_whoever_runs_the_job(rec, tmp_path):
    from recommender.batch import score_file
    from recommender.recommend.profile import FirmProfile
    fermo = {"ateco": "15.20.10", "province": "FM", "district": "calzaturiero-fermano-maceratese",
             "maturity_level": 3}
    profile = FirmProfile.from_dict(fermo)
    markets = sorted(rec.market_index)
    sellers = np.zeros(len(markets))
    sellers[markets.index("NOR")] = 4  # 4 of Chamber 1's 6 Fermo shoe firms sell in Norway: below k for others
    sellers[markets.index("FRA")] = 6
    priors = {"fermo": pd.Series(rec.prior_scores(profile))}
    groups = pd.DataFrame([{C.TENANT: 1, C.FAMILY: "footwear", C.LOCALITY: "calzaturiero-fermano-maceratese",
                            "prior_key": "fermo", "firms": 6, "sellers": sellers, "first": 2026, "last": 2026}])
    model = RegistryModel().fit_counts(groups, priors, markets)
    served = rec.with_outcomes(None, RegistryLifts(model.cells_, model.params() | {
        "as_of": "2026-12-01", "read_at": "2026-12-01T00:00:00+00:00"}))
    own = [m[1] for m in served.recommend_compact(profile, k=30, tenant=1)]
    shared = [m[1] for m in served.recommend_compact(profile, k=30)]
    assert "NOR" in own and own.index("NOR") < 10 and "NOR" not in shared[:10]
    src = tmp_path / "registry.csv"
    src.write_text("name,ateco,province,district,maturity_level\n"
                   "Scarpe Srl,15.20.10,FM,calzaturiero-fermano-maceratese,3\n")
    for tenant, name in ((1, "own"), (None, "shared")):
        score_file(src, tmp_path / f"{name}.csv", k=10, recommender=served, progress_bar=False, tenant=tenant)
    assert "NOR" in (tmp_path / "own.csv").read_text() and "NOR" not in (tmp_path / "shared.csv").read_text()

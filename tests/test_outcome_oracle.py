"""The simulation's Bayes oracle (recommender/outcomes/oracle.py): known answers."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from recommender.outcomes.oracle import posterior_logits
from recommender.outcomes.simulator import HiddenTruth, evaluate_oracle

MARKETS = ["AAA", "BBB", "CCC"]


def _fixed(*units, value=-1.0):
    return {u: pd.Series(value, index=MARKETS) for u in units}


def _counts(rows):
    return pd.DataFrame(rows, columns=["unit", "market", "trials", "successes"])


def test_with_no_trials_the_oracle_ranks_by_the_fixed_part():
    fixed = {"a": pd.Series([0.5, -1.0, 2.0], index=MARKETS)}
    out = posterior_logits(fixed, {"a": "S"}, 0.6, 0.45, _counts([]))
    assert out["a"].tolist() == [0.5, -1.0, 2.0]


def test_one_unit_known_answer():
    # sigma_sector 0, sigma_district 1, fixed 0, 4 successes in 4 trials: the mode solves x = 4 (1 - logistic(x))
    out = posterior_logits(_fixed("a", value=0.0), {"a": "S"}, 0.0, 1.0, _counts([("a", "AAA", 4, 4)]))
    expected = optimize.brentq(lambda x: x - 4 * (1 - 1 / (1 + np.exp(-x))), 0, 4)
    assert out["a"]["AAA"] == pytest.approx(expected, abs=1e-8)
    assert out["a"]["BBB"] == 0.0  # a market without trials keeps its fixed part


def test_sales_in_one_district_move_its_sector_less_and_another_sector_not_at_all():
    fixed = _fixed("a", "b", "c")
    sectors = {"a": "S", "b": "S", "c": "T"}
    out = posterior_logits(fixed, sectors, 0.6, 0.45, _counts([("a", "AAA", 20, 18)]))
    assert out["a"]["AAA"] > out["b"]["AAA"] > -1.0  # b learns only through the sector's shared draw
    assert out["c"]["AAA"] == -1.0 and out["a"]["BBB"] == -1.0
    failed = posterior_logits(fixed, sectors, 0.6, 0.45, _counts([("a", "AAA", 20, 0)]))
    assert failed["a"]["AAA"] < failed["b"]["AAA"] < -1.0
    # with no shared noise, nothing carries to the other district
    alone = posterior_logits(fixed, sectors, 0.0, 0.75, _counts([("a", "AAA", 20, 18)]))
    assert alone["b"]["AAA"] == pytest.approx(-1.0)


def test_the_oracle_serves_what_it_learned_and_is_scored_against_the_truth():
    hidden = HiddenTruth(success={"a": pd.Series([0.2, 0.1, 0.6], index=MARKETS)},
                         fixed={"a": pd.Series([0.0, -0.5, -2.0], index=MARKETS)}, sector_of={"a": "S"},
                         sigma_sector=0.6, sigma_district=0.45)
    before = evaluate_oracle(hidden, pd.DataFrame(columns=["unit", "market", "success"]), k=1).iloc[0]
    assert before["recall@10"] == 0.0  # the fixed part alone puts AAA first; the truth's best is CCC
    trials = pd.DataFrame({"unit": "a", "market": "CCC", "success": [1] * 12 + [0] * 3})
    after = evaluate_oracle(hidden, trials, k=1).iloc[0]
    assert after["recall@10"] == 1.0 and after["success@10"] == pytest.approx(0.6)


def _limited_case(rec, make_fixed):
    """Six units' truths with fixed part ``make_fixed(parts, market)``, and the feature-limited one."""
    from recommender.outcomes.simulator import feature_limited_truth, simulation_units
    from recommender.validate import district_units
    units = simulation_units(rec, district_units()[:6])
    fixed = {}
    for u in units:
        parts = rec.prior_parts(u["profile"])
        fixed[u["district"] + "|" + u["division"]] = pd.Series({m: make_fixed(p, m) for m, p in parts.items()})
    hidden = HiddenTruth({k: 1 / (1 + np.exp(-v)) for k, v in fixed.items()}, fixed,
                         {u["district"] + "|" + u["division"]: u["sector"] for u in units}, 0.6, 0.45)
    return hidden, feature_limited_truth(rec, units, hidden)


def test_the_feature_limited_oracle_knows_a_fixed_part_the_parts_can_express(rec):
    # test data: a fixed part linear in the log score and the parts is known exactly, no noise added
    hidden, limited = _limited_case(
        rec, lambda p, m: -2.0 + 0.5 * np.log(max(p["score"], 1e-3)) + 1.5 * p["evidence"])
    for unit, series in hidden.fixed.items():
        assert np.allclose(limited.fixed[unit], series, atol=1e-8)
    assert limited.sigma_sector == pytest.approx(0.6) and limited.sigma_district == pytest.approx(0.45)
    assert limited.success is hidden.success  # the truth it is scored against is unchanged


def test_the_feature_limited_oracle_counts_what_the_parts_cannot_say_as_noise(rec):
    # test data: a fixed part that depends only on the market's name, which no part says, the same in
    # every district: what a sector's districts share, so it adds to the sector's noise
    bumps = {}
    rng = np.random.default_rng(0)
    _, limited = _limited_case(rec, lambda p, m: bumps.setdefault(m, float(rng.normal(0, 1))))
    assert limited.sigma_sector > 0.9 and limited.sigma_district < 0.6


def test_a_simulated_firm_makes_its_districts_product_and_its_districts_reports_are_its_evidence(rec):
    # the truth is made of the markets the district's reports name: entered by its division alone, a
    # Prosecco winery got the division's stand-in class (spirits) and those reports were not its own
    from recommender.outcomes.simulator import simulation_units
    from recommender.validate import district_units
    units = {u["district"] + "|" + u["division"]: u for u in simulation_units(rec, district_units())}
    prosecco = units["Prosecco DOC (Veneto e Friuli Venezia Giulia)|11"]
    assert prosecco["profile"].ateco.ateco_code == "11.02"
    parts = rec.prior_parts(prosecco["profile"])
    assert {m: parts[m]["evidence"] for m in ("USA", "DEU", "GBR")} == {"USA": 1.0, "DEU": 1.0, "GBR": 1.0}
    for key, u in units.items():
        parts = rec.prior_parts(u["profile"])
        assert all(parts[m]["evidence"] == 1.0 for m in u["named"] if m in parts), key

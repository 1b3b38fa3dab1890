"""Market ranking v2 building blocks, with known answers: PPML with fixed
effects, the fitted score weights, the exporter bootstrap, district evidence
(leave-one-district-out) and the validation command."""

import numpy as np
import pandas as pd
import pytest

from recommender.district_evidence import destinations, evidence
from recommender.forecast.evaluate import bootstrap_difference
from recommender.gravity import PoissonFE
from recommender.recommend.score import fit_weights, percentile
from recommender.validate import ITALY_TOP10, grid_recall, main as validate_main, unit_metrics, weight_simplex


def test_ppml_fixed_effects_recover_known_slopes_and_effects():
    rng = np.random.default_rng(0)
    n, cells = 30_000, 300
    g = rng.integers(0, cells, n)
    alpha = rng.normal(0, 1, cells)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = rng.poisson(np.exp(alpha[g] + 0.7 * x1 - 0.3 * x2))
    rows = pd.DataFrame({"x1": x1, "x2": x2})
    m = PoissonFE(["x1", "x2"], alpha=0).fit(rows, y, groups=g)
    b = m.coefficients()  # per standard deviation; the draws have sd ~1
    assert b["x1"] == pytest.approx(0.7 * rows["x1"].std(), abs=0.02)
    assert b["x2"] == pytest.approx(-0.3 * rows["x2"].std(), abs=0.02)
    # fitted cell totals equal observed ones (the Poisson first-order condition)
    pred = m.predict(rows, g)
    assert np.allclose(np.bincount(g, weights=pred), np.bincount(g, weights=y), rtol=1e-6)
    # without groups: plain PPML with an intercept
    y2 = rng.poisson(np.exp(0.5 + 0.4 * x1))
    m2 = PoissonFE(["x1"], alpha=0).fit(rows, y2)
    assert m2.predict(rows).sum() == pytest.approx(y2.sum(), rel=1e-6)


def test_ppml_rejects_negative_targets():
    with pytest.raises(ValueError, match=">= 0"):
        PoissonFE(["x"]).fit(pd.DataFrame({"x": [1.0, 2.0]}), [1.0, -1.0])


def test_fitted_weights_find_the_part_that_predicts_the_named_markets():
    rng = np.random.default_rng(1)
    units = []
    for _ in range(40):
        parts = pd.DataFrame(rng.uniform(size=(30, 4)), columns=["peers", "forecast", "unrealised", "evidence"],
                             index=[f"M{i}" for i in range(30)])
        named = set(parts["forecast"].nlargest(3).index)  # only "forecast" matters
        units.append((parts, named))
    w = fit_weights(units, parts=("peers", "forecast", "unrealised", "evidence"))
    assert w["forecast"] > 0.8 and min(w[p] for p in ("peers", "forecast", "unrealised", "evidence")) >= 0
    assert sum(w[p] for p in ("peers", "forecast", "unrealised", "evidence")) == pytest.approx(1, abs=1e-3)


def test_weight_simplex_covers_the_grid_and_sums_to_one():
    grid = weight_simplex(3, step=0.5)
    assert sorted(map(tuple, grid.tolist())) == sorted([(0, 0, 1), (0, 0.5, 0.5), (0, 1, 0), (0.5, 0, 0.5),
                                                        (0.5, 0.5, 0), (1, 0, 0)])
    assert len(weight_simplex(4, step=0.05)) == 1771 and np.allclose(weight_simplex(4).sum(axis=1), 1)


def test_grid_recall_known_answer():
    index = [f"M{i}" for i in range(12)]
    frame = pd.DataFrame(0.0, index=index, columns=["peers", "forecast", "unrealised", "evidence", "product"])
    frame["peers"] = np.arange(12)[::-1] / 11  # M0 first on peers
    frame["evidence"] = np.arange(12) / 11      # M11 first on evidence
    named = {"M10", "M11"}                      # last two on peers, first two on evidence
    grid = np.array([[1.0, 0, 0, 0, 0], [0, 0, 0, 1.0, 0]])
    assert grid_recall([frame], [named], grid, k=10).tolist() == [0.0, 1.0]
    # two units: recall is their mean
    assert grid_recall([frame, frame], [named, {"M0", "M11"}], grid, k=10).tolist() == [0.25, 0.75]


def test_percentile_bounds_and_ties():
    p = percentile(pd.Series([10.0, 30.0, 20.0, 20.0]))
    assert p.tolist() == [0.0, 1.0, pytest.approx(0.5), pytest.approx(0.5)]


def test_exporter_bootstrap_difference_known_answer():
    pq = pd.DataFrame({"qid": [0, 0, 1, 1, 2, 2], "exporter": ["A", "A", "B", "B", "C", "C"],
                       "method": ["m", "b"] * 3, "ndcg@10": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]})
    r = bootstrap_difference(pq, "m", "b", n_boot=200)
    assert r["mean_difference"] == pytest.approx(0.1) and r["ci_low"] == pytest.approx(0.1)
    assert r["share_of_clusters_won"] == 1.0 and r["clusters"] == 3


def test_unit_metrics_known_answer():
    ranking = ["DEU", "FRA", "USA", "CHN"] + [f"X{i}" for i in range(10)]
    m = unit_metrics(ranking, {"FRA", "CHN", "JPN"}, first="JPN")
    assert m["hits@10"] == 2 and m["recall@10"] == pytest.approx(2 / 3) and m["hit_rate@10"] == 0.0
    assert 0 < m["ndcg@10"] < 1


def test_district_evidence_cites_own_rows_and_leaves_one_district_out():
    value, cites = evidence("C13T15", "15", province="FM", district_slug="calzaturiero-fermano-maceratese")
    assert value["DEU"] == 1.0 and cites["DEU"][0].district == "Calzature di Fermo"
    left_out, no_cites = evidence("C13T15", "15", province="FM", district_slug="calzaturiero-fermano-maceratese",
                                  exclude=frozenset({"Calzature di Fermo"}))
    assert not no_cites and (left_out <= 1).all() and left_out.get("DEU", 0) < 1.0
    # the other districts' share never uses the excluded district's rows
    others = destinations()
    others = others[(others["model_sector"] == "C13T15") & (others["district_name"] != "Calzature di Fermo")]
    assert left_out["FRA"] == pytest.approx(others[others["iso3"] == "FRA"]["district_name"].nunique()
                                            / others["district_name"].nunique())


def test_validate_cli_prints_every_method_side_by_side(capsys):
    assert validate_main(["--no-forecast", "--no-readme"]) == 0
    out = capsys.readouterr().out
    for method in ("new_ranking", "division_ranking", "finest_sector_exports", "persistence", "ppml_fe",
                   "constant_top10", "mp-2026.11.2", "logit_weights", "product_evidence_only"):
        assert method in out
    assert "95% bootstrap CI" in out and len(ITALY_TOP10) == 10
    assert "in-sample, not a result" in out and "By product family" in out and "Channels" in out
    assert "left out of recall" in out and "import ban for the product shown by the product ranking" in out


def test_sector_evidence_reason_says_how_many_districts_it_rests_on():
    from recommender.recommend.reasons import sector_evidence_reason
    it, en = sector_evidence_reason(7 / 9, 9)
    assert "7 dei 9 altri distretti del settore" in it and "7 of the 9 other districts of the sector" in en
    it, en = sector_evidence_reason(2 / 5, 5, "family", ("vino", "wine"))
    assert "2 dei 5 altri distretti che producono vino" in it and "2 of the 5 other districts making wine" in en
    it, en = sector_evidence_reason(1.0, 1)
    assert "unico altro distretto" in it and "only other district" in en

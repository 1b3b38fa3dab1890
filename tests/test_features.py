"""The market features never contain the target flows."""

import numpy as np
import pytest

from recommender import columns as C
from recommender.features.market import FEATURES, build_query_rows

QUERY = {"exporter": "ITA", "sector": "C23", "demand_type": C.INTERMEDIATE}


def _rows(tables, flows, source, year):
    return build_query_rows(flows, tables.country_year, tables.pairs, tables.countries,
                            tables.eu_membership, tables.eu_agreements, source, year)


def _query(rows):
    q = rows[(rows[C.EXPORTER] == QUERY["exporter"]) & (rows[C.SECTOR] == QUERY["sector"])
             & (rows[C.DEMAND] == QUERY["demand_type"])]
    return q.sort_values(C.IMPORTER).reset_index(drop=True)


@pytest.mark.parametrize("source,year", [(C.WIOD2013, 2011), (C.ICIO2022, 2022)])
def test_changing_the_target_flows_changes_no_feature(tables, source, year):
    flows = tables.flows[(tables.flows[C.SOURCE] == source) & (tables.flows[C.YEAR] == year)]
    before = _query(_rows(tables, flows, source, year))

    target = ((flows[C.EXPORTER] == "ITA") & (flows[C.SECTOR] == "C23") & (flows[C.DEMAND] == C.INTERMEDIATE)
              & (flows[C.PARTNER] == C.FOREIGN))
    assert target.sum() > 20
    changed = flows.copy()
    rng = np.random.default_rng(0)
    changed.loc[target, C.VALUE] = rng.uniform(0, 5000, target.sum())
    after = _query(_rows(tables, changed, source, year))

    # the test can fail: the targets did change...
    assert not np.allclose(before["target_value"], after["target_value"])
    # ...and no feature moved
    for col in FEATURES:
        if col in ("sector", "demand_type"):
            assert (before[col] == after[col]).all()
        else:
            np.testing.assert_allclose(before[col].to_numpy(float), after[col].to_numpy(float),
                                       rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=col)


def test_items_are_countries_never_rest_of_world_or_self(tables):
    rows = _rows(tables, tables.flows, C.WIOD2013, 2011)
    assert "ROW" not in set(rows[C.IMPORTER])
    assert not (rows[C.IMPORTER] == rows[C.EXPORTER]).any()
    q = _query(rows)
    assert len(q) == 39  # 40 WIOD countries minus Italy
    assert q["target_share"].sum() == pytest.approx(1.0)


def test_gravity_features_hold_real_values(tables):
    q = _query(_rows(tables, tables.flows, C.ICIO2022, 2022)).set_index(C.IMPORTER)
    assert q.loc["FRA", "contig"] == 1 and q.loc["DEU", "contig"] == 0
    assert q.loc["FRA", "both_eu"] == 1 and q.loc["USA", "both_eu"] == 0
    assert q.loc["JPN", "eu_fta"] == 1  # EU-Japan EPA in force since 2019
    assert q.loc["USA", "eu_fta"] == 0
    assert np.exp(q.loc["DEU", "log_distw"]) == pytest.approx(1013.8, rel=1e-3)

"""A key the engine sees for the first time (a product, customer type or district not asked
for yet) is worked out from indexes laid out at start-up (recommender.recommend.score.
MarketPartsIndex, recommender.district_evidence.EvidenceIndex, recommender.products.evidence.
ProductEvidenceIndex) instead of through pandas per key (issue #21). These tests hold the
indexes to the pandas functions they stand in for, on every key the shipped tables have, and
the public interface to the same answer whether a key is cold, warm or computed fresh."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from recommender.district_evidence import EvidenceIndex, OwnRowIndex, destinations, evidence_given
from recommender.model.artifact import load_current
from recommender.products import product_evidence
from recommender.products.evidence import ProductEvidenceIndex
from recommender.data import load_table
from recommender.recommend import FirmProfile, Recommender
from recommender.recommend.score import CUSTOMER_DEMAND_TYPES, MarketPartsIndex, _average_ranks, market_parts
from tests.recommending import recommend


@pytest.fixture(scope="module")
def serving():
    return load_current().serving


def test_average_ranks_are_pandas_average_ranks():
    values = [3.0, 1.0, 3.0, 0.0, 3.0, 0.0, 2.5, -1.0, 2.5]
    assert _average_ranks(pd.Series(values).to_numpy()).tolist() == pd.Series(values).rank().tolist()


@pytest.mark.parametrize("customer", sorted(CUSTOMER_DEMAND_TYPES))
def test_parts_index_is_market_parts_for_every_sector(serving, customer):
    index = MarketPartsIndex(serving)
    types = CUSTOMER_DEMAND_TYPES[customer]
    mixes = [{}, {types[0]: 1.0}, {d: round(1 / (i + 2), 4) for i, d in enumerate(types)}]
    sectors = sorted(set(serving["sector"]))
    assert sectors
    for sector in sectors:
        for mix in mixes:
            expected = market_parts(serving, sector, types, mix)
            markets, columns = index.parts(sector, types, mix)
            got = pd.DataFrame(columns, index=pd.Index(markets, name=expected.index.name))
            pd.testing.assert_frame_equal(got, expected, check_exact=True, check_index_type=False,
                                          check_column_type=False)


def test_parts_index_leaves_an_incomplete_sector_to_market_parts(serving):
    sector = serving["sector"].iloc[0]
    holed = serving.drop(index=serving.index[(serving["sector"] == sector)][:1])
    index = MarketPartsIndex(holed.assign(gap_musd=holed["gap_musd"].where(holed.index != holed.index[1])))
    assert index.parts(sector, CUSTOMER_DEMAND_TYPES["both"], {}) is None


def _own_sets():
    """Every own-row set a firm can have: each district and province, with and without each family."""
    table = destinations()
    own = OwnRowIndex(table)
    divisions = sorted(set(table["ateco_division"]))
    families = [None, *sorted(set(table["product_family"]))]
    sets = {frozenset()}
    for division in divisions:
        for family in families:
            sets |= {own.ids(division, None, slug, family) for slug in own.by_district}
            sets |= {own.ids(division, province, None, family) for province in own.by_province}
    return sorted(sets, key=sorted)


def test_evidence_index_is_evidence_given_for_every_own_rows():
    table = destinations()
    index = EvidenceIndex.of(table)
    assert index is not None
    own_sets = _own_sets()
    assert len(own_sets) > 20
    for n, own in enumerate(own_sets):
        mine = table.loc[sorted(own)]
        # the own rows' families and sectors (others of the same product or sector), and ones they do not have
        families = {None, "no_such_family", *mine["product_family"], table["product_family"].iloc[n % len(table)]}
        sectors = {"no_such_sector", *mine["model_sector"], table["model_sector"].iloc[n % len(table)]}
        for family in sorted(families, key=str):
            for sector in sorted(sectors):
                value, cites = index.given(sector, own, family)
                want_value, want_cites = evidence_given(table, sector, mine, family)
                pd.testing.assert_series_equal(value, want_value, check_exact=True, check_index_type=False)
                assert list(value.index) == list(want_value.index)
                assert value.attrs == want_value.attrs
                assert cites == want_cites and [list(c) for c in cites.items()] == [list(c) for c in
                                                                                    want_cites.items()]


def test_product_evidence_index_is_product_evidence_for_every_product():
    index = ProductEvidenceIndex()
    keys = {tuple(k.split(";")) for k in load_table("product_profiles")["evidence_keys"]} | {(), ("no_such_key",)}
    for key in sorted(keys):
        value, cites, spoke = index.evidence(key)
        want_value, want_cites, want_spoke = product_evidence(key)
        pd.testing.assert_series_equal(value, want_value, check_exact=True)
        assert value.attrs == want_value.attrs
        assert (cites, spoke) == (want_cites, want_spoke)


PROFILES = [
    {"ateco": "11.02", "province": "CN", "customer_type": "both", "excluded_markets": ["US"]},
    {"ateco": "15.20", "district": "calzetteria-di-castel-goffredo"},
    {"ateco": "23.31", "province": "MO", "customer_type": "b2b", "languages": ["en"]},
    {"ateco": "28.29", "province": "BS", "maturity_level": 3, "current_markets": ["DE", "FR"], "employees": 40},
    {"ateco": "10.51", "province": "PR", "customer_type": "b2c", "maturity_level": 4},
    {"ateco": "14", "province": "PO", "maturity_level": 1},
]


def _answer(rec, profile, lang="it"):
    return json.dumps(recommend(rec, k=30, lang=lang, **profile), sort_keys=True, default=str)


def test_cold_warm_and_fresh_keys_give_the_same_recommendation(rec):
    """A key computed on a firm's first request (cold), asked again (warm), and computed by a
    recommender that has answered nothing else (fresh) give the same answer, each language."""
    for profile in PROFILES:
        fresh = Recommender(load_current())
        for lang in ("it", "en"):
            cold = _answer(rec, profile, lang)
            assert _answer(rec, profile, lang) == cold
            assert _answer(fresh, profile, lang) == cold


def test_a_warm_sector_does_not_change_a_cold_product_of_it(rec):
    """Two products of one sector share the sector's parts: the second is the same whether the
    first came before it or not."""
    first, second = {"ateco": "14.13", "province": "PO"}, {"ateco": "14.19", "province": "PO"}
    fresh = Recommender(load_current())
    alone = _answer(fresh, second)
    other = Recommender(load_current())
    other.recommend(FirmProfile.from_dict({**first, "maturity_level": 2}))
    assert _answer(other, second) == alone

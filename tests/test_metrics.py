"""Known-answer tests for the ranking metrics."""

import math

import pytest

from recommender.model import metrics as M


def test_dcg_known_answer():
    # relevance in predicted order: 3, 2, 0 -> (7)/1 + (3)/log2(3) + 0
    assert M.dcg_at_k([3, 2, 0], [0.9, 0.5, 0.1], 3) == pytest.approx(7 + 3 / math.log2(3))


def test_ndcg_perfect_and_reversed():
    rel = [3, 2, 1, 0]
    assert M.ndcg_at_k(rel, [4, 3, 2, 1], 4) == pytest.approx(1.0)
    reversed_dcg = 0 + 1 / math.log2(3) + 3 / 2 + 7 / math.log2(5)
    ideal = 7 + 3 / math.log2(3) + 1 / 2
    assert M.ndcg_at_k(rel, [1, 2, 3, 4], 4) == pytest.approx(reversed_dcg / ideal)


def test_ndcg_cutoff_and_no_relevant():
    # only the top 1 counts: best item ranked second -> 0
    assert M.ndcg_at_k([1, 0], [0.1, 0.9], 1) == 0.0
    assert M.ndcg_at_k([0, 0, 0], [3, 2, 1], 3) == 0.0


def test_ties_broken_by_position():
    assert M.ndcg_at_k([0, 1], [1.0, 1.0], 1) == 0.0
    assert M.ndcg_at_k([1, 0], [1.0, 1.0], 1) == 1.0


def test_precision_recall_ap():
    relevant = {0, 2}
    scores = [0.9, 0.8, 0.7, 0.1]  # ranking: 0, 1, 2, 3
    assert M.precision_at_k(relevant, scores, 2) == 0.5
    assert M.recall_at_k(relevant, scores, 2) == 0.5
    assert M.recall_at_k(relevant, scores, 3) == 1.0
    # AP = (1/1 + 2/3) / 2
    assert M.average_precision(relevant, scores) == pytest.approx((1 + 2 / 3) / 2)
    assert M.recall_at_k(set(), scores, 2) == 0.0


def test_query_metrics_relevant_is_top_n_by_value():
    values = [100, 50, 10, 1, 0]
    out = M.query_metrics([3, 2, 1, 0, 0], values, scores=[5, 4, 3, 2, 1], top_n=2)
    assert out["precision@5"] == pytest.approx(2 / 5)
    assert out["recall@10"] == 1.0 and out["map"] == 1.0 and out["ndcg@10"] == pytest.approx(1.0)

"""Ranking metrics as small pure functions (known-answer tests in tests/).

Each takes, for ONE query, the true relevance of the items and the predicted
scores (same order), and returns a float. Ties in scores are broken by item
order, so results are deterministic.

Conventions (stated because libraries differ): a query with no relevant item
scores 0 for NDCG (scikit-learn's convention, not LightGBM's 1); such queries
are excluded from training and evaluation anyway.
"""

from __future__ import annotations

import numpy as np


def _order(scores) -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    # stable sort on -score: earlier items win ties
    return np.argsort(-s, kind="stable")


def dcg_at_k(relevance, scores, k: int) -> float:
    """Discounted cumulative gain with exponential gain 2^rel - 1."""
    rel = np.asarray(relevance, dtype=float)[_order(scores)][:k]
    discounts = 1.0 / np.log2(np.arange(2, rel.size + 2))
    return float(np.sum((2.0 ** rel - 1.0) * discounts))


def ndcg_at_k(relevance, scores, k: int) -> float:
    """DCG@k divided by the DCG@k of the ideal ordering; 0 if nothing is relevant."""
    ideal = dcg_at_k(relevance, relevance, k)
    return dcg_at_k(relevance, scores, k) / ideal if ideal > 0 else 0.0


def top_k_items(values, k: int) -> set[int]:
    """Indices of the k highest values (ties by position)."""
    return set(_order(values)[:k].tolist())


def precision_at_k(relevant: set[int], scores, k: int) -> float:
    """Share of the top-k predicted items that are relevant."""
    top = _order(scores)[:k]
    return float(sum(1 for i in top if i in relevant)) / k


def recall_at_k(relevant: set[int], scores, k: int) -> float:
    """Share of the relevant items found in the top-k predicted; 0 if none relevant."""
    if not relevant:
        return 0.0
    top = _order(scores)[:k]
    return float(sum(1 for i in top if i in relevant)) / len(relevant)


def average_precision(relevant: set[int], scores) -> float:
    """Mean of precision@i at each rank i holding a relevant item (full list)."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, item in enumerate(_order(scores), start=1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def query_metrics(relevance, true_value, scores, top_n: int = 10) -> dict[str, float]:
    """All the report's metrics for one query.

    ``relevance`` are the graded labels (for NDCG); ``true_value`` the actual
    flows, whose top ``top_n`` items are "relevant" for precision, recall, MAP.
    """
    relevant = top_k_items(true_value, min(top_n, len(true_value)))
    return {
        "ndcg@5": ndcg_at_k(relevance, scores, 5),
        "ndcg@10": ndcg_at_k(relevance, scores, 10),
        "precision@5": precision_at_k(relevant, scores, 5),
        "recall@10": recall_at_k(relevant, scores, 10),
        "map": average_precision(relevant, scores),
    }

"""Relevance grades from market shares.

An item's grade is how many of these share thresholds the importer reaches in
the exporter's flows of that sector and demand type. Why shares, graded on a
roughly logarithmic scale:

- shares make exporters of very different size comparable (Germany and Malta
  rank markets, not volumes);
- trade is multiplicative (gravity), so the step from 1% to 2.5% matters as
  much as from 10% to 20%; equal-width bins would lump most markets into 0;
- the top grades are few, so NDCG rewards getting the main markets right,
  which is what a firm acts on.
"""

from __future__ import annotations

import numpy as np

SHARE_THRESHOLDS: tuple[float, ...] = (0.0025, 0.01, 0.025, 0.05, 0.10, 0.20)
MAX_GRADE = len(SHARE_THRESHOLDS)


def relevance_grade(share) -> np.ndarray:
    """Grade 0..6 for each share in [0, 1]."""
    s = np.asarray(share, dtype=float)
    return np.searchsorted(np.asarray(SHARE_THRESHOLDS), s, side="right").astype(int)

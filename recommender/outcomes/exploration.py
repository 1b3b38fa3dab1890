"""Bounded exploration: a few slots for markets whose outcomes are still uncertain.

Without it the loop only confirms its own advice: markets outside the top k
are never shown, so never tried, so never learned about. With a share ``s``
of the ``k`` slots (``floor(k·s)``; 0.1 -> 1 of 10), the last slots go to the
markets below the cut with the highest *upper* confidence score: prior score × the upper quantile of their lift
(Bayes-UCB: the 1 - 1/t quantile, t growing with the trials recorded in the
firm's sector and locality). A market nobody has tried keeps a wide
interval, one that was tried and failed loses it. With no outcomes at all
every upper quantile is the same, so the pick is simply the next market in
line and the list equals the plain ranking. All markets below the cut are
candidates (not just the next few): when the prior is badly wrong, the
markets worth trying can be far down (the simulator's ``disagree`` scenario).
"""

from __future__ import annotations

MAX_SHARE = 0.3


def exploration_slots(k: int, share: float) -> int:
    """How many of ``k`` slots explore with ``share`` (0 to :data:`MAX_SHARE`)."""
    if not 0.0 <= share <= MAX_SHARE:
        raise ValueError(f"exploration share must be between 0 and {MAX_SHARE}, got {share}")
    return int(k * share + 1e-9)


def choose_explored(candidates: list[tuple[str, float, float]], n: int) -> list[str]:
    """The ``n`` candidates (iso3, prior score, upper lift), in ranked order,
    with the highest prior × upper; ties keep the ranked order."""
    best = sorted(range(len(candidates)), key=lambda i: (-candidates[i][1] * candidates[i][2], i))[:n]
    return [candidates[i][0] for i in sorted(best)]

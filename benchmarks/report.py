"""What the simulation benchmarks share: a mean with its 95 % t interval over independent
simulations, as a signed percentage, and the README block a benchmark rewrites."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values) -> tuple[float, float]:
    """Mean and the half-width of its 95 % t interval over the simulations (NaN half-width below 2)."""
    v = np.asarray(pd.Series(values).dropna(), float)
    if len(v) < 2:
        return (float(v.mean()) if len(v) else float("nan")), float("nan")
    return float(v.mean()), float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))


def ratio_ci(numerator, denominator, resamples: int = 2000, random_state: int = 0,
             min_denominator: float = 0.10) -> str:
    """"82% [70%, 95%]": sum(numerator) / sum(denominator) over the simulations (paired by position),
    with its 95 % percentile-bootstrap interval over simulations (a ratio of means: one simulation
    with a near-zero denominator does not blow it up as a mean of ratios would); "–" where the mean
    denominator is below ``min_denominator`` (a share of almost nothing says nothing)."""
    num, den = np.asarray(numerator, float), np.asarray(denominator, float)
    if len(num) == 0 or den.mean() < min_denominator:
        return "–"
    rng = np.random.default_rng(random_state)
    picks = rng.integers(0, len(num), (resamples, len(num)))
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = num[picks].sum(axis=1) / den[picks].sum(axis=1)
    low, high = np.nanpercentile(boot[np.isfinite(boot)], [2.5, 97.5])
    return f"{num.sum() / den.sum():.0%} [{low:.0%}, {high:.0%}]"


def signed_pct(values) -> str:
    """"+24% ±7%": the mean share and its 95 % half-width."""
    mean, half = mean_ci(values)
    return f"{mean:+.0%}" + ("" if np.isnan(half) else f" ±{half:.0%}")


def write_block(path: Path, start: str, end: str, text: str) -> bool:
    """Replace what stands between the ``start`` and ``end`` markers of ``path`` with ``text``;
    False (nothing written) when the markers are not there."""
    body = path.read_text()
    if start not in body:
        return False
    path.write_text(re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: f"{start}\n{text}\n{end}", body,
                           flags=re.S))
    return True

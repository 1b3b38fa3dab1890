"""Readiness fit: how demanding a market is, against how ready the firm is.

Demandingness D(m) in [0, 1] is a weighted mean of five parts, each in [0, 1]
(weights in ``DEMAND_WEIGHTS``):

- ``distance``: weighted distance from Italy, log-scaled between 500 and 15,000 km (CEPII);
- ``customs``: 0 inside the EU single market, rising through EEA, customs
  union and EU trade agreement, to 1 with no agreement (curated EU list);
- ``language``: 0 if the market shares an official language with Italy or
  with a language the firm speaks, 0.5 if the firm speaks English (or did not
  say which languages it speaks: unknown counts as average, and the result
  asks), else 1;
- ``online``: share of adults who do NOT buy online (Findex 2021);
- ``logistics``: weakness of logistics, from the LPI (World Bank, latest).

The firm's capability F in [0, 1] is its web-maturity score / 12 (or the
middle of its level). Readiness is a *horizon*, not a penalty on the score
(distance already shapes where peers sell): a market with D <= F is one to
start with now; otherwise it is one to prepare for, and ``required_level(D)``
says which maturity level it takes. ``fit`` (1 - max(0, D - F)) is kept for
the mp-2026.11.x comparison in validation.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pycountry

DEMAND_WEIGHTS = {"distance": 0.30, "customs": 0.25, "language": 0.15, "online": 0.15, "logistics": 0.15}
CUSTOMS_BY_REGIME = {"domestic": 0.0, "eu_single_market": 0.0, "eea": 0.15, "customs_union": 0.35, "fta": 0.55,
                     "none": 1.0}
LEVEL_CAPABILITY = {1: 1.5 / 12, 2: 5 / 12, 3: 8 / 12, 4: 11 / 12}
NEUTRAL = 0.5  # a missing indicator counts as average, and the result says so


@lru_cache(maxsize=256)
def language_code(name: str) -> str | None:
    """ISO 639-1 code of a CEPII language name ("German" -> "de")."""
    try:
        lang = pycountry.languages.lookup(name)
    except LookupError:
        return None
    return getattr(lang, "alpha_2", None)


def market_languages(countries: pd.DataFrame) -> dict[str, frozenset[str]]:
    out = {}
    for iso3, langs in zip(countries["iso3"], countries["languages"]):
        codes = {language_code(x) for x in str(langs).split(";")} if isinstance(langs, str) else set()
        out[iso3] = frozenset(c for c in codes if c)
    return out


def demand_parts(countries: pd.DataFrame, firm_languages: tuple[str, ...] = ()) -> pd.DataFrame:
    """The five demandingness parts per market (index iso3)."""
    c = countries.set_index("iso3")
    dist = c["distw_km_ita"].astype(float)
    parts = pd.DataFrame(index=c.index)
    parts["distance"] = ((np.log(dist) - np.log(500)) / (np.log(15000) - np.log(500))).clip(0, 1).fillna(NEUTRAL)
    parts["customs"] = c["trade_regime"].map(CUSTOMS_BY_REGIME).fillna(1.0)
    langs = market_languages(countries)
    speaks = set(firm_languages)
    common = c["comlang_off_ita"].fillna(0).astype(bool)
    lang = []
    for iso3 in c.index:
        if common[iso3] or (speaks & langs.get(iso3, frozenset())):
            lang.append(0.0)
        elif "en" in speaks or not speaks:
            lang.append(0.5)
        else:
            lang.append(1.0)
    parts["language"] = lang
    parts["online"] = (1 - c["online_purchase_pct"].astype(float) / 100).clip(0, 1).fillna(NEUTRAL)
    parts["logistics"] = ((4.2 - c["lpi_score"].astype(float)) / 2.2).clip(0, 1).fillna(NEUTRAL)
    return parts


def demandingness(parts: pd.DataFrame) -> pd.Series:
    w = pd.Series(DEMAND_WEIGHTS)
    return (parts[list(w.index)] * w).sum(axis=1) / w.sum()


def capability(maturity) -> float:
    """Firm capability F in [0, 1] from its web maturity."""
    if maturity.score is not None:
        return maturity.score / 12
    return LEVEL_CAPABILITY[maturity.level]


def required_level(demanding: float) -> int:
    """The lowest web-maturity level whose capability covers demandingness D."""
    return next((lvl for lvl, cap in sorted(LEVEL_CAPABILITY.items()) if cap >= demanding - 1e-9), 4)


HORIZONS = ("now", "prepare")


def _must_prepare(needs, level):
    """The rule: a market needs preparing when it needs more than the firm's maturity level."""
    return needs > level


def horizon(needs: int, level: int) -> str:
    """"now" where the firm's maturity level covers the level a market needs, else "prepare"."""
    return HORIZONS[bool(_must_prepare(needs, level))]


def horizon_codes(needs: np.ndarray, level: np.ndarray) -> np.ndarray:
    """:func:`horizon` for many markets at once, as indices into :data:`HORIZONS`."""
    return _must_prepare(needs, level).astype(np.int8)


def fit(demanding, firm_capability: float):
    """1 - max(0, D - F), elementwise (numpy array or pandas Series)."""
    return 1 - np.clip(demanding - firm_capability, 0, None)

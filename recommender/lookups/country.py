"""Resolve a country from ISO2, ISO3, or its Italian or English name."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from recommender.data import load_table
from recommender.errors import FieldError, LookupFailed
from recommender.lookups.text import norm, suggest

ALIASES = {"usa": "USA", "stati uniti d america": "USA", "united states of america": "USA", "uk": "GBR",
           "inghilterra": "GBR", "gran bretagna": "GBR", "great britain": "GBR", "england": "GBR",
           "olanda": "NLD", "holland": "NLD", "corea": "KOR", "korea": "KOR", "emirati": "ARE", "uae": "ARE",
           "turkey": "TUR", "turchia": "TUR", "russia": "RUS", "cina": "CHN", "repubblica ceca": "CZE",
           "czech republic": "CZE", "el": "GRC"}


@dataclass(frozen=True)
class Country:
    iso3: str
    iso2: str
    name_it: str
    name_en: str


@lru_cache(maxsize=1)
def _countries() -> dict[str, Country]:
    return {r["iso3"]: Country(r["iso3"], r["iso2"], r["name_it"], r["name_en"])
            for r in load_table("countries").to_dict("records")}


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    idx = {}
    for c in _countries().values():
        for key in (c.iso3, c.iso2, c.name_it, c.name_en):
            idx[norm(key)] = c.iso3
    idx.update(ALIASES)
    return idx


def resolve_country(text, field: str = "country") -> Country:
    """"DE", "DEU", "Germania", "germany", "Stati Uniti", "USA" -> Country (one of the 80 model countries)."""
    raw = "" if text is None else str(text).strip()
    key = norm(raw)
    if key in _index():
        return _countries()[_index()[key]]
    names = [c.name_it for c in _countries().values()] + [c.name_en for c in _countries().values()]
    hint = suggest(raw, names + list(_countries()), n=3, cutoff=0.5)
    raise LookupFailed(FieldError(field, "unknown country, or not among the 80 countries the model covers",
                                  value=raw, suggestions=hint))


def all_countries() -> list[Country]:
    return list(_countries().values())

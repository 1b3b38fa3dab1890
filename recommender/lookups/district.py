"""Resolve an industrial district by slug or name (accent/case-insensitive)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from recommender.data import load_table
from recommender.errors import FieldError, LookupFailed
from recommender.lookups.text import norm, suggest


@dataclass(frozen=True)
class District:
    slug: str
    name: str
    provinces: tuple[str, ...]
    region: str
    specialisation_it: str
    specialisation_en: str
    ateco_divisions: tuple[str, ...]
    origin: str  # dsw2013 | curated


@lru_cache(maxsize=1)
def _districts() -> dict[str, District]:
    return {r["slug"]: District(r["slug"], r["name"], tuple(r["provinces"].split(";")), r["region"],
                                r["specialisation_it"], r["specialisation_en"], tuple(r["ateco_divisions"].split(";")),
                                r["origin"])
            for r in load_table("districts").to_dict("records")}


def resolve_district(text, field: str = "district") -> District:
    """Slug, full name, or a word that picks one district only ("sassuolo")."""
    raw = "" if text is None else str(text).strip()
    ds = _districts()
    key = norm(raw)
    for d in ds.values():
        if key in (norm(d.slug), norm(d.name)):
            return d
    hits = [d for d in ds.values() if key and key in norm(d.name)]
    if len(hits) == 1:
        return hits[0]
    reason = (f"ambiguous district: matches {len(hits)} districts" if len(hits) > 1 else "unknown district")
    options = [d.slug for d in hits[:5]] or list(suggest(key.replace(" ", "-"), ds.keys(), n=3, cutoff=0.3))
    raise LookupFailed(FieldError(field, reason, value=raw, suggestions=tuple(options)))


def districts_for_province(sigla: str) -> list[District]:
    """Districts that include the province, programme districts first."""
    s = str(sigla).strip().upper()
    found = [d for d in _districts().values() if s in d.provinces]
    return sorted(found, key=lambda d: (d.origin != "dsw2013", d.name))


def all_districts() -> list[District]:
    return list(_districts().values())

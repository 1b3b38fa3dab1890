"""Resolve a province from its sigla, its name or one of its comuni."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from recommender.data import load_table
from recommender.errors import FieldError, LookupFailed
from recommender.lookups.text import norm, suggest

# Common short or alternative names users type
ALIASES = {"reggio emilia": "RE", "reggio calabria": "RC", "bolzano": "BZ", "bozen": "BZ", "forli": "FC",
           "cesena": "FC", "pesaro": "PU", "urbino": "PU", "massa": "MS", "carrara": "MS", "aosta": "AO",
           "monza": "MB", "brianza": "MB", "barletta": "BT", "andria": "BT", "trani": "BT"}


@dataclass(frozen=True)
class Province:
    sigla: str
    code: str
    name: str
    region: str
    nuts3: str


@lru_cache(maxsize=1)
def _provinces() -> dict[str, Province]:
    return {r["sigla"]: Province(r["sigla"], r["code"], r["name"], r["region"], r["nuts3"])
            for r in load_table("provinces").to_dict("records")}


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out = {}
    for p in _provinces().values():
        out[norm(p.name)] = p.sigla
        for part in p.name.split("/"):  # "Bolzano/Bozen", "Valle d'Aosta/Vallée d'Aoste"
            out[norm(part)] = p.sigla
    out.update(ALIASES)
    return out


@lru_cache(maxsize=1)
def _comuni() -> dict[str, str]:
    """Normalised comune name -> sigla; names shared by several comuni are dropped (ambiguous)."""
    from recommender.data.builders.provinces import read_comuni
    com = read_comuni()
    seen: dict[str, set[str]] = {}
    for name, other, sigla in zip(com["comune"], com["comune_other"], com["sigla"]):
        for n in (name, other):
            if n:
                seen.setdefault(norm(n), set()).add(sigla)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def resolve_province(text, field: str = "province") -> Province:
    """"MO", "mo", "Modena", "Reggio Emilia", "Forlì", "Bozen" or a comune ("Sassuolo") -> Province.
    Names found are remembered (the result is immutable)."""
    return _resolve("" if text is None else str(text).strip(), field)


@lru_cache(maxsize=16_384)
def _resolve(raw: str, field: str) -> Province:
    provinces = _provinces()
    if raw.upper() in provinces:
        return provinces[raw.upper()]
    key = norm(raw)
    if key in _names():
        return provinces[_names()[key]]
    if key in _comuni():
        return provinces[_comuni()[key]]
    if len(raw) <= 2:  # looks like a sigla: siglas sharing its first, then second letter
        up = raw.upper().ljust(2)
        hint = tuple(sorted(provinces, key=lambda s: (-(2 * (s[0] == up[0]) + (s[1] == up[1])), s))[:3])
    else:
        hint = suggest(raw, [p.name for p in provinces.values()] + list(_comuni()), n=3, cutoff=0.6)
    raise LookupFailed(FieldError(field, "unknown province: give a sigla (MO), a province name or a comune",
                                  value=raw, suggestions=hint))


def all_provinces() -> list[Province]:
    return list(_provinces().values())

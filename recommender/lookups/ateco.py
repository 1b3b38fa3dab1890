"""Resolve an ATECO code as users type it to its division and model sector."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ateco

from recommender.data import load_table
from recommender.errors import FieldError, LookupFailed
from recommender.lookups.text import suggest

EDITIONS = ("2025", "2022", "2007")


@dataclass(frozen=True)
class AtecoDivision:
    division: str                  # "14"
    code: str                      # what the user typed, normalised: " c 14 " -> "C14"
    ateco_code: str                # most specific valid code typed, e.g. "14.13.1"
    title_it: str                  # ISTAT title of that code
    name_it: str                   # division name
    name_en: str
    model_sector: str | None       # None for services (not modelled)
    icio_sectors: tuple[str, ...]
    edition: str                   # newest ATECO edition (2025, 2022, 2007) where the code exists


@lru_cache(maxsize=1)
def _divisions() -> dict[str, dict]:
    return {r["ateco_division"]: r for r in load_table("sectors").to_dict("records")}


def _dotted(digits: str) -> str:
    """"14131" -> "14.13.1"; "1413" -> "14.13"; "141" -> "14.1"."""
    if len(digits) <= 2:
        return digits
    if len(digits) <= 4:
        return f"{digits[:2]}.{digits[2:]}"
    return f"{digits[:2]}.{digits[2:4]}.{digits[4:]}"


def _normalised(text: str) -> str:
    """Upper case without spaces: " c 14 " -> "C14", " 14.13 " -> "14.13"."""
    return re.sub(r"\s+", "", text).upper()


def _candidates(text: str) -> list[str]:
    """Dotted forms to try in the ATECO editions: "C1413" -> ["14.13"], "14.13.1" -> ["14.13.1"]."""
    t = _normalised(text)
    t = re.sub(r"^[A-V](?=\d)", "", t)  # "C14" -> "14": the section letter is redundant
    if not re.fullmatch(r"[\d.]+", t):
        return []
    digits = t.replace(".", "")
    if not digits:  # "." or "..": the ateco package raises ValueError on an empty code
        return []
    forms = [t] if "." in t else []
    forms.append(_dotted(digits))
    if len(digits) == 1:  # "1" -> "01"
        forms.append(digits.zfill(2))
    return list(dict.fromkeys(forms))


def resolve_ateco(code, field: str = "ateco") -> AtecoDivision:
    """Resolve ``14.13``, ``14.13.1``, ``1413``, ``14131``, ``C14``, ``14`` to division 14.

    Valid in any of the ATECO 2025, 2022 or 2007 editions (ISTAT, via the
    ``ateco`` package). Raises :class:`LookupFailed` naming ``field`` with the
    closest valid codes otherwise. Codes found are remembered (a registry
    repeats a few hundred codes over and over; the result is immutable).
    """
    return _resolve("" if code is None else str(code), field)


@lru_cache(maxsize=16_384)
def _resolve(text: str, field: str) -> AtecoDivision:
    for form in _candidates(text):
        for ed in EDITIONS:
            node = ateco.lookup(form, edition=ed)
            if node is not None and node.level != "section":
                div = form[:2]
                row = _divisions().get(div)
                if row is None:
                    continue
                model, icio = row["model_sector"], row["icio_sectors"]
                return AtecoDivision(
                    division=div, code=_normalised(text), ateco_code=node.code, title_it=node.title,
                    name_it=row["name_it"], name_en=row["name_en"],
                    model_sector=model if isinstance(model, str) else None,  # NaN for services
                    icio_sectors=tuple(icio.split(";")) if isinstance(icio, str) else (),
                    edition=ed)
    raise LookupFailed(FieldError(field, "not a valid ATECO code (2007, 2022 or 2025 edition)", value=text,
                                  suggestions=_suggestions(text)))


def _suggestions(text: str) -> tuple[str, ...]:
    forms = _candidates(text)
    divisions = sorted(_divisions())
    if forms:
        digits = forms[-1].replace(".", "")
        # codes in the same division, else the nearest divisions
        if digits[:2] in _divisions():
            hits = [n.code for n in ateco.search(digits[:2] + ".", limit=200) if n.code.startswith(digits[:2] + ".")]
            close = suggest(forms[0], hits, n=3, cutoff=0.3)
            if close:
                return close
        try:
            n = int(digits[:2])
            return tuple(sorted(divisions, key=lambda d: (abs(int(d) - n), d))[:3])
        except ValueError:
            pass
    by_name = [n.code for n in ateco.search(text, limit=20) if n.level != "section"] if text.strip() else []
    return tuple(by_name[:3]) or tuple(divisions[:3])

"""ATECO search by code or product words, for the firm form's ATECO field
(``/lookup/ateco``).

A borsista types what the firm makes ("occhiali", "vino", "calzature") or
part of a code ("325", "32.50"); the answer is ATECO codes with their titles,
best first:

1. the synonyms of ``api/web/ateco_synonyms.csv`` (district products whose
   words are not in ISTAT's titles: occhiali -> 32.50.4, prosecco -> 11.02...);
2. codes starting with what was typed (``325`` and ``32.5`` both find 32.50);
3. classes whose words contain every typed word (accents and case ignored;
   a word matches another starting with all but its last letter, so "vino"
   finds "vini"): ISTAT's class titles (the ``ateco`` package) and, from
   ``data/product_profiles.csv``, the subcategory title, the product family
   (Italian and English) and the ISIC Rev. 4 title;
4. the ``ateco`` package's own search (it also reads ISTAT's notes).

Only the goods divisions 01-33 are offered: the model covers nothing else.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ateco

from recommender.data import load_table
from recommender.lookups.text import norm

SYNONYMS = Path(__file__).parent / "web" / "ateco_synonyms.csv"
EDITION = "2025"  # titles of the edition in force; older codes still found through the profiles table
GOODS = tuple(f"{d:02d}" for d in range(1, 34))


@dataclass(frozen=True)
class Match:
    code: str
    title: str


@dataclass(frozen=True)
class _Entry:
    code: str
    title: str
    words: str  # everything searchable, normalised


def _compact(code: str) -> str:
    return code.replace(".", "")


def _title(code: str) -> str | None:
    node = ateco.lookup(code, edition=EDITION) or ateco.lookup(code)
    return node.title if node is not None else None


@lru_cache(maxsize=1)
def _entries() -> tuple[_Entry, ...]:
    """One entry per class and per subcategory of data/product_profiles.csv (2025 edition first)."""
    df = load_table("product_profiles").fillna("")
    df = df.sort_values("edition", ascending=False, kind="stable")  # 2025 before 2022
    seen: dict[str, _Entry] = {}
    for r in df.to_dict("records"):
        family = " ".join(str(r[k]) for k in ("family_name_it", "family_name_en", "isic4_title_en"))
        cls = str(r["ateco_class"])
        if r["subcategory"]:
            sub = str(r["subcategory"])
            if sub not in seen:
                seen[sub] = _Entry(sub, str(r["title_it"]), norm(f"{r['title_it']} {family}"))
        if cls not in seen:
            title = _title(cls) or str(r["title_it"])
            seen[cls] = _Entry(cls, title, norm(f"{title} {r['title_it'] if not r['subcategory'] else ''} {family}"))
        elif not r["subcategory"]:  # another edition's row of the class: its words count too
            e = seen[cls]
            seen[cls] = _Entry(cls, e.title, e.words + " " + norm(f"{r['title_it']} {family}"))
    return tuple(sorted(seen.values(), key=lambda e: e.code))


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    with SYNONYMS.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(norm(row["term"]), []).append(row["ateco"].strip())
    return {k: tuple(v) for k, v in out.items()}


def _word_matches(token: str, words: list[str]) -> bool:
    stem = token[:-1] if len(token) >= 4 else token
    return any(w.startswith(stem) for w in words)


def _entry(code: str) -> Match | None:
    for e in _entries():
        if e.code == code:
            return Match(e.code, e.title)
    title = _title(code)
    return Match(code, title) if title else None


def search(q: str, limit: int = 20) -> list[Match]:
    """ATECO codes (with titles) for what was typed: a product word or part of a code."""
    text = norm(q)
    if not text:
        return []
    found: dict[str, Match] = {}

    def add(m: Match | None) -> None:
        if m is not None and m.code[:2] in GOODS and m.code not in found:
            found[m.code] = m

    # 1. synonyms: the whole query, else each word (a word typed in part finds its synonym from 4 letters)
    syn = _synonyms()
    terms = [text] + text.split()
    for t in terms:
        for term, codes in syn.items():
            if term == t or (len(t) >= 4 and term.startswith(t)):
                for c in codes:
                    add(_entry(c))
    # 2. codes: "325", "32.5", "32.50", "3250"
    typed = re.sub(r"\s+", "", q.strip())
    if re.fullmatch(r"[0-9.]{2,}", typed):
        compact = _compact(typed)
        if len(compact) == 2 and compact in GOODS:  # a division: itself first
            add(Match(compact, _title(compact) or compact))
        for e in _entries():
            if _compact(e.code).startswith(compact) and (e.code.count(".") <= 1 or len(compact) > 4):
                add(Match(e.code, e.title))
    # 3. words in the titles, families and ISIC titles
    tokens = [t for t in text.split() if len(t) >= 3 and not t.isdigit()]
    if tokens:
        in_title, elsewhere = [], []
        for e in _entries():
            words = e.words.split()
            if all(_word_matches(t, words) for t in tokens):
                title_words = norm(e.title).split()
                (in_title if all(_word_matches(t, title_words) for t in tokens) else elsewhere).append(e)
        for e in in_title + elsewhere:
            add(Match(e.code, e.title))
        # 4. the package's search (notes too), classes and finer only
        if len(found) < limit:
            for node in ateco.search(q, edition=EDITION, limit=50):
                if node.level in ("class", "category", "subcategory"):
                    add(Match(node.code, node.title))
    return list(found.values())[:limit]

"""Product-market rules: import bans and heavy requirements (``product_rules``).

A rule applies to a product when its ``product_family`` is the product's
family, ``*food*`` for any food or drink, or ``*all*`` (a group rule may
leave families out: ``except_families``, e.g. the FDA's food rules for meat,
which the USDA regulates instead). What it does:

- ``ban`` and ``animal_health_ban``: the market is excluded for that product
  (never recommended, at any k), listed among the excluded markets with the
  rule, its source and date;
- ``requirement`` and ``monopoly``: the market stays, moved to the "prepare"
  horizon, with the step named in the warnings and the next steps;
- ``lifted``: kept for the record (a ban that was lifted), never applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from recommender.data import load_table

EXCLUDING = ("ban", "animal_health_ban")
PREPARING = ("requirement", "monopoly")


@dataclass(frozen=True)
class ProductRule:
    family: str
    iso3: str
    kind: str
    rule_it: str
    rule_en: str
    step_it: str
    step_en: str
    source_title: str
    source_url: str
    quote: str
    as_of: str
    scope_note: str
    except_families: frozenset[str] = frozenset()  # families a group rule (*food*, *all*) does not apply to

    @property
    def excludes(self) -> bool:
        return self.kind in EXCLUDING

    def to_dict(self, lang: str = "it") -> dict:
        en = lang == "en"
        return {"kind": self.kind, "family": self.family, "rule": self.rule_en if en else self.rule_it,
                "step": (self.step_en if en else self.step_it) or None, "source_title": self.source_title,
                "source_url": self.source_url, "quote": self.quote, "as_of": self.as_of,
                "note": self.scope_note or None}


def _text(v) -> str:
    return v if isinstance(v, str) else ""


@lru_cache(maxsize=4)
def _rules(data_dir=None) -> tuple[ProductRule, ...]:
    return tuple(ProductRule(r["product_family"], r["iso3"], r["kind"], r["rule_it"], r["rule_en"],
                             _text(r["step_it"]), _text(r["step_en"]), r["source_title"], r["source_url"],
                             r["quote"], r["as_of"], _text(r["scope_note"]),
                             frozenset(f for f in _text(r["except_families"]).split(";") if f))
                 for r in load_table("product_rules", data_dir).to_dict("records") if r["kind"] != "lifted")


@lru_cache(maxsize=256)
def rules_for(family: str, family_group: str, data_dir=None) -> dict[str, tuple[ProductRule, ...]]:
    """iso3 -> the rules that apply to a product of ``family`` (in ``family_group``) there."""
    out: dict[str, list[ProductRule]] = {}
    for r in _rules(data_dir):
        if family in r.except_families:
            continue
        if r.family == family or r.family == "*all*" or (r.family == "*food*" and family_group == "food"):
            out.setdefault(r.iso3, []).append(r)
    return {k: tuple(v) for k, v in out.items()}


def banned_markets(family: str, family_group: str, data_dir=None) -> frozenset[str]:
    """Markets where a ban applies to the product."""
    return frozenset(iso3 for iso3, rs in rules_for(family, family_group, data_dir).items()
                     if any(r.excludes for r in rs))

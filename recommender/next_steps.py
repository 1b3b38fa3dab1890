"""Next steps as a plan: ordered actions, each with who does it, a rough effort
and what it unlocks.

1. What the best markets require of the product before a first sale (a
   registration, a label approval, an importer: ``product_rules``), per
   market, with its source;
2. the capabilities the recommended channels need, in prerequisite order (a
   website before a foreign-language site, a catalogue before a marketplace
   account...), skipping those the firm already has;
3. opening the best channels (reachable ones first), with their set-up time;
4. the Italian and EU support the firm is eligible for by what we know
   (size, maturity, customer type, non-EU markets, marketplace channels):
   the Chamber's Punto Impresa Digitale, SIMEST's e-commerce financing,
   ICE's marketplace showcases and fairs, SACE's risk map, Access2Markets...
   each with its link and as-of date (``curated/support_programmes.csv``).

Efforts are rough ranges for a small firm (estimates, said as such).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

SUPPORT = Path(__file__).resolve().parent / "data" / "curated" / "support_programmes.csv"

# capability -> (prerequisites, Italian, English, owner, effort it, effort en)
STEPS: dict[str, tuple[tuple[str, ...], str, str, str, str, str]] = {
    "website": ((), "Creare un sito web aziendale con contatti e prodotti",
                "Build a company website with contacts and products", "borsista", "2-4 settimane", "2-4 weeks"),
    "site_foreign_language": (("website",), "Tradurre il sito in inglese (e nella lingua dei mercati scelti)",
                              "Translate the site into English (and the target markets' languages)", "borsista",
                              "1-3 settimane", "1-3 weeks"),
    "online_catalogue": (("website",), "Pubblicare un catalogo online con prezzi e foto, in inglese",
                         "Publish an online catalogue with prices and photos, in English", "borsista",
                         "2-4 settimane", "2-4 weeks"),
    "social_accounts": ((), "Aprire e curare profili social aziendali (LinkedIn per B2B, Instagram per B2C)",
                        "Open and run business social accounts (LinkedIn for B2B, Instagram for B2C)", "borsista",
                        "1 settimana, poi 2-3 ore a settimana", "1 week, then 2-3 hours a week"),
    "web_analytics": (("website",), "Attivare la web analytics e il tracciamento delle conversioni",
                      "Set up web analytics and conversion tracking", "borsista", "1-2 giorni", "1-2 days"),
    "online_payments": (("online_catalogue",), "Attivare i pagamenti online (carte, PayPal, bonifico istantaneo)",
                        "Enable online payments (cards, PayPal, instant transfer)", "firm", "1-2 settimane",
                        "1-2 weeks"),
    "ships_abroad": ((), "Organizzare spedizioni di pacchi all'estero (corriere, resi, dogana extra-UE)",
                     "Organise parcel shipping abroad (courier, returns, non-EU customs)", "firm", "2-4 settimane",
                     "2-4 weeks"),
    "foreign_language_staff": ((), "Formare o assumere una persona che segua i clienti esteri in inglese",
                               "Train or hire someone to serve foreign customers in English", "firm", "1-3 mesi",
                               "1-3 months"),
    "crm_email": ((), "Raccogliere i contatti con consenso GDPR e avviare l'e-mail marketing",
                  "Collect GDPR-consented contacts and start e-mail marketing", "borsista", "1-2 settimane",
                  "1-2 weeks"),
    "sells_own_site": (("online_catalogue", "online_payments"), "Aprire l'e-shop sul proprio sito",
                       "Open the e-shop on the firm's own site", "firm", "3-6 settimane", "3-6 weeks"),
    "paid_ads": (("web_analytics",), "Avviare campagne pubblicitarie a pagamento mirate ai mercati scelti",
                 "Start paid ad campaigns targeting the chosen markets", "firm", "1 settimana + budget mensile",
                 "1 week + a monthly budget"),
    "sells_marketplaces": (("online_catalogue", "ships_abroad"), "Vendere su un marketplace", "Sell on a marketplace",
                           "firm", "2-6 settimane", "2-6 weeks"),
}
ORDER = list(STEPS)
OWNERS = {"firm": ("l'impresa", "the firm"), "borsista": ("il borsista con l'impresa", "the borsista with the firm"),
          "chamber": ("la Camera di commercio", "the Chamber of Commerce"), "ice": ("ICE-Agenzia", "ICE Agency"),
          "simest": ("SIMEST", "SIMEST"), "sace": ("SACE", "SACE"), "eu": ("Commissione europea", "European Commission")}
ESTIMATE = (" (stima)", " (estimate)")
MAX_MARKET_STEPS = 2    # product-market requirements of the top markets that lead the plan
MAX_SUPPORT_STEPS = 3   # support programmes at the end of the plan
EU_SINGLE_MARKET = frozenset({"AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
                              "HUN", "IRL", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN",
                              "ESP", "SWE"})


@dataclass(frozen=True)
class Step:
    id: str
    text_it: str
    text_en: str
    text: str
    channel_id: str | None = None
    market: str | None = None       # ISO3, for a step that one market requires (a registration, a label approval)
    source_url: str | None = None   # where the requirement or programme is stated
    owner: str = "firm"             # firm | borsista | chamber | ice | simest | sace | eu (see OWNERS)
    owner_label: str = ""
    effort: str = ""                # a rough range, in the reader's language
    unlocks: str = ""               # what it makes possible
    as_of: str | None = None        # date of the source, for requirements and programmes
    order: int = 0


def _with_prerequisites(cap: str, have: set[str], out: list[str]) -> None:
    for pre in STEPS[cap][0]:
        if pre not in have and pre not in out:
            _with_prerequisites(pre, have, out)
    if cap not in have and cap not in out:
        out.append(cap)


@lru_cache(maxsize=1)
def support_programmes() -> tuple[dict, ...]:
    """The curated programmes (ICE, SIMEST, SACE, Chambers, EU), each with eligibility, link and as-of."""
    return tuple(pd.read_csv(SUPPORT, dtype=str, keep_default_na=False).to_dict("records"))


def eligible_programmes(employees: int | None, level: int, customer: str, markets: list[str],
                        channels: list[dict]) -> list[dict]:
    """Programmes the firm is eligible for by what we know: size (SME programmes need fewer than 250
    persons employed, or an unknown size), maturity, customer type, non-EU markets, marketplace
    or e-shop channels among the recommended ones."""
    non_eu = any(m not in EU_SINGLE_MARKET for m in markets)
    types = {c.get("type") for c in channels}
    when_ok = {"always": True, "non_eu": non_eu, "b2b": customer in ("b2b", "both"),
               "marketplace": "marketplace" in types,
               "marketplace_or_eshop": bool({"marketplace", "own_eshop"} & types)}
    return [p for p, max_employees, max_maturity in _programme_limits()
            if not (max_employees is not None and employees is not None and employees > max_employees)
            and not (max_maturity is not None and level > max_maturity) and when_ok.get(p["when"], False)]


@lru_cache(maxsize=1)
def _programme_limits() -> tuple[tuple[dict, int | None, int | None], ...]:
    """Each programme with its size and maturity limits as numbers (None: no limit), read once."""
    return tuple((p, int(p["max_employees"]) if p["max_employees"] else None,
                  int(p["max_maturity"]) if p["max_maturity"] else None) for p in support_programmes())


def market_steps(market_rules: list[tuple[str, str, list[dict]]], lang: str) -> list[Step]:
    """One step per requirement of the best markets (registration, label approval, importer...),
    in market order: what must be done before a first sale there. ``market_rules``: (iso3, market
    name, the market's requirement warnings with ``step``, ``source_url``, ``as_of``) best market first."""
    en = lang == "en"
    out: list[Step] = []
    for iso3, name, rules in market_rules:
        for r in rules:
            text = f"{name}: {r['step']}"
            unlocks = f"first sale in {name}" if en else f"prima vendita in {name}"
            out.append(Step(f"market:{iso3}:{r['kind']}:{len(out)}", text, text, text, None, iso3, r.get("source_url"),
                            "firm", OWNERS["firm"][en], ("weeks to months" if en else "settimane o mesi") + ESTIMATE[en],
                            unlocks, r.get("as_of")))
            if len(out) >= MAX_MARKET_STEPS:
                return out
    return out


def next_steps(maturity, channels: list[dict], lang: str = "it", max_steps: int = 5,
               market_rules: list | None = None, employees: int | None = None, customer: str = "b2b",
               markets: list[str] | None = None, languages: tuple[str, ...] = ()) -> list[Step]:
    """The plan, in order: market requirements, capability steps, channel openings (together at most
    ``max_steps``), then the support programmes the firm is eligible for. ``channels`` are suggestion
    dicts (reachable, steps_to_reach, name, channel_id...). A firm whose ``languages`` (ISO 639-1)
    include one besides Italian is never told to hire foreign-language staff."""
    en = lang == "en"
    first = market_steps(market_rules or [], lang)
    speaks_foreign = any(code != "it" for code in languages)
    steps = first + _capability_steps(maturity, channels, lang, max_steps,
                                      speaks_foreign)[: max_steps - len(first)]
    steps += [_support_step(p["programme_id"], en) for p in
              eligible_programmes(employees, maturity.level, customer, markets or [], channels)[:MAX_SUPPORT_STEPS]]
    return [_numbered(s, i) for i, s in enumerate(steps, 1)]


@lru_cache(maxsize=256)  # steps are frozen: shared between plans
def _support_step(programme_id: str, en: bool) -> Step:
    p = next(p for p in support_programmes() if p["programme_id"] == programme_id)
    it = f"{p['name_it']}: {p['what_it_gives_it']}"
    en_text = f"{p['name_en']}: {p['what_it_gives_en']}"
    return Step(f"support:{p['programme_id']}", it, en_text, en_text if en else it, None, None, p["url"],
                p["owner"], OWNERS[p["owner"]][en], "", p["eligibility"], p["as_of"])


def _numbered(s: Step, order: int) -> Step:
    """``s`` with its place in the plan (positional: a copy through ``__dict__`` cost a third of the plan)."""
    return Step(s.id, s.text_it, s.text_en, s.text, s.channel_id, s.market, s.source_url, s.owner, s.owner_label,
                s.effort, s.unlocks, s.as_of, order)


@lru_cache(maxsize=1024)  # steps are frozen: the same capability step is shared between plans
def _cap_step(cap: str, lang: str, unlocks: str = "") -> Step:
    pre, it, en, owner, eff_it, eff_en = STEPS[cap]
    e = lang == "en"
    return Step(cap, it, en, en if e else it, owner=owner, owner_label=OWNERS[owner][e],
                effort=(eff_en if e else eff_it) + ESTIMATE[e], unlocks=unlocks)


def _capability_steps(maturity, channels: list[dict], lang: str, max_steps: int,
                      speaks_foreign: bool = False) -> list[Step]:
    e = lang == "en"
    answers = getattr(maturity, "answers", None) or {}
    have = {k for k, v in answers.items() if v}
    if not answers:  # only a level: assume nothing beyond what the level implies at minimum
        have = set(ORDER[: {1: 0, 2: 1, 3: 3, 4: 6}[maturity.level]])
    if speaks_foreign:  # the firm file says so: the questionnaire's "no" is about staff, the file about people
        have.add("foreign_language_staff")
    # the channels the plan opens: reachable ones first, never one two maturity levels above the firm
    focus = sorted((c for c in channels if c.get("min_maturity", 1) <= maturity.level + 1),
                   key=lambda c: not c.get("reachable", True))[:3]
    needed: list[str] = []
    unlocks: dict[str, list[str]] = {}
    for c in focus:
        name = c.get("name_en" if e else "name_it") or c["name"]
        for cap in c.get("steps_to_reach") or c.get("prerequisites", []):
            if cap in STEPS:
                _with_prerequisites(cap, have, needed)
                unlocks.setdefault(cap, []).append(name)
    if not needed and not channels:
        for cap in ORDER:
            _with_prerequisites(cap, have, needed)
    steps = [_cap_step(cap, lang, ", ".join(unlocks.get(cap, []))) for cap in needed]
    steps = steps[: max_steps - 1] if focus else steps[:max_steps]
    for c in focus:  # then open the best channels once these are done
        name = c.get("name_en" if e else "name_it") or c["name"]
        it = f"Aprire il canale {c.get('name_it') or c['name']} ({c['requirements_it']})"
        en = f"Open the {c.get('name_en') or c['name']} channel ({c['requirements_en']})"
        markets = c.get("markets") or []
        steps.append(Step(f"open:{c['channel_id']}", it, en, en if e else it, c["channel_id"], owner="firm",
                          owner_label=OWNERS["firm"][e], effort=c.get("setup_time_en" if e else "setup_time_it", ""),
                          unlocks=(("sales in " if e else "vendite in ") + ", ".join(markets)) if markets else name))
        if len(steps) >= max_steps:
            break
    while len(steps) < 3:  # always at least 3 concrete actions
        cap = next((x for x in ORDER if x not in have and x not in {s.id for s in steps}), None)
        if cap is None:
            break
        steps.append(_cap_step(cap, lang))
    return steps[:max_steps]

"""The recommender: markets and digital channels for one firm.

The firm's *product* comes first (:mod:`recommender.products`): its ATECO
class gives the product family, the end use (hence the default customer type
and demand mix) and the finest OECD ICIO 2022 sector. How a market's score is
made (see :mod:`recommender.recommend.score`)::

    score = 100 * (w_peers * peers + w_forecast * forecast + w_unrealised * unrealised
                   + w_evidence * evidence + w_product * product)

with the weights fitted on validation data at training time and read from
the model manifest (``score.weights``). ``peers`` and ``unrealised`` are
measured on the product's finest ICIO sector (C301 boats, not all transport),
``forecast`` on its harmonised sector (the forecast needs WIOD), ``evidence``
on districts making the same product family, ``product`` on public
destination lists of the product; every result says which sector or product
each figure is for (``figures_for``). The firm's web maturity does not
lower a market's score: it sets its *horizon*. Markets whose demandingness
(distance, customs, language, online buying, logistics) the firm's maturity
already covers are ``now`` ("mercati per iniziare"); the others are
``prepare`` ("mercati da preparare") with the maturity level they take.

Embargoed markets and markets under an import ban for the product (alcohol,
pork, animal-health bans: ``product_rules``) never appear and are listed as
excluded with the rule, its source and date; a registration or monopoly that
gates a first sale moves the market to ``prepare`` with its step (and the
step leads the next steps); partially restricted markets carry a warning;
markets the firm already serves are marked ``expand``; excluded ones are
removed. Figures that are model estimates (household and investment flows of
2022, unrealised potential, re-export hubs) are flagged in ``estimates`` and
in the reasons.
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np


from recommender import columns as C
from recommender.channels import (MaturityKey, channel_exclusions, channel_fit, channels_for_market, overall_channels,
                                  tally_channels, top_channel_ids)
from recommender.data import load_table
from recommender.district_evidence import EvidenceIndex, OwnRowIndex, destinations, evidence_given
from recommender.errors import FieldError, InvalidInput, ModelError
from recommender.maturity import LABELS as LEVEL_LABELS
from recommender.model.artifact import LoadedModel
from recommender.money import EuroRates
from recommender.next_steps import next_steps
from recommender.outcomes.exploration import choose_explored, exploration_slots
from recommender.outcomes.impressions import locality, size_class
from recommender.outcomes.model import SHARED_VIEW, channel_base, channel_prior_base
from recommender.outcomes.registry_lifts import RegistryLifts
from recommender.outcomes.serving import Lift, OutcomeAdjuster
from recommender.recommend import reasons as R
from recommender.recommend.arguments import check_arguments
from recommender.recommend.readiness import demand_parts, demandingness, horizon, required_level
from recommender.recommend.profile import FirmProfile
from recommender.lookups import districts_for_province
from recommender.products import ProductProfile, product_for, rules_for
from recommender.products.evidence import ProductEvidenceIndex
from recommender.recommend.score import (CUSTOMER_DEMAND_TYPES, PARTS, MarketPartsIndex, blend, market_parts,
                                         product_demand_weights)
from recommender.sectors import FINE_SECTOR_NAMES, MODEL_SECTOR_NAMES
from recommender.shared import SharedList

#: the fields of one market of :meth:`Recommender.recommend_compact`, in order
COMPACT_FIELDS = (C.RANK, C.MARKET, C.MARKET_NAME, C.SCORE, *PARTS, C.HORIZON, C.NEEDS_LEVEL, C.STATUS,
                  C.RESTRICTION, C.CHANNELS)


class _MarketFixed(NamedTuple):
    """The parts of a market's entry in :meth:`Recommender.recommend` that depend only on the product,
    customer type, district evidence and language (not on the firm's maturity, languages, markets,
    rank or outcome lifts): worked out once per key and shared between answers (read, never change)."""
    names: dict
    gated: bool           # a registration or monopoly gates the first sale: always "prepare"
    parts: dict           # the score's parts and Italy's trade figures (demandingness: _Readiness)
    estimates: list
    reasons_head: tuple   # the model's reasons, then a source saying the market fell
    rules_said: tuple     # the rules that gate a first sale, in one sentence (or none)
    district_evidence: list
    product_evidence: list
    figures_for: dict
    channels_excluded: list
    warnings: list


class _Readiness(NamedTuple):
    """What a market asks of a firm with these languages and this maturity (shared between answers)."""
    horizon: str          # now | prepare
    needs_level: int
    parts: dict           # demandingness and its parts
    reason: str           # when to start, and why


class _Selection(NamedTuple):
    sector: str       # the product's harmonised (model) sector: outcomes and channels are learned on it
    product: ProductProfile
    customer: str
    own: frozenset
    ranked: dict
    demanding: dict
    dparts: dict
    chosen: list      # [(iso3, restriction or None)], best first, at most k
    embargoed: tuple  # ((iso3, restriction), ...)
    view: int | None  # the outcome model's view (the Chamber's own or the shared one), None without outcomes
    lifts: dict       # iso3 -> outcome Lift, for markets with recorded outcomes
    reweighting: dict  # iso3 -> calibrated chance of a sale over exp(a)·prior (OutcomeAdjuster.reweighting; {} if none)
    explored: frozenset  # markets in exploration slots that the plain ranking would not have shown
    banned: tuple     # ((iso3, ProductRule), ...): markets an import ban closes to the product
    registry: dict    # iso3 -> RegistryEvidence: where registered firms of the product sell ({} if none)


def product_of(profile: FirmProfile) -> ProductProfile | None:
    """The firm's product (recommender.products): from its ATECO code, and where a class holds two
    products, its district (or the districts of its province); None for services."""
    if profile.ateco.model_sector is None:
        return None
    district = profile.district.slug if profile.district is not None else None
    around = (tuple(d.slug for d in districts_for_province(profile.province.sigla))
              if district is None and profile.province is not None else ())
    return product_for(profile.ateco.ateco_code, profile.ateco.edition, district, around)


def _place(profile: FirmProfile) -> tuple[str, ProductProfile | None, str | None, str | None]:
    """(division, product, province sigla, district slug): what the ranking takes of the firm's place."""
    return (profile.ateco.division, product_of(profile),
            profile.province.sigla if profile.province is not None else None,
            profile.district.slug if profile.district is not None else None)


STATUSES = ("new", "expand")
MAX_CITES = 3  # product sources quoted per market (the best ones: newest, ranked first)
SHOWN_CHANNELS = 3  # channels shown per market
# the smallest firm of a Eurostat size class: channels that need a minimum size are checked against it
SIZE_FLOOR = {"1-9": 1, "10-49": 10, "50-249": 50, "GE250": 250}


def _with_registry(parts: dict, held) -> dict:
    """A market's score parts plus the log of its registry factor (0 without one): what the outcome
    model's re-weighting reads (recommender.outcomes.trials.REWEIGHED_PARTS)."""
    return {**parts, C.REGISTRY_PART: math.log(held.factor) if held is not None else 0.0}


def _logged_prior(row: dict, held) -> float:
    """The prior score an impression logs for the market: the score times its registry factor."""
    return float(row["score"]) * (held.factor if held is not None else 1.0)


def market_status(already_served: bool) -> str:
    """"expand" for a market the firm already serves, else "new"."""
    return STATUSES[bool(already_served)]


def market_status_codes(already_served: np.ndarray) -> np.ndarray:
    """:func:`market_status` for many markets at once, as indices into :data:`STATUSES`."""
    return already_served.astype(np.int8)


def _aligned(value, markets: list[str]) -> np.ndarray:
    """A value per iso3 (a float Series of evidence, unique index, no NaN) on ``markets``, 0 where it
    has none: ``value.reindex(markets).fillna(0.0)`` without building an index."""
    found = value.to_dict()
    return np.array([found.get(iso3, 0.0) for iso3 in markets], float)


def _yes(maturity) -> frozenset | None:
    """The capabilities answered yes (None when only a level was given)."""
    return frozenset(q for q, v in maturity.answers.items() if v) if maturity.answers else None


class Recommender:
    """Recommendations from a verified :class:`LoadedModel` (format 2) and the data tables.

    Construct once per process; then :meth:`recommend` is pure and thread-safe.
    """

    def __init__(self, model: LoadedModel, data_dir=None, cache_size: int = 4096):
        if model.format < 2:
            raise ModelError(f"model {model.version} is format {model.format}: the recommender needs a market "
                             "ranking v2 model (python -m recommender.train)")
        self.model = model
        self.data_dir = data_dir
        self.countries = load_table("countries", data_dir).set_index("iso3")
        restricted = load_table("restricted_markets", data_dir)
        self.restricted = {r["iso3"]: r for r in restricted.to_dict("records")}
        self._embargoed = frozenset(iso3 for iso3, r in self.restricted.items() if r["level"] == "embargo")
        score = model.manifest["score"]
        # a part the model was trained without (older versions: no product evidence) weighs 0
        self.weights = {p: float(score["weights"].get(p, 0.0)) for p in PARTS}
        self.mix = model.manifest["serving"]["demand_mix"]
        self.vintages = model.manifest["serving"]["vintages"]
        self.serving = model.serving
        self.static = self.countries.to_dict("index")
        # amounts said in USD with their euro value at the ECB's yearly rate (recommender.money)
        self.rates = EuroRates.from_table(load_table("exchange_rates", data_dir))
        # the parts of every answer that are the same for all firms (shared: read, never change)
        self._exchange_rate = self.rates.to_dict(R.FLOWS_YEAR)
        self._scoring = {"formula": "score = 100 * (" + " + ".join(f"{self.weights[p]:.3f}*{p}" for p in PARTS) + ")",
                         "weights": self.weights, "fitted_on": score["fitted_on"]}
        self.market_index = sorted(set(model.serving[C.IMPORTER]))
        self._demandingness = lru_cache(maxsize=64)(self._demandingness_uncached)
        self._ranked = lru_cache(maxsize=cache_size)(self._ranked_uncached)
        self._evidence = lru_cache(maxsize=cache_size)(self._evidence_uncached)
        self._own = lru_cache(maxsize=cache_size)(self._own_uncached)
        self._product_evidence = lru_cache(maxsize=1024)(self._product_evidence_uncached)
        self._base = lru_cache(maxsize=1024)(self._base_uncached)
        # a market's reasons for a (sector, customer type, district evidence): computed once, then shared
        self._explained = lru_cache(maxsize=cache_size * 16)(self._explained_uncached)
        self._needs = lru_cache(maxsize=64)(self._needs_uncached)
        self._product_said = lru_cache(maxsize=cache_size)(self._product_said_uncached)
        self._bans = lru_cache(maxsize=256)(self._bans_uncached)
        self._screened_prior = lru_cache(maxsize=cache_size)(self._screened_prior_uncached)
        self._demand_weights = lru_cache(maxsize=cache_size)(self.demand_weights)
        # a market's entry but for the firm's maturity, languages, rank, score, outcome lifts and status
        self._market_fixed = lru_cache(maxsize=cache_size * 4)(self._market_fixed_uncached)
        self._readiness = lru_cache(maxsize=4096)(self._readiness_uncached)
        # bounded by the serving table (sectors x demand types x markets), hence no size limit
        self._strongest = lru_cache(maxsize=None)(self._strongest_uncached)
        self._destinations = destinations(data_dir)
        self._own_index = OwnRowIndex(self._destinations)
        # the per-key parts a firm's first request would otherwise compute through pandas (9-26 ms for a
        # sector's parts, 3-15 ms for district evidence, ~2 ms for product evidence), laid out once here
        # so that a key seen for the first time costs well under a millisecond (issue #21: p99 <= 2 ms)
        self._parts_index = MarketPartsIndex(self.serving)
        self._evidence_index = EvidenceIndex.of(self._destinations)
        self._product_index = ProductEvidenceIndex(data_dir)
        # outcomes: Eurostat e-sales by size class (the channel prior) and, once learned, the lifts
        self.channel_base = channel_base(load_table("esales", data_dir), self.countries.reset_index())
        learned = model.manifest.get("outcomes")
        self.outcomes = (OutcomeAdjuster(model.outcomes, learned["params"], learned["version"],
                                         learned["learned_from"])
                         if learned is not None and model.outcomes is not None else None)
        registry = (learned or {}).get("params", {}).get("registry")
        self.registry = (RegistryLifts(model.outcomes, {"read_at": learned["trained_at"]} | registry
                                       | {"as_of": learned["trained_at"][:10]})
                         if registry is not None and learned is not None and model.outcomes is not None else None)
        self._outcome_caches(cache_size)
        self._rows = {key: q.set_index(C.IMPORTER).to_dict("index")
                      for key, q in self.serving.groupby([C.SECTOR, C.DEMAND])}
        self.sectors = frozenset(self.serving[C.SECTOR])

    # -- public --------------------------------------------------------------
    def parts_sector(self, product: ProductProfile) -> str:
        """The sector peers, unrealised potential and buyers' imports are measured on: the product's
        finest ICIO 2022 sector where the model has it, else its harmonised sector."""
        return product.icio_sector if product.icio_sector in self.sectors else product.model_sector

    def with_outcomes(self, adjuster: OutcomeAdjuster | None, registry: RegistryLifts | None = None) -> "Recommender":
        """A copy serving the same market model with other outcome lifts and registry
        evidence (the simulator and the replay evaluation use it; the service loads a version)."""
        other = copy.copy(self)
        other.outcomes = adjuster
        other.registry = registry
        other._outcome_caches(4096)
        return other

    def _outcome_caches(self, cache_size: int) -> None:
        """The caches whose values depend on the outcome lifts."""
        self._adjusted = lru_cache(maxsize=cache_size)(self._adjusted_uncached)
        self._registry_factors = lru_cache(maxsize=cache_size)(self._registry_factors_uncached)
        self._channels = lru_cache(maxsize=cache_size * 16)(self._channels_uncached)
        self._shown_channels = lru_cache(maxsize=cache_size * 4)(self._shown_channels_uncached)
        self._bounds = lru_cache(maxsize=cache_size)(self._bounds_uncached)
        self._ranking = lru_cache(maxsize=cache_size * 4)(self._ranking_uncached)

    def demand_weights(self, product: ProductProfile, customer_type: str) -> dict[str, float]:
        """The product's demand mix (end use, BEC) over the demand types the customer type stands for;
        Italy's 2022 mix in its sector where the product has none of them."""
        return product_demand_weights(product.demand_mix, customer_type, self.mix.get(self.parts_sector(product), {}))

    def recommend(self, profile: FirmProfile, k: int = 10, lang: str = "it", tenant: int | None = None,
                  explore: float = 0.0, registered: frozenset | None = None) -> dict:
        """The full recommendation for one firm, as a JSON-serialisable dict.

        ``tenant`` is the Chamber asking (its own outcomes and the k-anonymous
        aggregates of other Chambers adjust the ranking; None = only the
        aggregates); ``explore`` the share of the ``k`` slots (0 to 0.3) given to
        markets whose outcomes are still uncertain (see recommender.outcomes);
        ``registered`` the firm's own row in the Chambers' registries (the markets it
        serves: :func:`recommender.outcomes.registry.served_markets`) when the registry
        evidence counted it, so that it is left out of its own ranking (None: not counted)."""
        m = profile.maturity
        sel = self._select(*_place(profile), profile.customer_type, profile.languages, profile.excluded_markets,
                           k, lang, tenant, explore, registered)
        sector, product, customer, own, yes = sel.sector, sel.product, sel.customer, sel.own, _yes(m)
        district = profile.district.slug if profile.district is not None else None
        size = size_class(profile.employees)
        adjuster, view = self.outcomes, sel.view
        level_it, level_en = LEVEL_LABELS[m.level]

        excluded = [{"iso3": iso3, "reason": "embargo",
                     "note": restriction["measures_it" if lang == "it" else "measures_en"]}
                    for iso3, restriction in sel.embargoed]
        excluded += [{"iso3": iso3, "reason": "import_ban", "note": rule.rule_en if lang == "en" else rule.rule_it,
                      "rule": rule.to_dict(lang)} for iso3, rule in sel.banned]
        # the firm's own exclusions, said back (a typed "Inghilterra" is the United Kingdom: the reader sees it)
        excluded += [{"iso3": iso3, "reason": "excluded_by_firm",
                      "note": "excluded in the firm's profile" if lang == "en" else "escluso nel profilo dell'impresa"}
                     for iso3 in profile.excluded_markets]
        markets: list[dict] = []
        for iso3, _restriction in sel.chosen:
            row = sel.ranked[iso3]
            fixed = self._market_fixed(product, customer, own, lang, iso3)
            ready = self._readiness(profile.languages, m.level, lang, iso3)
            reasons = list(fixed.reasons_head)
            lift, reweighted, held = sel.lifts.get(iso3), sel.reweighting.get(iso3), sel.registry.get(iso3)
            if held is not None:
                assert self.registry is not None  # registry evidence comes from it
                said = R.registry_reason(held, district is not None, self.registry.params["as_of"])
                if said is not None:
                    reasons.append(said[lang == "en"])
            if lift is not None and lift.evidence:
                reasons.append(R.outcome_reason(lift, district is not None)[lang == "en"])
            if reweighted is not None and adjuster is not None:
                # what δ does to the chance of a sale, said as the lift in outcome_reason; the rest of
                # the factor is the calibration's own shape
                parts, effect = _with_registry(row, held), 1.0
                if sector in adjuster.part_weights:
                    effect = adjuster.part_effect(sector, parts, _logged_prior(row, held))
                    said = R.reweighting_reason(effect, adjuster.part_weights[sector], parts)
                    if said is not None:
                        reasons.append(said[lang == "en"])
                if adjuster.calibration is not None:
                    said = R.calibration_reason(reweighted / effect)
                    if said is not None:
                        reasons.append(said[lang == "en"])
            if iso3 in sel.explored:
                reasons.append(R.EXPLORED_REASON[lang == "en"])
            reasons.append(ready.reason)
            reasons += fixed.rules_said
            markets.append({
                **fixed.names,
                "rank": len(markets) + 1,
                "score": round(self._learned_score(float(row["score"]), lift, reweighted or 1.0,
                                                   held.factor if held is not None else 1.0), 2),
                "horizon": "prepare" if fixed.gated else ready.horizon,
                "needs_level": ready.needs_level,
                "parts": fixed.parts | ready.parts,
                "outcome": ({"prior_score": round(float(row["score"]), 2),
                             "registry": held.to_dict() if held is not None else None,
                             "reweighting": round(reweighted, 4) if reweighted is not None else None,
                             "lift": round(lift.value, 4) if lift is not None else 1.0,
                             "evidence": [e.to_dict() for e in lift.evidence] if lift is not None else []}
                            if lift is not None or reweighted is not None or held is not None else None),
                "explored": iso3 in sel.explored,
                "estimates": fixed.estimates,
                "reasons": reasons,
                "district_evidence": fixed.district_evidence,
                "product_evidence": fixed.product_evidence,
                "figures_for": fixed.figures_for,
                "channels": self._shown_channels(iso3, product, customer, m.level, yes, view, size),
                "channels_excluded": fixed.channels_excluded,
                "status": market_status(iso3 in profile.current_markets),
                "warnings": fixed.warnings,
            })

        if adjuster is not None and view is not None and adjuster.has_channel_cells(view):
            top_channels = tally_channels({mk["iso3"]: self._channels(mk["iso3"], product, customer, m.level, yes,
                                                                      view, size) for mk in markets})
        else:
            top_channels = overall_channels([mk["iso3"] for mk in markets], channel_fit(product), customer, m,
                                            employees=SIZE_FLOOR.get(size))
        steps = next_steps(m, top_channels, lang=lang, market_rules=[
            (mk["iso3"], mk["name_en" if lang == "en" else "name_it"], [w for w in mk["warnings"] if w.get("step")])
            for mk in markets], employees=profile.employees, customer=customer,
            markets=[mk["iso3"] for mk in markets], languages=profile.languages)
        return {
            "firm": profile.to_dict() | {"customer_type": customer,
                                         "customer_type_source": "input" if profile.customer_type else "product default"},
            "product": self._product_said(product, lang),
            "maturity": {"level": m.level, "score": m.score, "label": level_it if lang == "it" else level_en,
                         "missing_answers": list(m.missing), "languages_given": bool(profile.languages)},
            "demand_weights": self._demand_weights(product, customer),
            "markets": markets,
            "horizons": {h: [mk["iso3"] for mk in markets if mk["horizon"] == h] for h in ("now", "prepare")},
            "excluded_markets": excluded,
            "channels": top_channels,
            "next_steps": [dict(vars(s)) for s in steps],
            "scoring": self._scoring,
            "model_version": self.model.version,
            "outcomes": ({"version": adjuster.version, "learned_from": adjuster.learned_from,
                          "view": "chamber" if view != SHARED_VIEW else "shared", "explore_share": explore}
                         if adjuster is not None else {"version": None, "learned_from": None,
                                                       "view": None, "explore_share": explore}),
            "data_vintages": self.vintages,
            "exchange_rate": self._exchange_rate,
            "lang": lang,
        }

    def recommend_compact(self, profile: FirmProfile, k: int = 10, lang: str = "it",
                          tenant: int | None = None) -> tuple[tuple, ...]:
        """The same k markets as :meth:`recommend`, in the same order with the same
        scores, parts, horizons, statuses and channels, without reasons, estimates
        or next steps: one tuple per market, fields as :data:`COMPACT_FIELDS`.
        Made of the pieces registry scoring (recommender.batch) puts together
        for many firms at once: :meth:`ranking`, :meth:`needs_levels`,
        :func:`horizon`, :func:`market_status` and :meth:`channel_ids`.
        Registry evidence and market outcome lifts apply in ``tenant``'s view (the
        Chamber running the job; None: the shared, k-anonymous view), channel
        lifts in the shared view, without exploration and without leaving any
        registered firm's own row out (a file's rows are not registered firms)."""
        needs = self.needs_levels(profile.languages)
        level = profile.maturity.level
        gated = self.gated_markets(profile)
        return tuple((rank, iso3, name, score, *parts,
                      "prepare" if iso3 in gated else horizon(needs[iso3], level), needs[iso3],
                      market_status(iso3 in profile.current_markets), restriction,
                      ";".join(self.channel_ids(iso3, profile)))
                     for rank, iso3, name, score, *parts, restriction in self.ranking(profile, k, lang, tenant))

    def ranking(self, profile: FirmProfile, k: int = 10, lang: str = "it", tenant: int | None = None
                ) -> tuple[tuple, ...]:
        """The firm's k markets, best first: (rank, iso3, name in ``lang``, score,
        *parts, restriction level or ""); remembered per (sector, district
        evidence, customer type, excluded markets, Chamber), what the order depends on."""
        return self._ranking(*_place(profile), profile.customer_type, profile.excluded_markets, k, lang, tenant)

    def _prior_rows(self, profile: FirmProfile) -> dict:
        """iso3 -> the market model's row (score, parts, figures) for the firm's product and place,
        every market of the ranking, before registries and outcomes ({} for a firm without goods)."""
        division, product, province, district = _place(profile)
        if product is None:
            return {}
        customer = profile.customer_type or product.default_customer
        return self._ranked(product, customer, self._own(division, province, district, product.family))[1]

    def prior_scores(self, profile: FirmProfile) -> dict[str, float]:
        """iso3 -> the market model's score for the firm's product and place, every market of the
        ranking, before registries and outcomes (what the registry evidence is measured against)."""
        return {iso3: float(row["score"]) for iso3, row in self._prior_rows(profile).items()}

    def prior_parts(self, profile: FirmProfile) -> dict[str, dict[str, float]]:
        """iso3 -> the market model's score and its parts (:data:`PARTS`), as :meth:`prior_scores`
        (the simulation's feature-limited oracle reads them)."""
        return {iso3: {p: float(row[p]) for p in ("score", *PARTS)} for iso3, row in self._prior_rows(profile).items()}

    def gated_markets(self, profile: FirmProfile) -> frozenset[str]:
        """Markets where a requirement or monopoly gates the first sale of the firm's product: always
        "prepare" (recommender.products.rules)."""
        product = product_of(profile)
        if product is None:
            return frozenset()
        return frozenset(iso3 for iso3, rs in rules_for(product.family, product.family_group).items()
                         if any(not r.excludes for r in rs))

    def needs_levels(self, languages: tuple[str, ...]) -> dict[str, int]:
        """iso3 -> the web-maturity level each market needs of a firm speaking ``languages``."""
        return self._needs(tuple(languages))

    def channel_ids(self, iso3: str, profile: FirmProfile) -> tuple[str, ...]:
        """The market's top 3 channel ids for the firm, best first (as in :meth:`recommend`)."""
        product = product_of(profile)
        assert product is not None  # services have no ranking (InvalidInput), hence no channels
        customer = profile.customer_type or product.default_customer
        return self.channel_ids_for(iso3, product, customer, profile.maturity.level,
                                    _yes(profile.maturity), size_class(profile.employees))

    def channel_ids_for(self, iso3: str, product: ProductProfile, customer: str, level: int,
                        yes: frozenset | None, size: str = "unknown"):
        if self.outcomes is not None and self.outcomes.has_channel_cells(SHARED_VIEW):
            return tuple(c["channel_id"] for c in self._channels(iso3, product, customer, level, yes, SHARED_VIEW,
                                                                  size)[:3])
        return top_channel_ids(iso3, channel_fit(product), customer, level, yes, 3, SIZE_FLOOR.get(size))

    def channel_key(self, profile: FirmProfile) -> tuple:
        """What a firm's channels depend on besides the market: (product, customer type, level,
        yes answers, size class: learned channel outcomes and minimum sizes differ by size)."""
        product = product_of(profile)
        customer = profile.customer_type
        if not customer:
            assert product is not None  # services have no default customer type
            customer = product.default_customer
        return (product, customer, profile.maturity.level,
                _yes(profile.maturity), size_class(profile.employees))

    def ranking_key(self, profile: FirmProfile) -> tuple:
        """What :meth:`ranking` depends on (for callers that keep rankings apart, per k and lang)."""
        return (*_place(profile), profile.customer_type, profile.excluded_markets)

    # -- internals -----------------------------------------------------------
    check_arguments = staticmethod(check_arguments)  # the rule lives in recommender.recommend.arguments

    def _select(self, division: str, product: ProductProfile | None, province: str | None, district: str | None,
                customer_type: str | None, languages: tuple, excluded: tuple, k: int, lang: str,
                tenant: int | None = None, explore: float = 0.0, registered: frozenset | None = None) -> _Selection:
        """The firm's k markets, best first (excluded and embargoed ones left out; re-ranked by
        the outcome lifts of the caller's view; the last slots to exploration when asked),
        and every embargoed market of the ranking: what both results show."""
        self.check_arguments(k, lang)
        try:
            n_explore = exploration_slots(k, explore)
        except (TypeError, ValueError):
            raise InvalidInput([FieldError("explore", "must be a number from 0 to 0.3 (share of the k slots)",
                                           value=explore)]) from None
        if product is None:
            raise InvalidInput([FieldError(
                "ateco", "services are not covered: the trade model ranks markets for goods "
                         "(agriculture, mining, manufacturing, ATECO 01-33)", value=division)])
        sector = product.model_sector
        customer = customer_type or product.default_customer
        own = self._own(division, province, district, product.family)
        order, ranked = self._ranked(product, customer, own)
        demanding, dparts = self._demandingness(languages)
        adjuster = self.outcomes
        view = adjuster.view_of(tenant) if adjuster is not None else None
        loc = locality(district, province)
        lifts: dict[str, Lift] = {}
        reweighting: dict[str, float] = {}
        registry: dict = {}
        rview = self.registry.view_of(tenant, product.family) if self.registry is not None else None
        if rview is not None and self.registry is not None and self.registry.covers(rview, product.family):
            registry = self._registry_factors(product, customer, own, rview, loc, registered)
        if (adjuster is not None and view is not None and adjuster.has_market_cells(view, sector)) or registry:
            order, lifts, reweighting = self._adjusted(product, customer, own, view, loc, rview, registered)
            embargoed, banned, eligible = self._screened(order, self._bans(product.family, product.family_group),
                                                         excluded)
        else:  # the market model's own order: screened once per key
            embargoed, banned, eligible = self._screened_prior(product, customer, own, excluded)
        explored: frozenset[str]
        picked, explored = list(eligible[:k]), frozenset()
        if n_explore:
            head = list(eligible[:k - n_explore])
            bounds, untried = self._bounds(view, sector, loc) if adjuster is not None else ({}, 1.0)
            beta = adjuster.beta if adjuster is not None else 1.0
            candidates = [(iso3, self._learned_score(float(ranked[iso3]["score"]), None, reweighting.get(iso3, 1.0),
                                                     registry[iso3].factor if iso3 in registry else 1.0),
                           bounds.get(iso3, untried) ** (1.0 / beta))
                          for iso3 in eligible[k - n_explore:]]
            picks = choose_explored(candidates, n_explore)
            picked, explored = head + picks, frozenset(picks) - frozenset(eligible[:k])
        chosen = [(iso3, self.restricted.get(iso3)) for iso3 in picked]
        return _Selection(sector, product, customer, own, ranked, demanding, dparts, chosen, embargoed, view, lifts,
                          reweighting, explored, banned, registry)

    def _bans_uncached(self, family: str, group: str) -> dict:
        """iso3 -> the rule that bars the product family there (recommender.products.rules)."""
        return {iso3: next(r for r in rs if r.excludes)
                for iso3, rs in rules_for(family, group).items() if any(r.excludes for r in rs)}

    def _screened(self, order: list[str], bans: dict, excluded: tuple) -> tuple[tuple, tuple, tuple]:
        """``order`` without the firm's exclusions, split in the ranking's order into embargoed
        markets (iso3, restriction), banned ones (iso3, rule) and the eligible rest (iso3)."""
        embargoed = tuple((iso3, self.restricted[iso3]) for iso3 in order
                          if iso3 in self._embargoed and iso3 not in excluded)
        banned = tuple((iso3, bans[iso3]) for iso3 in order
                       if iso3 in bans and iso3 not in self._embargoed and iso3 not in excluded)
        skip = self._embargoed.union(bans, excluded)
        return embargoed, banned, tuple(iso3 for iso3 in order if iso3 not in skip)

    def _screened_prior_uncached(self, product: ProductProfile, customer: str, own: frozenset[int],
                                 excluded: tuple) -> tuple[tuple, tuple, tuple]:
        return self._screened(self._ranked(product, customer, own)[0], self._bans(product.family,
                                                                                  product.family_group), excluded)

    def _ranking_uncached(self, division, product, province, district, customer_type, excluded, k,
                          lang, tenant=None) -> tuple[tuple, ...]:
        sel = self._select(division, product, province, district, customer_type, (), excluded, k, lang, tenant)
        name = "name_it" if lang == "it" else "name_en"
        return tuple((rank, iso3, self.static[iso3][name],
                      round(self._learned_score(float(sel.ranked[iso3]["score"]), sel.lifts.get(iso3),
                                                sel.reweighting.get(iso3, 1.0),
                                                sel.registry[iso3].factor if iso3 in sel.registry else 1.0), 2),
                      *(round(float(sel.ranked[iso3][p]), 4) for p in PARTS),
                      restriction["level"] if restriction else "")
                     for rank, (iso3, restriction) in enumerate(sel.chosen, 1))

    def _bounds_uncached(self, view, sector, loc):
        return self.outcomes.exploration_bounds(view, sector, loc)

    def _learned_score(self, prior: float, lift, reweighting: float = 1.0, registry: float = 1.0) -> float:
        """The score after registries and outcomes: prior × registry factor × (re-weighting ×
        lift)^(1/β), so that the order is the model's expected success (the calibration on the
        logit scale with the sector's re-weighted parts, times the lift: see
        :meth:`~recommender.outcomes.serving.OutcomeAdjuster.reweighting`; β is 1 then, and
        the Poisson calibration's for versions fitted before it; the registry factor is
        λ^(1/β_registry), see recommender.outcomes.registry). Trials are measured against prior ×
        registry factor (what the impression logs as prior)."""
        if lift is None and reweighting == 1.0:
            return prior * registry
        value = reweighting * (lift.value if lift is not None else 1.0)
        assert self.outcomes is not None  # lifts and re-weighting come from it
        return prior * registry * value ** (1.0 / self.outcomes.beta)

    def _registry_factors_uncached(self, product, customer, own, rview, loc, registered) -> dict:
        """iso3 -> RegistryEvidence for the product's family in the view and locality, the firm's own
        registry row (``registered``: its markets) left out."""
        assert self.registry is not None  # called for a view of it only
        mine = None
        if registered is not None:
            _, ranked = self._ranked(product, customer, own)
            markets = list(ranked)
            expected = self.registry.expected([ranked[m]["score"] for m in markets])
            mine = {"markets": frozenset(registered), "expected": dict(zip(markets, expected.tolist()))}
        return self.registry.factors(rview, product.family, loc, mine)

    def _adjusted_uncached(self, product, customer, own, view, loc, rview=None,
                           registered=None) -> tuple[list[str], dict, dict]:
        """Market order after registries and outcomes (prior score times the registry factor,
        re-weighted, times the lift), the lifts and the re-weighting factors."""
        sector = product.model_sector
        order, ranked = self._ranked(product, customer, own)
        adjuster = self.outcomes
        lifts = adjuster.market_lifts(view, sector, loc) if adjuster is not None else {}
        registry = (self._registry_factors(product, customer, own, rview, loc, registered)
                    if rview is not None and self.registry is not None and self.registry.covers(rview, product.family)
                    else {})
        reweighting = ({iso3: adjuster.reweighting(sector, _with_registry(ranked[iso3], registry.get(iso3)),
                                                   _logged_prior(ranked[iso3], registry.get(iso3)))
                        for iso3 in order} if adjuster is not None and adjuster.reweighs(view, sector) else {})
        key = {iso3: (-self._learned_score(ranked[iso3]["score"], lifts.get(iso3), reweighting.get(iso3, 1.0),
                                           registry[iso3].factor if iso3 in registry else 1.0),
                      -ranked[iso3]["current_musd"], i) for i, iso3 in enumerate(order)}
        return sorted(order, key=key.__getitem__), lifts, reweighting

    def _channels_uncached(self, iso3, product, customer, level, yes, view, size) -> tuple[dict, ...]:
        """The eligible channels for the market and product, best first: the rule score (prior) times
        the learned lift of (channel, market, sector, maturity level, size class), if any. All of them
        where learned channel lifts can re-order them (the tally of top channels reads them all); the
        first :data:`SHOWN_CHANNELS` otherwise, the only ones any caller reads then (the rule order
        stands, and building the rest was a third of a cold recommendation's time)."""
        sector = product.model_sector
        learned = self.outcomes is not None and view is not None and self.outcomes.has_channel_cells(view)
        rules = channels_for_market(iso3, channel_fit(product), customer, MaturityKey(level, yes),
                                    k=None if learned else SHOWN_CHANNELS, employees=SIZE_FLOOR.get(size))
        base = channel_prior_base(self.channel_base, size, iso3)
        out = []
        for c in rules:
            lift = (self.outcomes.channel_lift(view, c["channel_id"], iso3, sector, level, size)
                    if self.outcomes is not None else None)
            value = lift.value if lift is not None else 1.0
            out.append(c | {"score": round(c["score"] * value, 3),
                            "prior": {"rule_score": c["score"], "eurostat_share": round(base, 4)},
                            "lift": round(value, 4),
                            "learned": ([e.to_dict() for e in lift.evidence] if lift is not None and lift.evidence
                                        else None)})
        if self.outcomes is not None:
            out.sort(key=lambda d: (-d["score"], d["channel_id"]))
        return tuple(out)

    def _product_said_uncached(self, product: ProductProfile, lang: str) -> dict:
        """The answer's ``product``: the profile and the sectors its parts are measured on (shared)."""
        parts_sector = self.parts_sector(product)
        return product.to_dict() | {
            "parts_sector": parts_sector, "parts_sector_name": self._sector_name(parts_sector, lang),
            "forecast_sector": product.model_sector,
            "forecast_sector_name": self._sector_name(product.model_sector, lang),
            "evidence_key": self._product_evidence(product.evidence_keys)[2]}

    def _shown_channels_uncached(self, iso3: str, product: ProductProfile, customer: str, level: int,
                                 yes: frozenset | None, view, size: str) -> SharedList:
        """The market's channels as the answer shows them (the best SHOWN_CHANNELS), shared."""
        return SharedList(self._channels(iso3, product, customer, level, yes, view, size)[:SHOWN_CHANNELS])

    def _needs_uncached(self, languages: tuple[str, ...]) -> dict[str, int]:
        return {iso3: required_level(d) for iso3, d in self._demandingness(languages)[0].items()}

    def _own_uncached(self, division, province, district, family) -> frozenset[int]:
        """Row ids of the firm's own district reports on its product (cache key of the evidence)."""
        return self._own_index.ids(division, province, district, family)

    def _evidence_uncached(self, product: ProductProfile, own: frozenset[int]):
        """:func:`evidence_given` for the product and the firm's own rows (from the index where it has the table)."""
        if self._evidence_index is not None:
            return self._evidence_index.given(product.model_sector, own, product.family)
        mine = self._destinations.loc[sorted(own)]
        return evidence_given(self._destinations, product.model_sector, mine, product.family)

    def _product_evidence_uncached(self, keys: tuple[str, ...]):
        return self._product_index.evidence(keys)

    def _base_uncached(self, sector: str, customer: str, mix: tuple) -> tuple[list[str], dict[str, np.ndarray]]:
        """The parts that depend only on (sector, customer type, demand mix), shared by many products:
        (markets, :func:`market_parts`' columns as arrays), from the index where it has the sector."""
        types = CUSTOMER_DEMAND_TYPES[customer]
        found = self._parts_index.parts(sector, types, dict(mix))
        if found is not None:
            return found
        frame = market_parts(self.serving, sector, types, dict(mix))
        return frame.index.tolist(), {c: frame[c].to_numpy() for c in frame.columns}

    def _figures_for(self, product: ProductProfile, parts_sector: str) -> dict:
        """Which sector or product each part of the score is measured on."""
        return {"peers": parts_sector, "forecast": product.model_sector, "unrealised": parts_sector,
                "evidence": product.family, "product": self._product_evidence(product.evidence_keys)[2]}

    def _sector_name(self, sector: str, lang: str) -> str:
        names = FINE_SECTOR_NAMES.get(sector) or MODEL_SECTOR_NAMES.get(sector) or (sector, sector)
        return names[lang == "en"]

    def _ranked_uncached(self, product: ProductProfile, customer: str, own: frozenset[int]) -> tuple[list[str], dict]:
        """Market order, best first, and each market's parts and score (cached:
        most firms share a product, customer type and district evidence)."""
        value, _ = self._evidence(product, own)
        mix = tuple(sorted(self.demand_weights(product, customer).items()))
        index, base = self._base(self.parts_sector(product), customer, mix)
        # plain arrays, not DataFrame columns: assigning columns cost a cold recommendation ~9 ms
        columns = dict(base)  # a copy: the cached base is shared by other keys
        columns["evidence"] = _aligned(value, index)
        columns["product"] = _aligned(self._product_evidence(product.evidence_keys)[0], index)
        columns["score"] = np.asarray(blend(columns, self.weights), float)
        # best first: score, then Italy's current sales, then the table's order (a stable sort)
        order = np.lexsort((-columns["current_musd"], -columns["score"]))
        names = list(columns)
        values = zip(*(columns[c][order].tolist() for c in names))
        markets = [index[i] for i in order.tolist()]
        return markets, {iso3: dict(zip(names, row)) for iso3, row in zip(markets, values)}

    def _demandingness_uncached(self, languages: tuple[str, ...]):
        parts = demand_parts(self.countries.reset_index(), languages).reindex(self.market_index)
        return demandingness(parts).astype(float).to_dict(), {iso3: rec for iso3, rec in zip(parts.index, parts.round(3).to_dict("records"))}

    def _explained_uncached(self, product, customer, own, iso3, lang) -> tuple[tuple[str, ...], tuple[dict, ...]]:
        static = self.static[iso3]
        market = {"iso3": iso3, "name_it": static["name_it"], "name_en": static["name_en"]}
        row = self._ranked(product, customer, own)[1][iso3]
        value, all_cites = self._evidence(product, own)
        cites = all_cites.get(iso3, [])
        reasons, estimates = self._reasons(product, customer, market, row, cites, lang, value.attrs)
        return tuple(reasons), tuple(estimates)

    def _market_fixed_uncached(self, product: ProductProfile, customer: str, own: frozenset[int], lang: str,
                               iso3: str) -> _MarketFixed:
        en = lang == "en"
        static = self.static[iso3]
        row = self._ranked(product, customer, own)[1][iso3]
        gates = [r for r in rules_for(product.family, product.family_group).get(iso3, ()) if not r.excludes]
        cites = self._evidence(product, own)[1].get(iso3, [])
        explained, estimates = self._explained(product, customer, own, iso3, lang)
        product_cites = self._product_evidence(product.evidence_keys)[1].get(iso3, [])[:MAX_CITES]
        head = list(explained)
        falling = next((c for c in (*cites, *product_cites) if c.trend == "down"), None)
        if falling is not None:  # a source that names the market and says it fell: said, against it
            head.append(R.contrary_reason(falling)[en])
        restriction = self.restricted.get(iso3)
        return _MarketFixed(
            names={"iso3": iso3, "iso2": static["iso2"], "name_it": static["name_it"], "name_en": static["name_en"]},
            gated=bool(gates),
            parts={p: round(float(row[p]), 4) for p in PARTS} | {
                "current_musd": round(float(row["current_musd"]), 1),
                "implied_musd": round(float(row["implied_musd"]), 1),
                "gap_musd": round(float(row["gap_musd"]), 1)},
            estimates=SharedList(dict(e) for e in estimates),
            reasons_head=tuple(head),
            # the rules themselves, with step and source, are the market's warnings
            rules_said=(R.rules_summary(gates)[en],) if gates else (),
            district_evidence=SharedList(dict(vars(c)) for c in cites),
            product_evidence=SharedList(dict(vars(c)) for c in product_cites),
            figures_for=self._figures_for(product, self.parts_sector(product)),
            channels_excluded=SharedList({"channel_id": c["channel_id"], "name": c["name"],
                                          "reason": c["rule_en" if en else "rule_it"],
                                          "source_url": c["source_url"], "as_of": c["as_of"]}
                                         for c in channel_exclusions(iso3, channel_fit(product))),
            warnings=SharedList(([{"type": "restricted", "level": restriction["level"],
                                   "text": restriction["measures_en" if en else "measures_it"],
                                   "legal_basis": restriction["legal_basis"], "as_of": restriction["as_of"]}]
                                 if restriction else []) + [{"type": r.kind, **r.to_dict(lang)} for r in gates]),
        )

    def _readiness_uncached(self, languages: tuple[str, ...], level: int, lang: str, iso3: str) -> _Readiness:
        demanding, dparts = self._demandingness(languages)
        d = demanding[iso3]
        needs = required_level(d)
        ready = horizon(needs, level)
        level_it, level_en = LEVEL_LABELS[level]
        return _Readiness(ready, needs, {"demandingness": round(d, 4), "demandingness_parts": dparts[iso3]},
                          R.horizon_reason(dparts[iso3], ready, needs, level_it, level_en)[lang == "en"])

    def _strongest_uncached(self, sector: str, demand: str, iso3: str) -> tuple[str, str] | None:
        """The forecast model's strongest structural reason for the market in the sector and demand
        type (the same for every product measured on the sector: worked out once)."""
        static = self.static[iso3]
        market = {"iso3": iso3, "name_it": static["name_it"], "name_en": static["name_en"]}
        return R.strongest_contribution(self._rows[(sector, demand)][iso3], market, static, self.rates)

    def _reasons(self, product, customer, market, row, cites, lang, evidence_attrs) -> tuple[list[str], list[dict]]:
        """Sentences quoting figure, source and year, each saying which sector or product it is for;
        the estimates they rely on."""
        i = 1 if lang == "en" else 0
        types = CUSTOMER_DEMAND_TYPES[customer]
        sector = self.parts_sector(product)
        sector_names = (self._sector_name(sector, "it"), self._sector_name(sector, "en"))
        forecast_names = (self._sector_name(product.model_sector, "it"), self._sector_name(product.model_sector, "en"))
        rows = {d: self._rows.get((sector, d), {}).get(market["iso3"]) for d in types}
        rows = {d: r for d, r in rows.items() if r is not None}
        observed = sum(r["current_musd"] for r in rows.values() if not r["estimated"])
        estimated = sum(r["current_musd"] for r in rows.values() if r["estimated"])
        out, estimates = [], []
        out.append(R.peers_reason(market, observed, estimated, int(row["peers_rank"]), int(row["n"]), sector,
                                  sector_names, self.rates)[i])
        if estimated > 0:
            estimates.append(R.ESTIMATE_FINAL_DEMAND[i])
            if market["iso3"] in R.REEXPORT_HUBS:
                estimates.append(R.ESTIMATE_HUB[i])
        out.append(R.forecast_reason(int(row["forecast_rank"]), int(row["n"]), forecast_names)[i])
        pcites = self._product_evidence(product.evidence_keys)[1].get(market["iso3"], [])
        if pcites:
            out.append(R.product_evidence_reason(pcites[0])[i])
        if row["gap_musd"] > 0:
            out.append(R.unrealised_reason(float(row["gap_musd"]), self.rates)[i])
            estimates.append(R.ESTIMATE_UNREALISED[i])
        main = max(rows, key=lambda d: rows[d]["current_musd"]) if rows else None
        if main is not None:
            s = self._strongest(sector, main, market["iso3"])
            if s:
                out.append(s[i])
        if cites:
            out.append(R.evidence_reason(cites[0])[i])
        elif row["evidence"] > 0:
            out.append(R.sector_evidence_reason(float(row["evidence"]), evidence_attrs.get("other_districts", 0),
                                                evidence_attrs.get("scope", "sector"),
                                                (product.family_name_it, product.family_name_en))[i])
        return out, estimates
